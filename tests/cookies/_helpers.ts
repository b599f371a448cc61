/**
 * Helpers of the cookie tests: temp folders, child processes, a tiny HTTP server that echoes
 * the Cookie header (and sets cookies when asked). Work under Deno and Bun.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cookie } from "../../src/cookies/jar.ts";

/** Result of a finished child process. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (never through a shell). */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: options.cwd, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (error && typeof code !== "number") return reject(error);
      resolve({
        code: typeof code === "number" ? code : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

/** Runs `fn` with a new temp folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-cookies-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A local HTTP server answering with the request's Cookie header. */
export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the echo server on 127.0.0.1. `GET /set?c=<Set-Cookie>&c=...` answers with those
 * `Set-Cookie` headers; every answer's body is the Cookie header received (or `<none>`).
 */
export async function echoServer(): Promise<EchoServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const sets = url.pathname === "/set" ? url.searchParams.getAll("c") : [];
    if (sets.length) res.setHeader("Set-Cookie", sets);
    res.setHeader("Connection", "close");
    res.end(req.headers.cookie ?? "<none>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Splits a Cookie header into sorted `name=value` pairs. */
export function pairs(header: string | undefined): string[] {
  return (header ?? "").split(/;\s*/).filter(Boolean).sort();
}

/** Now, in seconds since the epoch (cookie expiry times). */
export const now = (): number => Math.floor(Date.now() / 1000);

/** A secure, HttpOnly, host-only cookie of 127.0.0.1 on `/`, valid for an hour; `over` wins. */
export function hostCookie(name: string, value: string, over: Partial<Cookie> = {}): Cookie {
  return {
    name,
    value,
    domain: "127.0.0.1",
    hostOnly: true,
    path: "/",
    secure: true,
    httpOnly: true,
    expires: now() + 3600,
    ...over,
  };
}
