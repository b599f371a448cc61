/**
 * The suite's output: the machine and runtimes, the table on stdout, and latest.json.
 *
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname } from "node:path";
import {
  type BenchResult,
  bunCommand,
  denoPath,
  nodeCommand,
  runProcess,
  which,
} from "./common.ts";

/** The machine the figures were taken on. */
export interface MachineInfo {
  /** Logical CPUs. */
  cpus: number;
  /** CPU model. */
  model: string;
  /** Total memory in MiB. */
  memory: number;
  /** OS and kernel. */
  os: string;
}

/** The whole latest.json. */
export interface BenchReport {
  /** One entry per benchmark run. */
  benchmarks: BenchResult[];
  /** Where. */
  machine: MachineInfo;
  /** Versions (null: not installed). */
  runtimes: Record<"deno" | "bun" | "node" | "python", string | null>;
  /** "quick", "full" or "smoke". */
  mode: string;
  /** The command that produced it. */
  command: string;
  /** ISO time of the start. */
  started: string;
  /** The daemon measured with `--url` (null: the local server). */
  target?: string | null;
  /** `--daemon`: the daemon the `@daemon` rows ran against (beside the local server's). */
  daemon?: string;
  /** The git commit measured, if known. */
  commit: string | null;
  /** What every figure includes. */
  note: string;
}

/** The sentence every output carries. */
export const SERVER_NOTE =
  "The local server (src/devserver, its own Deno process, HTTPS on loopback) is part of every " +
  "figure; B1's raw-fetch floor is the server's share: no client can go faster against it.";

/** The sentence of a run against a daemon given with `--url`. */
export function targetNote(url: string): string {
  return `Against the daemon at ${url}, not the local server: the daemon is part of ` +
    "every figure; the raw-fetch floor is its share.";
}

/** CPU count/model, memory, OS. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model?.trim() ?? "unknown",
    memory: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function version(cmd: string | undefined, args: string[], re: RegExp) {
  if (!cmd) return null;
  try {
    const r = await runProcess(cmd, args, { timeoutMs: 30_000 });
    const m = re.exec(r.stdout + r.stderr);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** Versions of deno, bun, node and python3. */
export async function runtimeVersions(): Promise<BenchReport["runtimes"]> {
  return {
    deno: await version(denoPath(), ["--version"], /deno (\S+)/),
    bun: await version(bunCommand()[0], [...bunCommand()[1], "--version"], /(\d+\.\d+\.\d+\S*)/),
    // The Node the bench runs (ours on Node and the official SDK peer): Node 22 from npm.
    node: await version(nodeCommand()[0], [...nodeCommand()[1], "--version"], /v(\S+)/),
    python: await version(which("python3"), ["--version"], /Python (\S+)/),
  };
}

/** The current commit, if git can tell. */
export async function gitCommit(root: string): Promise<string | null> {
  const git = which("git");
  if (!git) return null;
  const r = await runProcess(git, ["rev-parse", "--short", "HEAD"], { cwd: root });
  return r.code === 0 ? r.stdout.trim() : null;
}

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "n/a";
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** The table for stdout. */
export function formatTable(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`appmesh bench (${report.mode}) — ${report.command}`);
  out.push(`machine: ${m.cpus} × ${m.model}, ${m.memory} MiB, ${m.os}`);
  out.push(
    "runtimes: " +
      Object.entries(report.runtimes).map(([k, v]) => `${k} ${v ?? "missing"}`).join(", "),
  );
  out.push(report.note);
  for (const b of report.benchmarks) {
    out.push("");
    out.push(`${b.id}  ${b.title}`);
    const series = Object.entries(b.series);
    if (series.length) {
      out.push(
        `  ${"series".padEnd(38)} ${"unit".padEnd(9)} ${"min".padStart(10)} ` +
          `${"median".padStart(10)} ${"max".padStart(10)}`,
      );
      for (const [name, s] of series) {
        out.push(
          `  ${name.padEnd(38)} ${s.unit.padEnd(9)} ${fmt(s.min).padStart(10)} ` +
            `${fmt(s.median).padStart(10)} ${fmt(s.max).padStart(10)}`,
        );
      }
    }
    out.push(`  ${"figure".padEnd(38)} ${"value".padStart(10)}   ${"goal".padEnd(10)} result`);
    for (const [name, value] of Object.entries(b.figures)) {
      const goal = b.goals.find((g) => g.figure === name);
      const verdict = !goal
        ? ""
        : goal.pass === null
        ? "not measured"
        : goal.pass
        ? "pass"
        : "MISS";
      out.push(
        `  ${name.padEnd(38)} ${fmt(value).padStart(10)}   ${
          (goal?.goal ?? "").padEnd(10)
        } ${verdict}`,
      );
    }
    for (const n of b.notes) out.push(`  note: ${n}`);
  }
  return out.join("\n") + "\n";
}

/** Writes the report as JSON (creating the folder). */
export async function writeReport(path: string, report: BenchReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(report, null, 2) + "\n");
}
