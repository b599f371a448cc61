/**
 * Child process of the hostile-file tests: `appmesh workflow validate FILE` the way the
 * command does it (load, then format every error), then one JSON line on stdout with the
 * time taken, the peak resident memory (Linux: VmHWM) and what was printed.
 *
 * Usage: `deno run -A _validate_child.ts FILE` (or `bun _validate_child.ts FILE`).
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { loadWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";

const file = process.argv[process.argv.length - 1];
const t0 = performance.now();
let text = "";
let omitted = 0;
let issues = 0;
try {
  await loadWorkflow(file);
} catch (e) {
  if (!(e instanceof WorkflowError)) throw e;
  text = e.format();
  omitted = e.omitted;
  issues = e.issues.length;
}
const ms = Math.round(performance.now() - t0);
const status = await readFile("/proc/self/status", "utf8").catch(() => "");
const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
console.log(JSON.stringify({ ms, peakKb, issues, omitted, text }));
