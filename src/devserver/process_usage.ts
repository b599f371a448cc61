/**
 * What the daemon reports of a running app's process tree (`memory`, `cpu`, `fd`, `pstree`),
 * read from /proc (undefined where there is none).
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import type { ProcessRun } from "./processes.ts";

/**
 * What the daemon reports of a running process tree (`memory`, `cpu`, `fd`, `pstree`).
 *
 * @example
 * ```ts
 * import type { ProcessUsage } from "./process_usage.ts";
 * const idle: ProcessUsage = { memory: 0, cpu: 0, fd: 3, pstree: "1 sleep" };
 * ```
 */
export interface ProcessUsage {
  /** Resident memory of the tree, bytes. */
  memory: number;
  /** CPU use of the tree since the previous sample (or the start), percent of one core. */
  cpu: number;
  /** Open file descriptors of the tree. */
  fd: number;
  /** The tree, one `pid name` line per process, children indented. */
  pstree: string;
}

const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;

interface ProcInfo {
  pid: number;
  ppid: number;
  name: string;
  ticks: number;
  rss: number;
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const rest = stat.slice(close + 2).split(" ");
    // Fields after the name: state(3) ppid(4) ... utime(14) stime(15) ... rss(24).
    return {
      pid,
      ppid: Number(rest[1]),
      name: stat.slice(open + 1, close),
      ticks: Number(rest[11]) + Number(rest[12]),
      rss: Number(rest[21]) * PAGE_SIZE,
    };
  } catch {
    return undefined;
  }
}

/**
 * `memory`, `cpu`, `fd` and `pstree` of a running process and its descendants, from /proc;
 * undefined where there is no /proc (not Linux) or the process is gone.
 *
 * @example
 * ```ts
 * import { OutputLog } from "./output.ts";
 * import { ProcessRun } from "./processes.ts";
 * import { processUsage } from "./process_usage.ts";
 * const output = new OutputLog(`/tmp/appmesh-usage-example-${Date.now()}.out`);
 * const run = new ProcessRun({ command: "sleep 5", shell: true, env: {}, cwd: "/tmp", appName: "x", output });
 * console.log(processUsage(run)?.memory);
 * run.kill();
 * await run.done;
 * output.remove();
 * ```
 */
export function processUsage(run: ProcessRun): ProcessUsage | undefined {
  const root = procInfo(run.pid);
  if (!root) return undefined;
  const all: ProcInfo[] = [];
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === run.pid) continue;
      const info = procInfo(Number(entry));
      if (info) all.push(info);
    }
  } catch {
    return undefined;
  }
  const tree: ProcInfo[] = [];
  const lines: string[] = [];
  const walk = (p: ProcInfo, depth: number) => {
    tree.push(p);
    lines.push(`${"  ".repeat(depth)}${p.pid} ${p.name}`);
    for (const c of all) if (c.ppid === p.pid) walk(c, depth + 1);
  };
  walk(root, 0);
  let fd = 0;
  for (const p of tree) {
    try {
      fd += readdirSync(`/proc/${p.pid}/fd`).length;
    } catch { /* not ours to read, or gone */ }
  }
  const ticks = tree.reduce((n, p) => n + p.ticks, 0);
  const now = Date.now();
  const [lastTicks, lastMs] = run.cpuSample ?? [0, run.startedAt];
  run.cpuSample = [ticks, now];
  const seconds = (now - lastMs) / 1000;
  const cpu = seconds > 0 ? Math.max(0, ((ticks - lastTicks) / CLOCK_TICKS) / seconds * 100) : 0;
  return {
    memory: tree.reduce((n, p) => n + p.rss, 0),
    cpu: Math.round(cpu * 100) / 100,
    fd,
    pstree: lines.join("\n"),
  };
}
