/**
 * The client side of a benchmark, in a child process on Deno or Bun:
 * `runner.ts <B1..B7> <job JSON>`. Prints the benchmark's result as one JSON line (or
 * `{"error": ...}` and exits 1).
 *
 * @module
 */
import process from "node:process";

const modules: Record<string, string> = {
  B1: "./b1_small_calls.ts",
  B2: "./b2_concurrency.ts",
  B3: "./b3_files.ts",
  B4: "./b4_wait.ts",
  B5: "./b5_workflow.ts",
  B7: "./b7_fleet.ts",
};

const [id, jobText] = process.argv.slice(2);
try {
  const mod = await import(modules[id]) as { clientSide(job: unknown): Promise<unknown> };
  const out = await mod.clientSide(JSON.parse(jobText));
  console.log(JSON.stringify(out));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
  process.exit(1);
}
