/**
 * Smoke test of the benchmark suite: one short round of B1 (tiny counts) through
 * `bench/main.ts --smoke`, then the shape of the JSON it writes. No timing is asserted.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

function isNumberOrNull(v: unknown): boolean {
  return v === null || (typeof v === "number" && Number.isFinite(v));
}

test("bench --smoke --only B1 writes latest.json of the documented shape", () => {
  const dir = mkdtempSync(join(tmpdir(), "appmesh-bench-smoke-"));
  try {
    const out = join(dir, "latest.json");
    const r = spawnSync(
      Deno.execPath(),
      ["run", "-A", "bench/main.ts", "--smoke", "--only", "B1", "--out", out],
      { cwd: root, encoding: "utf8", timeout: 300_000 },
    );
    assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /B1 .*small calls/);
    assert.match(r.stdout, /part of every figure/);

    const report = JSON.parse(readFileSync(out, "utf8"));
    assert.ok(Array.isArray(report.benchmarks));
    assert.equal(report.benchmarks.length, 1);
    const b1 = report.benchmarks[0];
    assert.equal(b1.id, "B1");
    assert.equal(typeof b1.title, "string");
    assert.equal(typeof b1.figures, "object");
    for (const key of ["vs_floor", "bun_vs_floor", "vs_appmesh_node", "vs_python_requests"]) {
      assert.ok(key in b1.figures, `figure ${key} missing`);
      assert.ok(isNumberOrNull(b1.figures[key]), `figure ${key} is ${b1.figures[key]}`);
    }
    // The floor and our client on Deno and on Bun always run (Bun through `npx -y bun@1` when it
    // is not on the PATH, as the suite gets it); the peers may be skipped with a note.
    assert.equal(typeof b1.figures.vs_floor, "number", `notes: ${b1.notes.join("; ")}`);
    assert.equal(typeof b1.figures.bun_vs_floor, "number", `notes: ${b1.notes.join("; ")}`);
    for (const name of ["deno.floor", "deno.ours", "bun.floor", "bun.ours"]) {
      const s = b1.series[name];
      assert.ok(s, `series ${name} missing`);
      assert.ok(s.min <= s.median && s.median <= s.max);
      assert.ok(s.median > 0);
    }
    for (const g of b1.goals) {
      assert.equal(typeof g.figure, "string");
      assert.ok(g.pass === null || typeof g.pass === "boolean");
    }

    const m = report.machine;
    assert.ok(Number.isInteger(m.cpus) && m.cpus > 0);
    assert.equal(typeof m.model, "string");
    assert.ok(typeof m.memory === "number" && m.memory > 0);
    assert.equal(typeof m.os, "string");
    for (const rt of ["deno", "bun", "node", "python"]) {
      assert.ok(rt in report.runtimes, `runtime ${rt} missing`);
      const v = report.runtimes[rt];
      assert.ok(v === null || typeof v === "string");
    }
    assert.equal(typeof report.runtimes.deno, "string");
    assert.equal(typeof report.runtimes.bun, "string");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
