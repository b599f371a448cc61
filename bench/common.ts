/**
 * What every benchmark shares: the result shape, child processes (the server, the client
 * runners on Deno and Bun, the peers), and the raw-`fetch` floor's TLS and login.
 *
 * Every measured client runs in a child process of its own and the server in another, so
 * ours, the floor and the peers all meet the same server under the same conditions, and the
 * orchestrating process stays idle while they are measured.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Summary } from "./stats.ts";
import { runtimeName } from "../src/runtime/detect.ts";

/** The repository root (with a trailing slash). */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));
/** The bench folder. */
export const BENCH_DIR: string = join(ROOT, "bench");
/** Where results (and the installed peers) go; ignored by git. */
export const RESULTS_DIR: string = join(BENCH_DIR, "results");

/** A goal of benchmarks.md and whether this run met it (`null`: not measured). */
export interface Goal {
  /** The figure the goal is about. */
  figure: string;
  /** The goal as text, e.g. ">= 0.95". */
  goal: string;
  /** Met, missed, or not measured. */
  pass: boolean | null;
}

/** One benchmark's outcome, as it goes into latest.json. */
export interface BenchResult {
  /** "B1".."B6". */
  id: string;
  /** One line saying what was measured. */
  title: string;
  /** The headline figures (ratios, ms, MiB); `null` when a side could not be measured. */
  figures: Record<string, number | null>;
  /** Every measured series with min/median/max over the rounds. */
  series: Record<string, Summary>;
  /** The goals and whether they were met. */
  goals: Goal[];
  /** Skips, failures and findings, in words. */
  notes: string[];
}

/** A daemon given with `--url` (B1, B2, B4 run against it instead of the local server). */
export interface BenchTarget {
  /** Base URL, e.g. `https://127.0.0.1:6060`. */
  url: string;
  /** CA file that signed its certificate. */
  caFile: string;
}

/** How a benchmark is run. */
export interface BenchOptions {
  /** Run against this daemon instead of starting the local server (`--url`, `--ca`). */
  target?: BenchTarget;
  /** Fewer rounds, smaller files (`--quick`). */
  quick: boolean;
  /** Tiny counts for the smoke test (`--smoke`); implies quick. */
  smoke: boolean;
  /** Progress line on stderr. */
  log(msg: string): void;
}

/** One benchmark module. */
export interface Benchmark {
  /** "B1".."B6". */
  id: string;
  /** One line. */
  title: string;
  /** Runs it (server, clients, peers) and returns the figures. */
  run(options: BenchOptions): Promise<BenchResult>;
}

/** The runtimes our client is measured on (Node: B1 and B4, beside the official SDK). */
export type Runtime = "deno" | "bun" | "node";

/** The runtime running this file. */
export const RUNTIME: "deno" | "bun" | "node" = (() => {
  const rt = runtimeName();
  return rt === "other" ? "node" : rt;
})();

/** A finished child process. */
export interface ChildResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Everything it wrote on stdout. */
  stdout: string;
  /** Everything it wrote on stderr. */
  stderr: string;
}

/** Options of {@linkcode runProcess}. */
export interface ProcessOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this many ms; default 10 minutes. */
  timeoutMs?: number;
  /** Called with the child's pid once it runs (e.g. to sample its RSS). */
  onSpawn?(pid: number): void;
  /** Called with each complete stdout line as it arrives. */
  onLine?(line: string): void;
}

