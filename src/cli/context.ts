/**
 * What every command shares: the connection settings from the global flags and the
 * `APPMESH_*` environment, colours (only on a terminal, never with `NO_COLOR`), and a client
 * built from them.
 *
 * @module
 */

import type { AppMeshClient } from "../client/client.ts";
import type { FlagValues } from "./args.ts";
import { CliError, EXIT } from "./errors.ts";

/** Connection settings from `--url`, `--ca`, `--cookie-file`, `--insecure`. */
export interface GlobalOptions {
  /** Given with `--url` (undefined: not given). */
  url?: string;
  /** Given with `--ca`. */
  ca?: string;
  /** Given with `--cookie-file`. */
  cookieFile?: string;
  /** `--insecure`. */
  insecure: boolean;
}

/** The global flags as given on the command line (environment not applied). */
export function globalsFromFlags(flags: FlagValues): GlobalOptions {
  const s = (k: string) => typeof flags[k] === "string" ? flags[k] as string : undefined;
  return {
    url: s("url"),
    ca: s("ca"),
    cookieFile: s("cookie-file"),
    insecure: flags.insecure === true,
  };
}

function env(name: string): string | undefined {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : v;
}

/** The home directory (`~`), or undefined. */
export function homeDir(): string | undefined {
  return env("HOME") ?? env("USERPROFILE");
}

/** Expands a leading `~/`. */
export function expandHome(path: string): string {
  const home = homeDir();
  return home && (path === "~" || path.startsWith("~/")) ? home + path.slice(1) : path;
}

/** Connection settings with the environment defaults applied. */
export interface Connection {
  /** Server URL. */
  url: string;
  /** CA file (PEM) or undefined. */
  ca?: string;
  /** Cookie file path. */
  cookieFile: string;
  /** Verify TLS certificates. */
  verify: boolean;
}

/** Applies `APPMESH_URL`, `APPMESH_CA`, `APPMESH_COOKIE_FILE` and the built-in defaults. */
export function resolveConnection(g: GlobalOptions): Connection {
  const cookie = g.cookieFile ?? env("APPMESH_COOKIE_FILE") ??
    `${homeDir() ?? "."}/.appmesh/cookies.txt`;
  return {
    url: g.url ?? env("APPMESH_URL") ?? "https://127.0.0.1:6060",
    ca: g.ca === undefined ? env("APPMESH_CA") : expandHome(g.ca),
    cookieFile: expandHome(cookie),
    verify: !g.insecure,
  };
}

let warned = false;

/** Prints the warning that `--insecure` earns (once per process). */
export function warnInsecure(g: GlobalOptions): void {
  if (g.insecure && !warned) {
    warned = true;
    console.error("warning: --insecure: the server's TLS certificate is NOT verified");
  }
}

/** Colours on this stream: a terminal and no `NO_COLOR`. */
export function useColor(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  const noColor = Deno.env.get("NO_COLOR");
  return stream.isTerminal() && (noColor === undefined || noColor === "");
}

/** ANSI styles that become no-ops without colour. */
export interface Style {
  /** Green. */
  ok(s: string): string;
  /** Red. */
  bad(s: string): string;
  /** Yellow. */
  warn(s: string): string;
  /** Dim grey. */
  dim(s: string): string;
  /** Bold. */
  bold(s: string): string;
}

/** A {@linkcode Style} for the given colour decision. */
export function style(color: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) =>
    color ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    ok: wrap(32, 39),
    bad: wrap(31, 39),
    warn: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/**
 * A client for the resolved connection (the client module is loaded only here, so that
 * `--help` and usage errors do not load it).
 */
export async function makeClient(g: GlobalOptions): Promise<AppMeshClient> {
  // The client itself warns (through the logger below) when verification is off.
  const c = resolveConnection(g);
  await checkCaFile(c.ca, g.ca ? "--ca" : "APPMESH_CA");
  const { AppMeshClient } = await import("../client/client.ts");
  return new AppMeshClient({
    baseUrl: c.url,
    ca: c.ca,
    verify: c.verify,
    cookieFile: c.cookieFile,
    logger: { warn: (msg: string) => console.error(`warning: ${msg}`) },
  });
}

/**
 * Checks that a CA file exists and holds PEM text, so that a wrong path is one clear usage
 * error (exit 2) rather than a TLS failure later.
 */
export async function checkCaFile(ca: string | undefined, origin: string): Promise<void> {
  if (ca === undefined || ca.includes("-----BEGIN")) return;
  let text: string;
  try {
    text = await Deno.readTextFile(expandHome(ca));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : "cannot read it";
    throw new CliError(`${origin} ${ca}: ${why}`, EXIT.usage);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CliError(`${origin} ${ca}: not a PEM certificate file`, EXIT.usage);
  }
}

/** Writes text to stdout without a newline (bytes, for the live display). */
export function writeOut(text: string): void {
  writeAll(Deno.stdout, text);
}

/** Writes text to stderr without a newline. */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, text);
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** Installs SIGINT/SIGTERM listeners that abort the returned controller. */
export interface Interrupts {
  /** Aborted on the first signal. */
  signal: AbortSignal;
  /** The signal received, if any. */
  received(): "SIGINT" | "SIGTERM" | undefined;
  /** 130 or 143 for the signal received, else undefined. */
  exitCode(): number | undefined;
  /** Removes the listeners. */
  dispose(): void;
}

/**
 * Catches SIGINT and SIGTERM: the first aborts the signal (so that `finally` steps run and
 * temporary apps are deleted); a second one exits at once.
 */
export function catchInterrupts(options: { onFirst?: (sig: string) => void } = {}): Interrupts {
  const controller = new AbortController();
  let got: "SIGINT" | "SIGTERM" | undefined;
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const h = () => {
      if (got) {
        console.error(`\nappmesh: ${sig} again, exiting without cleanup`);
        Deno.exit(sig === "SIGINT" ? 130 : 143);
      }
      got = sig;
      options.onFirst?.(sig);
      controller.abort(new DOMException(`interrupted by ${sig}`, "AbortError"));
    };
    try {
      Deno.addSignalListener(sig, h);
      handlers.push([sig, h]);
    } catch {
      // Signals are not supported on this platform (Windows: SIGTERM); Ctrl-C still kills.
    }
  }
  return {
    signal: controller.signal,
    received: () => got,
    exitCode: () => got === "SIGINT" ? 130 : got === "SIGTERM" ? 143 : undefined,
    dispose: () => {
      for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    },
  };
}
