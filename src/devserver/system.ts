/**
 * Per-node system areas of the local server: labels, configuration (deep merge, `LogLevel`),
 * host resources (real numbers from `node:os` and /proc, in the OpenAPI `HostResources` shape)
 * and Prometheus metrics with real request counters.
 *
 * @module
 */
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import * as os from "node:os";
import {
  HttpError,
  json,
  type NodeHandle,
  readJson,
  type RequestContext,
  type Route,
} from "./http.ts";

const VERSION = "appmesh_2.2.1_sdk-devserver";

function osVersion(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m) return m[1];
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

function archName(): string {
  const a = os.arch();
  return a === "x64" ? "x86_64" : a === "arm64" ? "aarch64" : a;
}

/** Per-node system state: labels and configuration (kept at `node.stores.system`). */
export class SystemStore {
  /** Labels of this node (HOST_NAME, arch, os_version preset, as the daemon). */
  readonly labels: Map<string, string> = new Map();
  /** The configuration document without `Labels` (those live in `labels`). */
  config: Record<string, unknown>;
  /** Request metrics of this node. */
  readonly metrics: Metrics = new Metrics();

  /** @param node the node; its port and base directory go into the configuration */
  constructor(node: NodeHandle, extra: { host: string; issuer: string; verifyClient: boolean }) {
    this.labels.set("HOST_NAME", os.hostname());
    this.labels.set("arch", archName());
    this.labels.set("os_version", osVersion());
    const ssl = (f: string) => `${node.stateDir}/${f}`;
    this.config = {
      BaseConfig: {
        DefaultExecUser: "",
        Description: os.hostname(),
        DisableExecUser: false,
        LogLevel: "DEBUG",
        PosixTimezone: "",
        ScheduleIntervalSeconds: 1,
        WorkingDirectory: "",
      },
      REST: {
        CorsDisabled: false,
        CsrfAllowedOrigins: [],
        FileAllowedBaseDir: node.fileBaseDir ?? "",
        IOThreadPoolSize: 2,
        JWT: {
          Algorithm: "HS256",
          Audience: ["appmesh-file-service", "appmesh-service", "your-service-api"],
          Issuer: extra.issuer,
          // The daemon answers its signing secret here; the local server answers the field
          // with a random value that signs nothing.
          JWTSalt: Array.from(
            crypto.getRandomValues(new Uint8Array(16)),
            (b) => b.toString(16).padStart(2, "0"),
          ).join(""),
          SecurityInterface: "local",
        },
        PasswordComplexityEnabled: false,
        PrometheusExporterListenPort: 0,
        RestEnabled: true,
        RestListenAddress: extra.host,
        RestListenPort: node.port,
        RestTcpPort: 0,
        SSL: {
          SSLCaPath: ssl("ca.pem"),
          SSLCertificateFile: ssl("server.pem"),
          SSLCertificateKeyFile: ssl("server-key.pem"),
          SSLClientCertificateFile: ssl("client.pem"),
          SSLClientCertificateKeyFile: ssl("client-key.pem"),
          VerifyClient: extra.verifyClient,
          VerifyServer: false,
          VerifyServerDelegate: false,
        },
        WebSocketPort: node.port,
        WorkerThreadPoolSize: 2,
      },
    };
  }

  /** The whole configuration as the daemon answers it (keys sorted, labels included). */
  view(): Record<string, unknown> {
    return sortKeys({ ...this.config, Labels: Object.fromEntries(this.labels), Version: VERSION });
  }

  /** `REST.CsrfAllowedOrigins`. */
  csrfAllowedOrigins(): string[] {
    const v = (this.config.REST as Record<string, unknown>).CsrfAllowedOrigins;
    return Array.isArray(v) ? v.map(String) : [];
  }

  /** `REST.CorsDisabled`. */
  corsDisabled(): boolean {
    return (this.config.REST as Record<string, unknown>).CorsDisabled === true;
  }
}

/** The system store of a node. */
export function systemOf(node: NodeHandle): SystemStore {
  return node.stores.system as SystemStore;
}

function sortKeys(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    out[k] = x && typeof x === "object" && !Array.isArray(x) ? sortKeys(x) : x;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, anything else replaces. */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
    if (isObject(v) && isObject(target[k])) deepMerge(target[k] as Record<string, unknown>, v);
    else target[k] = structuredClone(v);
  }
}

async function setConfig(ctx: RequestContext): Promise<Response> {
  const sys = systemOf(ctx.node);
  const patch = await readJson(ctx.req);
  if (!isObject(patch)) throw new HttpError(400, "configuration must be a JSON object");
  // As the daemon: any LogLevel text is taken as given (an unknown one too: `NOPE` stays
  // `NOPE`); only a value that is not text is refused.
  const base = patch.BaseConfig;
  if (isObject(base) && base.LogLevel !== undefined && typeof base.LogLevel !== "string") {
    throw new HttpError(400, `Invalid LogLevel <${String(base.LogLevel)}>`);
  }
  const { Labels, Version: _version, ...rest } = patch;
  deepMerge(sys.config, rest);
  if (isObject(Labels)) {
    for (const [k, v] of Object.entries(Labels)) {
      sys.labels.set(k, String(v));
    }
  }
  const dir = (sys.config.REST as Record<string, unknown>).FileAllowedBaseDir;
  ctx.node.fileBaseDir = typeof dir === "string" && dir ? dir : undefined;
  return json(200, sys.view());
}

