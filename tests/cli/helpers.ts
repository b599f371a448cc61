/**
 * Helpers of the command-line tests: a multi-node local server, the real CLI as a child
 * process (`deno run -A src/cli/main.ts ...`), and a few assertions.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDevServer } from "../../src/devserver/mod.ts";
import { AppMeshClient } from "../../src/client/mod.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The CLI entry point. */
export const MAIN: string = `${ROOT}src/cli/main.ts`;

/** A started local server with a temp folder for the test's files. */
export interface Fixture {
  /** The server. */
  server: Awaited<ReturnType<typeof startDevServer>>;
  /** A temp folder (removed by `close`). */
  dir: string;
  /** Cookie file inside `dir`. */
  cookieFile: string;
  /** Node names (`127.0.0.1:PORT`). */
  nodes: string[];
  /** The environment the CLI gets: URL, CA, cookie file, HOME, user and password. */
  env: Record<string, string>;
  /** Stops the server and removes `dir`. */
  close(): Promise<void>;
}

/** Starts a 3-node local server over HTTPS and a temp folder. */
export async function startFixture(nodes = 3): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "appmesh-cli-test-" });
  const server = await startDevServer({ nodes, stateDir: `${dir}/state` });
  const cookieFile = `${dir}/cookies.txt`;
  return {
    server,
    dir,
    cookieFile,
    nodes: server.nodes.map((n) => n.name),
    env: {
      APPMESH_URL: server.urls[0],
      APPMESH_CA: server.caFile ?? "",
      APPMESH_COOKIE_FILE: cookieFile,
      HOME: dir,
      NO_COLOR: "1",
      APPMESH_USER: "admin",
      APPMESH_PASSWORD: "admin123",
    },
    async close() {
      try {
        await server.close();
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** What a finished CLI run printed. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@linkcode runCli}. */
export interface CliOptions {
  /** Extra environment (wins over the fixture's). */
  env?: Record<string, string>;
  /** Text for stdin (default: none, stdin is closed). */
  stdin?: string;
  /** Working directory. */
  cwd?: string;
  /** Run this file instead of main.ts. */
  script?: string;
}

/**
 * Deno's cache folder, pinned for the children: tests give them their own HOME (so that no
 * cookie or lock file lands in the real one), which would otherwise move the cache too.
 */
const DENO_DIR: string = Deno.env.get("DENO_DIR") ?? (() => {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .outputSync();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
})();

/** The environment of a child: the parent's without APPMESH_* variables, then `env`. */
function childEnv(env: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("APPMESH_")) base[k] = v;
  }
  return { ...base, NO_COLOR: "1", DENO_DIR, ...env };
}

/** Starts the CLI as a child process with piped stdout/stderr. */
export function spawnCli(args: string[], options: CliOptions = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", options.script ?? MAIN, ...args],
    cwd: options.cwd ?? ROOT,
    env: childEnv(options.env),
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs the CLI to its end. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Reads a child's stream line by line into `lines` until `until` matches one (or it ends). */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  until: (line: string) => boolean,
  lines: string[] = [],
): Promise<{ lines: string[]; rest: Promise<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts);
    if (parts.some(until)) break;
  }
  // Keep draining so the child never blocks on a full pipe.
  const rest = (async () => {
    let tail = buf;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return tail;
      tail += value;
    }
  })();
  return { lines, rest };
}

/** Asserts that the output holds no stack trace. */
export function assertNoStack(text: string, what = "output"): void {
  assert.ok(!/\n\s+at /.test(text), `${what} holds a stack trace:\n${text}`);
}

/** Asserts the CLI's exit code, showing its output when it differs. */
export function assertCode(r: CliResult, code: number): void {
  assert.equal(
    r.code,
    code,
    `expected exit ${code}, got ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
  );
}

/** Logs in through the CLI (password on stdin), into the fixture's cookie file. */
export async function cliLogin(fx: Fixture): Promise<void> {
  const r = await runCli(["login", "-u", "admin", "--password-stdin"], {
    env: fx.env,
    stdin: "admin123\n",
  });
  assertCode(r, 0);
}

/** A free TCP port on 127.0.0.1 that nothing listens on (for "no request sent" checks). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The first lines of a test workflow: its name, then a login as admin with the secret password. */
export function loginHead(name: string): string[] {
  return [
    `name: ${name}`,
    "steps:",
    "  - login:",
    "      user: admin",
    "      password: ${{ secrets.APPMESH_PASSWORD }}",
  ];
}

/**
 * A session saved in `cookieFile` for `url`, as `appmesh login` leaves it: for commands run
 * against a test's own small server, which takes any token (the CLI refuses to send anything
 * without a session).
 */
export async function seedSession(url: string, cookieFile: string, token = "t"): Promise<void> {
  const client = new AppMeshClient({ baseUrl: url, cookieFile });
  try {
    await client.setToken(token);
  } finally {
    await client.close();
  }
}
