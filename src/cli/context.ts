/**
 * What every command shares: the connection settings from the global flags and the
 * `APPMESH_*` environment, colours (only on a terminal, never with `NO_COLOR`), and a client
 * built from them.
 *
 * @module
 */

import type { AppMeshClient } from "../client/client.ts";
import {
  clientOptions,
  type Connection,
  ConnectionSettingError,
  type ConnectionValues,
  envSource,
  flagSource,
  resolveConnection,
} from "../runtime/connection.ts";
import type { FlagValues } from "./args.ts";
import { CliError, EXIT, noteConnection } from "./errors.ts";
import { envVar, envVars } from "../runtime/env.ts";
import { isTerminal, type StdStream, writeStderr, writeStdout } from "../runtime/process.ts";

/** Connection settings from `--url`, `--ca`, `--cookie-file`, `--timeout`, `--insecure`. */
export interface GlobalOptions {
  /** Given with `--url` (undefined: not given). */
  url?: string;
  /** Given with `--ca`. */
  ca?: string;
  /** Given with `--cookie-file`. */
  cookieFile?: string;
  /** Given with `--timeout` (a duration: seconds or ISO 8601). */
  timeout?: string;
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
    timeout: s("timeout"),
    insecure: flags.insecure === true,
  };
}

/** The flags as a connection source (only the ones given). */
export function flagValues(g: GlobalOptions): ConnectionValues {
  const v: ConnectionValues = {};
  if (g.url !== undefined) v.url = g.url;
  if (g.ca !== undefined) v.ca = g.ca;
  if (g.cookieFile !== undefined) v.cookieFile = g.cookieFile;
  if (g.timeout !== undefined) v.timeout = g.timeout;
  if (g.insecure) v.verify = false;
  return v;
}

/**
 * The connection of a command: flags, then `APPMESH_*`, then the defaults (the runtime's one
 * resolution, shared with `runWorkflow`). A setting that cannot be used is a usage error
 * (exit 2) naming the flag or variable it came from.
 */
export async function cliConnection(g: GlobalOptions): Promise<Connection> {
  const env = envVars();
  try {
    const conn = await resolveConnection([flagSource(flagValues(g)), envSource(env)], { env });
    noteConnection(conn);
    return conn;
  } catch (e) {
    if (e instanceof ConnectionSettingError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
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
export function useColor(stream: StdStream = "stdout"): boolean {
  const noColor = envVar("NO_COLOR");
  return isTerminal(stream) && (noColor === undefined || noColor === "");
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

/** A client and the connection it was built from. */
export interface Connected {
  /** The client (close it when done). */
  client: AppMeshClient;
  /** The resolved connection. */
  conn: Connection;
}

/**
 * A client for the resolved connection (the client module is loaded only here, so that
 * `--help` and usage errors do not load it). With `session: true` the cookie file must hold a
 * session: otherwise `not logged in: run appmesh login` (exit 3) before any request.
 */
export async function connect(
  g: GlobalOptions,
  options: { session?: boolean } = {},
): Promise<Connected> {
  const conn = await cliConnection(g);
  const { AppMeshClient } = await import("../client/client.ts");
  // The client itself warns (through the logger below) when verification is off.
  const client = new AppMeshClient({
    ...clientOptions(conn),
    logger: { warn: (msg: string) => console.error(`warning: ${msg}`) },
  });
  if (options.session) {
    try {
      await requireSession(client, conn);
    } catch (e) {
      await client.close();
      throw e;
    }
  }
  return { client, conn };
}

/** Throws `not logged in: run appmesh login` (exit 3) unless the cookie file holds a token. */
export async function requireSession(client: AppMeshClient, conn: Connection): Promise<void> {
  await client.ready();
  if (client.token) return;
  const from = conn.from.cookieFile;
  const where = conn.cookieFile
    ? `no session in ${conn.cookieFile}${from === "default" ? "" : `, from ${from}`}`
    : "no cookie file: $HOME is not set; pass --cookie-file FILE";
  throw new CliError(`not logged in: run appmesh login (${where})`, EXIT.unreachable);
}

/** Writes text to stdout without a newline (bytes, for the live display). */
export function writeOut(text: string): void {
  writeStdout(text);
}

/** Writes text to stderr without a newline. */
export function writeErr(text: string): void {
  writeStderr(text);
}