/** Runs a command to its end and collects its output. */
export function runProcess(
  cmd: string,
  args: string[],
  options: ProcessOptions = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      stdout += d;
      if (!options.onLine) return;
      pending += d;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        options.onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr!.on("data", (d: string) => (stderr += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("spawn", () => child.pid !== undefined && options.onSpawn?.(child.pid));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last line of `text` that parses as a JSON object. */
export function lastJson<T>(text: string): T | undefined {
  const lines = text.trim().split("\n").reverse();
  for (const line of lines) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      return JSON.parse(t) as T;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/** Runs a command that prints one JSON object as its last line, and returns that object. */
export async function runJson<T>(
  cmd: string,
  args: string[],
  options: ProcessOptions = {},
): Promise<T> {
  const r = await runProcess(cmd, args, options);
  const out = lastJson<T & { error?: string }>(r.stdout);
  if (r.code !== 0 || out === undefined || out.error !== undefined) {
    const why = out?.error ?? (r.stderr.trim().split("\n").slice(-6).join("\n") ||
      r.stdout.trim().slice(-400));
    const script = args.find((a) => /\.(ts|mjs|py)$/.test(a)) ?? args[0] ?? "";
    const name = `${cmd.split("/").pop()} ${script.split("/").pop()}`;
    throw new Error(`${name} failed (exit ${r.code}): ${why}`);
  }
  return out;
}

/** A path on PATH for `name`, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** The deno executable running this (or on PATH). */
export function denoPath(): string {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return RUNTIME === "deno" && deno ? deno.execPath() : which("deno") ?? "deno";
}

/**
 * How Bun is run: `$BUN_PATH`, else `bun` on the PATH, else `npx -y bun@1`, as the test suite
 * gets it (tests/run.ts): a machine without Bun installed still gets every Bun figure.
 */
export function bunCommand(): [string, string[]] {
  const bun = process.env.BUN_PATH ?? which("bun");
  return bun ? [bun, []] : [which("npx") ?? "npx", ["-y", "bun@1"]];
}

/**
 * How Node is run: Node 22 from npm (`npx -y node@22`), as the test suite's Node pass, for our
 * client on Node and for the official SDK peer alike (the machine's own `node` may be older).
 */
export function nodeCommand(): [string, string[]] {
  return [which("npx") ?? "npx", ["-y", "node@22"]];
}

let bunDeps: Promise<void> | undefined;
let nodeDeps: Promise<void> | undefined;

/** The package's npm dependencies for Node (`npm install`, as the suite's Node pass). */
export function ensureNodeDeps(): Promise<void> {
  return nodeDeps ??= (async () => {
    const args = ["install", "--no-package-lock", "--no-audit", "--no-fund"];
    const r = await runProcess(which("npm") ?? "npm", args, { cwd: ROOT, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`npm install failed: ${r.stderr.trim().slice(-300)}`);
  })();
}

/** The package's npm dependencies for Bun, installed once per bench run as the suite does. */
export function ensureBunDeps(): Promise<void> {
  return bunDeps ??= (async () => {
    const [bun, pre] = bunCommand();
    const opts = { cwd: ROOT, timeoutMs: 300_000 };
    let r = await runProcess(bun, [...pre, "install", "--frozen-lockfile"], opts);
    if (r.code !== 0) r = await runProcess(bun, [...pre, "install"], opts);
    if (r.code !== 0) throw new Error(`bun install failed: ${r.stderr.trim().slice(-300)}`);
  })();
}

/** Command and arguments that run a bench script on a runtime. */
export function scriptCommand(rt: Runtime, script: string, args: string[]): [string, string[]] {
  const path = join(BENCH_DIR, script);
  if (rt === "deno") return [denoPath(), ["run", "-A", "--no-check", path, ...args]];
  // Node 22 from npm, as the suite's Node pass: it runs the .ts files with its type stripping.
  if (rt === "node") {
    const [node, pre] = nodeCommand();
    return [node, [...pre, path, ...args]];
  }
  const [bun, pre] = bunCommand();
  return [bun, [...pre, "run", path, ...args]];
}

/** What the server child reports. */
export interface ServerInfo {
  /** Base URL per node. */
  urls: string[];
  /** The nodes (`name` is what X-Target-Host and workflow `nodes` take). */
  nodes: { name: string; url: string; port: number }[];
  /** Nodes reached only through forwarding from the first node (B7). */
  forwardedNodes: { name: string; port: number }[];
  /** CA file. */
  caFile: string;
  /** CA PEM text. */
  caPem: string;
  /** State directory. */
  stateDir: string;
  /** The server's pid (to sample its CPU share). */
  pid: number;
}

/** A running server child. */
export interface ServerHandle {
  /** What it reported. */
  info: ServerInfo;
  /** Stops it (closing its stdin makes it close the server and exit). */
  close(): Promise<void>;
}

/**
 * Starts the local server in a child process (Deno), `nodes` nodes, HTTPS with its own CA,
 * on loopback; resolves once it listens.
 */
export function startServer(
  options: { nodes?: number; forwardedNodes?: number } = {},
): Promise<ServerHandle> {
  const [cmd, args] = scriptCommand("deno", "server_child.ts", [
    String(options.nodes ?? 1),
    String(options.forwardedNodes ?? 0),
  ]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    let done = false;
    const exited = new Promise<void>((r) => child.on("close", () => r()));
    const fail = (why: string) => {
      if (done) return;
      done = true;
      child.kill("SIGKILL");
      reject(new Error(`the local server did not start: ${why}`));
    };
    const timer = setTimeout(() => fail("no answer in 60 s"), 60_000);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => (err += d));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (done || nl < 0) return;
      done = true;
      clearTimeout(timer);
      const info = JSON.parse(out.slice(0, nl)) as Omit<ServerInfo, "pid">;
      resolve({
        info: { ...info, pid: child.pid! },
        close: async () => {
          child.stdin!.end();
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      fail(`exit ${code}: ${err.trim().slice(-600)}`);
    });
  });
}

/**
 * The server of B1, B2 and B4: the daemon of `--url` when given (nothing to start or stop; its
 * pid unknown, 0), else the local server in a child process.
 */
export async function serverOrTarget(o: BenchOptions): Promise<ServerHandle> {
  if (!o.target) return await startServer();
  const url = o.target.url.replace(/\/+$/, "");
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  return {
    info: {
      urls: [url],
      nodes: [{ name: `${u.hostname}:${port}`, url, port }],
      forwardedNodes: [],
      caFile: o.target.caFile,
      caPem: readFileSync(o.target.caFile, "utf8"),
      stateDir: "",
      pid: 0,
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Runs the client side of a benchmark in a child process on `rt` (bench/runner.ts), with a
 * job object, and returns the JSON it prints.
 */
export async function runClient<T>(
  rt: Runtime,
  bench: string,
  job: unknown,
  options: ProcessOptions = {},
): Promise<T> {
  if (rt === "bun") await ensureBunDeps();
  if (rt === "node") {
    await ensureNodeDeps();
    // Node's own fetch takes no CA per request: the floor trusts the server's CA through
    // NODE_EXTRA_CA_CERTS (our client passes it to node:https itself, as a user would).
    const caPem = (job as { caPem?: string }).caPem;
    if (caPem) {
      const file = join(await mkdtemp(join(tmpdir(), "appmesh-bench-ca-")), "ca.pem");
      await writeFile(file, caPem);
      options = { ...options, env: { ...options.env, NODE_EXTRA_CA_CERTS: file } };
    }
  }
  const [cmd, args] = scriptCommand(rt, "runner.ts", [bench, JSON.stringify(job)]);
  return await runJson<T>(cmd, args, options);
}

/** A fetch bound to a TLS client that trusts the server's CA. */
export interface TlsFetch {
  /** The fetch. */
  fetch: typeof fetch;
  /** Releases the TLS client (its pooled connections). */
  close(): void;
}

interface DenoTls {
  createHttpClient(o: { caCerts: string[] }): { close(): void };
}

/**
 * The floor's fetch: the runtime's own `fetch` with a TLS client that trusts `caPem`, nothing
 * else around it (Deno: `Deno.createHttpClient`; Bun: the `tls` fetch option).
 */
export function tlsFetch(caPem: string): TlsFetch {
  const deno = (globalThis as { Deno?: DenoTls }).Deno;
  if (RUNTIME === "deno" && deno) {
    const client = deno.createHttpClient({ caCerts: [caPem] });
    return {
      fetch: (input, init) => fetch(input, { ...init, client } as unknown as RequestInit),
      close: () => client.close(),
    };
  }
  // Node: its own fetch, trusting the CA through NODE_EXTRA_CA_CERTS (see runClient).
  if (RUNTIME === "node") return { fetch: (input, init) => fetch(input, init), close: () => {} };
  const tls = { ca: caPem };
  return {
    fetch: (input, init) => fetch(input, { ...init, tls } as unknown as RequestInit),
    close: () => {},
  };
}

/** The benchmark user (the server's default admin). */
export const USER: { readonly name: string; readonly password: string } = {
  get name() {
    return process.env.APPMESH_BENCH_USER || "admin";
  },
  get password() {
    return process.env.APPMESH_BENCH_PASSWORD || "admin123";
  },
};

/** Logs in with raw fetch and returns the bearer token (the floor's session). */
export async function rawLogin(f: typeof fetch, url: string): Promise<string> {
  const res = await f(`${url}/appmesh/login`, {
    method: "POST",
    headers: { Authorization: `Basic ${btoa(`${USER.name}:${USER.password}`)}` },
  });
  if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The part of our client the benchmarks use (typed here so bench/ checks on its own). */
export interface OurClient {
  login(user: string, password: string): Promise<string | undefined>;
  getApp(name: string): Promise<unknown>;
  listLabels(): Promise<Record<string, string>>;
  addApp(app: Record<string, unknown>): Promise<unknown>;
  deleteApp(name: string): Promise<boolean>;
  runAppAsync(
    app: Record<string, unknown>,
    options?: { maxTime?: number | string },
  ): Promise<OurRun>;
  downloadFile(remote: string, local: string): Promise<unknown>;
  uploadFile(local: string, remote: string): Promise<void>;
  download(remote: string): Promise<Response>;
  close(): Promise<void>;
}

/** A run of our client. */
export interface OurRun {
  appName: string;
  processUuid: string;
  wait(o?: { onOutput?(chunk: string): void; timeout?: number }): Promise<number | undefined>;
}

/** Our client's constructor options used here. */
export interface OurClientOptions {
  baseUrl: string;
  ca?: string;
  fetch?: typeof fetch;
  token?: string;
}

/**
 * Our client's class, loaded from src/client/ at run time (a variable specifier keeps
 * `deno check bench/` independent of the client's own state).
 */
export async function loadClient(): Promise<new (o: OurClientOptions) => OurClient> {
  const spec = new URL("../src/client/client.ts", import.meta.url).href;
  const mod = await import(spec) as { AppMeshClient: new (o: OurClientOptions) => OurClient };
  return mod.AppMeshClient;
}

/** Our client, logged in as {@linkcode USER}, trusting the server's CA. */
export async function loggedInClient(url: string, caPem: string): Promise<OurClient> {
  const AppMeshClient = await loadClient();
  const client = new AppMeshClient({ baseUrl: url, ca: caPem });
  await client.login(USER.name, USER.password);
  return client;
}

/** Current resident set size of this process in bytes (/proc; the runtime's own as fallback). */
export function rssBytes(pid: number | "self" = "self"): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(text);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // no /proc
  }
  return pid === "self" ? process.memoryUsage.rss() : NaN;
}

/** CPU time (user + system) of a process and of its reaped children in ms, from /proc. */
export function processCpuMs(pid: number): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    // Clock ticks of 10 ms: utime, stime, then cutime, cstime.
    return { own: (f[11] + f[12]) * 10, children: (f[13] + f[14]) * 10 };
  } catch {
    return { own: NaN, children: NaN };
  }
}

/** A short message of an error. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
