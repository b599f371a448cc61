/**
 * Routes of the system area of the local server: labels, configuration (deep merge,
 * `LogLevel`), host resources (real numbers from `node:os` and /proc, in the OpenAPI
 * `HostResources` shape) and Prometheus metrics. The state they read is `SystemStore`
 * (`system_store.ts`) and `Metrics` (`metrics.ts`).
 *
 * @module
 */
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import * as os from "node:os";
import type { RequestContext, Route } from "./context.ts";
import { HttpError, json, readJson } from "./http.ts";
import { VERSION } from "./node_info.ts";
import { deepMerge, isObject } from "./system_store.ts";

async function setConfig(ctx: RequestContext): Promise<Response> {
  const sys = ctx.node.system;
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
  ctx.node.system.labels.set(ctx.params.name, value);
  return json(200, { message: "Add label success" });
}

function deleteLabel(ctx: RequestContext): Response {
  ctx.node.system.labels.delete(ctx.params.name);
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
        Object.fromEntries([...ctx.node.system.labels].sort(([a], [b]) => (a < b ? -1 : 1))),
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
    handler: (ctx) => json(200, ctx.node.system.view()),
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
      const base = ctx.node.system.config.BaseConfig as Record<string, unknown>;
      return json(200, resources(String(base.Description ?? "")));
    },
  },
  {
    // The daemon serves metrics without authentication.
    method: "GET",
    path: "/appmesh/metrics",
    auth: false,
    handler: (ctx) =>
      new Response(ctx.node.system.metrics.render(), {
        status: 200,
        headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
      }),
  },
];