function setLabel(ctx: RequestContext): Response {
  const value = ctx.url.searchParams.get("value");
  if (value === null) throw new HttpError(400, "query value required");
  systemOf(ctx.node).labels.set(ctx.params.name, value);
  return json(200, { message: "Add label success" });
}

function deleteLabel(ctx: RequestContext): Response {
  systemOf(ctx.node).labels.delete(ctx.params.name);
  return json(200, { message: "Label delete success" });
}

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync("/proc/meminfo", "utf8").split("\n")) {
      const m = /^(\w+):\s+(\d+)\s*kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]) * 1024;
    }
  } catch {
    // not Linux
  }
  return out;
}

/** When this process started, epoch seconds (the daemon's `appmesh_start_time`). */
const STARTED = Math.floor(Date.now() / 1000) - Math.floor(uptimeSeconds());

function uptimeSeconds(): number {
  try {
    return (globalThis as { process?: { uptime(): number } }).process?.uptime() ?? 0;
  } catch {
    return 0;
  }
}

/** `2026-11-28T09:33:25+08`, the daemon's local time format. */
function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const om = Math.abs(off) % 60;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:` +
    `${p(d.getMinutes())}:${p(d.getSeconds())}${sign}${p(Math.floor(Math.abs(off) / 60))}` +
    `${om ? `:${p(om)}` : ""}`;
}

function osUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "";
  }
}

function resources(description: string): Record<string, unknown> {
  const errors: string[] = [];
  const mem = meminfo();
  const cpus = os.cpus();
  const net: { name: string; address: string; ipv6: boolean }[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (!a.internal) net.push({ name, address: a.address, ipv6: a.family === "IPv6" });
    }
  }
  const fs: Record<string, unknown>[] = [];
  try {
    const s = statfsSync("/");
    const size = s.blocks * s.bsize;
    const free = s.bfree * s.bsize;
    const available = s.bavail * s.bsize;
    fs.push({
      device: "rootfs",
      mount_point: "/",
      size,
      used: size - free,
      available,
      usage: size ? (size - free) / size : 0,
    });
  } catch {
    errors.push("fs");
  }
  let fd = 0;
  try {
    fd = readdirSync("/proc/self/fd").length;
  } catch {
    errors.push("fd");
  }
  let rss = 0;
  try {
    rss = (globalThis as { process?: { memoryUsage(): { rss: number } } }).process?.memoryUsage()
      .rss ?? 0;
  } catch {
    errors.push("process_memory");
  }
  const load = os.loadavg();
  const platform = os.platform();
  const arch = os.arch();
  return {
    schema_version: 3,
    collected_at_unix_seconds: Math.floor(Date.now() / 1000),
    collector_errors: errors,
    in_container: false,
    appmesh_version: VERSION,
    os: platform === "darwin" ? "macos" : platform === "win32" ? "windows" : platform,
    architecture: arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch,
    host_name: os.hostname(),
    cpu_cores: cpus.length,
    cpu_sockets: 1,
    cpu_processors: cpus.length,
    cpu_effective_processors: cpus.length,
    cpu_quota_cores: 0,
    cpu_source: "host",
    memory_source: "host",
    swap_source: "host",
    cgroup_version: "none",
    mem_total_bytes: mem.MemTotal ?? os.totalmem(),
    mem_available_bytes: mem.MemAvailable ?? os.freemem(),
    mem_current_bytes: (mem.MemTotal ?? os.totalmem()) - (mem.MemAvailable ?? os.freemem()),
    mem_swap_total_bytes: mem.SwapTotal ?? 0,
    mem_swap_free_bytes: mem.SwapFree ?? 0,
    mem_swap_current_bytes: (mem.SwapTotal ?? 0) - (mem.SwapFree ?? 0),
    mem_applications: 0,
    mem_daemon_process_tree_bytes: rss,
    fd,
    load: { "1min": load[0], "5min": load[1], "15min": load[2] },
    net,
    fs,
    pid: (globalThis as { process?: { pid: number } }).process?.pid ?? 0,
    home: os.homedir(),
    os_user: osUserName(),
    host_description: description,
    systime: localTime(Math.floor(Date.now() / 1000)),
    appmesh_start_time: localTime(STARTED),
    appmesh_start_time_unix_seconds: STARTED,
  };
}

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30];

/** Request counters of one node, in the daemon's metric names. */
export class Metrics {
  #scrapes = 0;
  readonly #requests = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  readonly #durations = new Map<string, { count: number; sum: number; buckets: number[] }>();

  /** A request started on a route (`unmatched` for none). */
  start(method: string, route: string): void {
    const k = `${method}\u0000${route}`;
    this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + 1);
  }

  /** A request finished. */
  finish(method: string, route: string, status: number, seconds: number): void {
    const k = `${method}\u0000${route}`;
    this.#inFlight.set(k, Math.max(0, (this.#inFlight.get(k) ?? 1) - 1));
    const rk = `${k}\u0000${status}`;
    this.#requests.set(rk, (this.#requests.get(rk) ?? 0) + 1);
    const d = this.#durations.get(k) ?? { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
    d.count++;
    d.sum += seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) d.buckets[i]++;
    });
    this.#durations.set(k, d);
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(): string {
    this.#scrapes++;
    const host = `host="${esc(os.hostname())}"`;
    const lines: string[] = [];
    const head = (name: string, help: string, type: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    head("appmesh_metrics_scrapes_total", "Total number of App Mesh metrics scrapes", "counter");
    lines.push(`appmesh_metrics_scrapes_total{${host}} ${this.#scrapes}`);
    head(
      "appmesh_metrics_collection_errors_total",
      "Total number of App Mesh metrics collection errors",
      "counter",
    );
    lines.push(`appmesh_metrics_collection_errors_total{${host}} 0`);
    head("appmesh_http_requests_total", "Total number of App Mesh HTTP requests", "counter");
    for (const [k, n] of this.#requests) {
      const [method, route, status] = k.split("\u0000");
      lines.push(
        `appmesh_http_requests_total{${host},method="${esc(method)}",route="${esc(route)}",` +
          `status_class="${status[0]}xx",status_code="${status}"} ${n}`,
      );
    }
    head("appmesh_process_open_fds", "App Mesh daemon open file descriptors", "gauge");
    let fds = 0;
    try {
      fds = readdirSync("/proc/self/fd").length;
    } catch { /* no /proc: 0 */ }
    lines.push(`appmesh_process_open_fds{${host}} ${fds}`);
    head("appmesh_process_id", "App Mesh daemon process ID", "gauge");
    lines.push(
      `appmesh_process_id{${host}} ${
        (globalThis as { process?: { pid: number } }).process?.pid ?? 0
      }`,
    );
    head("appmesh_build_info", "App Mesh build information", "gauge");
    lines.push(`appmesh_build_info{${host},version="${VERSION}"} 1`);
    head("appmesh_http_requests_in_flight", "Current App Mesh HTTP requests in flight", "gauge");
    for (const [k, n] of this.#inFlight) {
      const [method, route] = k.split("\u0000");
      lines.push(
        `appmesh_http_requests_in_flight{${host},method="${esc(method)}",route="${
          esc(route)
        }"} ${n}`,
      );
    }
    head(
      "appmesh_http_request_duration_seconds",
      "App Mesh HTTP request duration in seconds",
      "histogram",
    );
    for (const [k, d] of this.#durations) {
      const [method, route] = k.split("\u0000");
      const l = `${host},method="${esc(method)}",route="${esc(route)}"`;
      BUCKETS.forEach((le, i) =>
        lines.push(`appmesh_http_request_duration_seconds_bucket{${l},le="${le}"} ${d.buckets[i]}`)
      );
      lines.push(`appmesh_http_request_duration_seconds_bucket{${l},le="+Inf"} ${d.count}`);
      lines.push(`appmesh_http_request_duration_seconds_sum{${l}} ${d.sum}`);
      lines.push(`appmesh_http_request_duration_seconds_count{${l}} ${d.count}`);
    }
    return lines.join("\n") + "\n";
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Routes of the system area. */
export const systemRoutes: Route[] = [
  {
    method: "GET",
    path: "/appmesh/labels",
    auth: true,
    permission: "label-view",
    handler: (ctx) =>
      json(
        200,
        Object.fromEntries([...systemOf(ctx.node).labels].sort(([a], [b]) => (a < b ? -1 : 1))),
      ),
  },
  {
    method: "PUT",
    path: "/appmesh/label/:name",
    auth: true,
    permission: "label-set",
    handler: setLabel,
  },
  {
    method: "DELETE",
    path: "/appmesh/label/:name",
    auth: true,
    permission: "label-delete",
    handler: deleteLabel,
  },
  {
    method: "GET",
    path: "/appmesh/config",
    auth: true,
    permission: "config-view",
    handler: (ctx) => json(200, systemOf(ctx.node).view()),
  },
  {
    method: "POST",
    path: "/appmesh/config",
    auth: true,
    permission: "config-set",
    handler: setConfig,
  },
  {
    method: "GET",
    path: "/appmesh/resources",
    auth: true,
    permission: "host-resource-view",
    handler: (ctx) => {
      const base = systemOf(ctx.node).config.BaseConfig as Record<string, unknown>;
      return json(200, resources(String(base.Description ?? "")));
    },
  },
  {
    // The daemon serves metrics without authentication.
    method: "GET",
    path: "/appmesh/metrics",
    auth: false,
    handler: (ctx) =>
      new Response(systemOf(ctx.node).metrics.render(), {
        status: 200,
        headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
  },
];
