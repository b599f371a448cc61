/**
 * B6: cold start of the command line — `appmesh --version` and `appmesh workflow validate
 * workflows/demo.yaml` as `deno run` of src/cli/main.ts (the permissions of `deno task
 * appmesh`), hyperfine-style: warm-up runs, then the median of repeated child processes.
 *
 * Also measured, to separate our share from the runtime's: `deno run` of an empty script with
 * the same flags (the runtime's floor). The command line is Deno's (src/cli/main.ts uses
 * `Deno.*`), so there is no Bun figure.
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BenchOptions,
  type BenchResult,
  denoPath,
  errorText,
  RESULTS_DIR,
  ROOT,
  runProcess,
} from "./common.ts";
import { round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B6";
/** What it measures. */
export const title = "cold start: appmesh --version, appmesh workflow validate (deno run)";

/** The flags of `deno task appmesh`. */
export const DENO_FLAGS = [
  "run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

/** Runs a command `runs` times after `warmup` runs; wall ms per run (spawn to exit). */
async function timeRuns(
  cmd: string,
  args: string[],
  runs: number,
  warmup: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const r = await runProcess(cmd, args, { timeoutMs: 60_000 });
    const ms = performance.now() - t0;
    if (r.code !== 0) {
      throw new Error(
        `${args.slice(-3).join(" ")}: exit ${r.code}: ${r.stderr.trim().slice(-300)}`,
      );
    }
    if (i >= warmup) times.push(ms);
  }
  return times;
}

/** Not used in a child: B6 measures child processes itself. */
export function clientSide(): Promise<never> {
  return Promise.reject(new Error("B6 has no client side"));
}

/** Runs B6. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const runs = o.smoke ? 2 : o.quick ? 7 : 20;
  const warmup = 2;
  const main = join(ROOT, "src", "cli", "main.ts");
  const demo = join(ROOT, "workflows", "demo.yaml");
  const empty = join(RESULTS_DIR, "empty.ts");
  await writeFile(empty, "\n");
  const deno = denoPath();
  const cases: [string, string, string[]][] = [
    ["deno.version", deno, [...DENO_FLAGS, main, "--version"]],
    ["deno.validate", deno, [...DENO_FLAGS, main, "workflow", "validate", demo]],
    ["deno.empty_script", deno, [...DENO_FLAGS, empty]],
  ];
  for (const [name, cmd, args] of cases) {
    o.log(`B6: ${name} × ${runs}`);
    try {
      result.series[name] = summarize(await timeRuns(cmd, args, runs, warmup), "ms");
    } catch (e) {
      result.notes.push(`${name}: not measured: ${errorText(e)}`);
    }
  }
  const med = (k: string) => (result.series[k] ? round(result.series[k].median, 1) : null);
  const f = result.figures;
  f.version_ms = med("deno.version");
  f.validate_ms = med("deno.validate");
  f.runtime_floor_ms = med("deno.empty_script");
  for (const fig of ["version_ms", "validate_ms"]) {
    result.goals.push({ figure: fig, goal: "< 150", pass: f[fig] === null ? null : f[fig]! < 150 });
  }
  result.notes.push(
    `${warmup} warm-up runs, then ${runs}; wall time from spawn to exit. runtime_floor_ms = ` +
      "`deno run` of an empty script with the same flags: the runtime's own share.",
  );
  return result;
}
