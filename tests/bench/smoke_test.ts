/**
 * Smoke test of the benchmark suite: one short round of B1 (tiny counts), of B7 and of B1
 * against a given daemon (`--url`, and `--daemon` beside the local server's) through
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

test("bench --smoke --only B7 reports fleet figures per node count", () => {
  const dir = mkdtempSync(join(tmpdir(), "appmesh-bench-smoke-"));
  try {
    const out = join(dir, "latest.json");
    const r = spawnSync(
      Deno.execPath(),
      ["run", "-A", "bench/main.ts", "--smoke", "--only", "B7", "--out", out],
      { cwd: root, encoding: "utf8", timeout: 300_000 },
    );
    assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const b7 = JSON.parse(readFileSync(out, "utf8")).benchmarks[0];
    assert.equal(b7.id, "B7");
    // The smoke test's node counts are 2 and 4 (a full run: 32, 256, 1,000).
    for (const n of [2, 4]) {
      for (
        const k of [
          "wall_s",
          "cpu_ms_per_node_step",
          "peak_rss_mib",
          "report_kib",
          "report_write_ms",
          "junit_write_ms",
          "server_cpu_ms_per_node_step",
          "plain_lines",
          "tty_lines",
        ]
      ) {
        const v = b7.figures[`n${n}_${k}`];
        assert.equal(typeof v, "number", `n${n}_${k} is ${v}; notes: ${b7.notes.join("; ")}`);
      }
    }
    for (const k of ["cpu_per_node_step_largest_vs_smallest", "peak_rss_mib_largest"]) {
      assert.equal(typeof b7.figures[k], "number", `${k}; notes: ${b7.notes.join("; ")}`);
    }
    assert.deepEqual(b7.goals.map((g: { figure: string }) => g.figure), [
      "cpu_per_node_step_largest_vs_smallest",
      "peak_rss_mib_largest",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench --url --ca --user --password-stdin runs B1 against a given daemon", async () => {
  // The daemon: the local server in a process of its own, as the bench starts it.
  const { startServer } = await import("../../bench/common.ts");
  const server = await startServer();
  const dir = mkdtempSync(join(tmpdir(), "appmesh-bench-smoke-"));
  try {
    const out = join(dir, "latest.json");
    const url = server.info.urls[0];
    const r = spawnSync(
      Deno.execPath(),
      [
        ...["run", "-A", "bench/main.ts", "--smoke", "--only", "B1", "--out", out],
        ...["--url", url, "--ca", server.info.caFile, "--user", "admin", "--password-stdin"],
      ],
      { cwd: root, encoding: "utf8", timeout: 300_000, input: "admin123\n" },
    );
    assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(report.target, url);
    assert.match(report.note, /^Against the daemon at /);
    const b1 = report.benchmarks[0];
    assert.equal(typeof b1.figures.vs_floor, "number", `notes: ${b1.notes.join("; ")}`);

    // --daemon: the local server's run and the daemon's rows in one report.
    const both = spawnSync(
      Deno.execPath(),
      [
        ...["run", "-A", "bench/main.ts", "--smoke", "--only", "B1", "--out", out],
        ...["--daemon", url, "--daemon-ca", server.info.caFile, "--user", "admin"],
        "--password-stdin",
      ],
      { cwd: root, encoding: "utf8", timeout: 300_000, input: "admin123\n" },
    );
    assert.equal(both.status, 0, `bench failed:\n${both.stdout}\n${both.stderr}`);
    const joint = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(joint.target, null);
    assert.equal(joint.daemon, url);
    assert.deepEqual(joint.benchmarks.map((b: { id: string }) => b.id), ["B1", "B1@daemon"]);
    assert.match(joint.benchmarks[1].title, new RegExp(`against the daemon at ${url}`));
    for (const b of joint.benchmarks) {
      assert.equal(typeof b.figures.vs_floor, "number", `${b.id}: ${b.notes.join("; ")}`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
