/**
 * Helpers of the client tests: a local server, a logged-in client, temp dirs, child processes,
 * polling. Runs under Deno and Bun.
 */
import { spawn } from "node:child_process";
import { createServer, type RequestListener } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { AppMeshClient, type ClientOptions } from "../../src/client/mod.ts";
import { type DevServer, type DevServerOptions, startDevServer } from "../../src/devserver/mod.ts";
import { runtime } from "../harness.ts";

export { runtime };

/** A server, a client on its first node, and a temp dir; all closed by `close()`. */
export interface Fixture {
  server: DevServer;
  client: AppMeshClient;
  dir: string;
  /** A new client on the first node with these extra options. */
  newClient(options?: ClientOptions): AppMeshClient;
  close(): Promise<void>;
}

/** Starts a server (and logs in as admin unless `login: false`). */
export async function fixture(
  o: { server?: DevServerOptions; client?: ClientOptions; login?: boolean } = {},
): Promise<Fixture> {
  const server = await startDevServer(o.server);
  const dir = await mkdtemp(join(tmpdir(), "appmesh-client-test-"));
  const clients: AppMeshClient[] = [];
  const newClient = (extra: ClientOptions = {}) => {
    const c = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile, ...extra });
    clients.push(c);
    return c;
  };
  const client = newClient(o.client);
  const close = async () => {
    for (const c of clients) await c.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (o.login !== false) await client.login("admin", "admin123");
  } catch (e) {
    await close();
    throw e;
  }
  return { server, client, dir, newClient, close };
}

/** Polls `fn` until it returns a truthy value (no timing assertions: only a generous bound). */
export async function until<T>(fn: () => T | Promise<T>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a TypeScript file in a child process of the current runtime. */
export function runScript(
  file: string,
  args: string[],
  o: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const root = new URL("../../", import.meta.url).pathname;
  const cmd = runtime === "deno"
    ? [process.execPath, ["run", "-A", "--config", join(root, "deno.json"), file, ...args]]
    : [process.execPath, [file, ...args]];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0] as string, cmd[1] as string[], {
      cwd: root,
      env: { ...process.env, ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs a command, collecting its output. */
export function exec(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(input ?? "");
  });
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A unique name. */
export function uniq(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A plain-HTTP server on 127.0.0.1, for answers the dev server never gives. */
export async function httpServer(
  handler: RequestListener,
): Promise<{ port: number; base: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A task worker in shell: fetches each task of its app with curl and answers `<reply>:<payload>`
 * (needs `URL` and `CA` in its env).
 */
export function shellWorker(reply: string): string {
  return `
task="$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY"
while true; do
  payload=$(curl -sf --cacert "$CA" "$task") || { sleep 0.1; continue; }
  printf '${reply}:%s' "$payload" | curl -sf --cacert "$CA" -X PUT --data-binary @- "$task"
done`;
}
