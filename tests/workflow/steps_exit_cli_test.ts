/**
 * A failing command fails the `appmesh workflow run` that runs it (exit 1, `--quiet` and
 * JUnit included), and its last output lines follow the failure line, on stderr (progress
 * stays on stdout), so that `2>` keeps why a nightly job failed.
 */
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, assertNoStack, loginHead, runCli, startFixture } from "../cli/helpers.ts";
import { plainRenderer } from "../../src/cli/output/plain.ts";
import { ttyRenderer } from "../../src/cli/output/tty.ts";

const FAILURE =
  /step purge \(run_sync\) failure in [^\n]*exit 1: process exited with code 1; last output: "rm: cannot remove x: Permission denied"\n[^\n]*purge ! purging\n[^\n]*purge ! rm: cannot remove x: Permission denied\n/;

async function nightly(dir: string): Promise<string> {
  const file = `${dir}/wf.yaml`;
  await Deno.writeTextFile(
    file,
    [
      ...loginHead("nightly"),
      "  - id: purge",
      "    run_sync:",
      "      command: >-",
      "        echo purging; echo 'rm: cannot remove x: Permission denied' >&2; exit 1",
      "      shell: true",
      "      output: discard",
      "",
    ].join("\n"),
  );
  return file;
}

test("exit cli: --quiet --junit: a failing run_sync exits 1 and shows its last lines on stderr", async () => {
  const fx = await startFixture(1);
  try {
    const file = await nightly(fx.dir);
    const r = await runCli(
      ["workflow", "run", file, "--quiet", "--junit", `${fx.dir}/j.xml`],
      { env: fx.env },
    );
    assertCode(r, 1);
    assertNoStack(r.stderr);
    assert.match(r.stderr, FAILURE);
    assert.doesNotMatch(r.stdout, /purge/);
    assert.match(r.stdout + r.stderr, /nightly: failure: 0\/1 nodes ok/);
    const junit = await Deno.readTextFile(`${fx.dir}/j.xml`);
    assert.match(junit, /<failure [^>]*>[^<]*last output:\npurging\nrm: cannot remove x/);
  } finally {
    await fx.close();
  }
});

test("exit cli: plain output: progress on stdout, the failure and its last lines on stderr", async () => {
  const fx = await startFixture(1);
  try {
    const r = await runCli(["workflow", "run", await nightly(fx.dir)], { env: fx.env });
    assertCode(r, 1);
    assertNoStack(r.stderr);
    assert.match(r.stderr, FAILURE);
    assert.match(r.stdout, /step purge \(run_sync\) started/);
    assert.doesNotMatch(r.stdout, /failure in|purge !/);
  } finally {
    await fx.close();
  }
});

test("exit cli: the plain renderer prints a failed step's output tail under its failure line, to the failure sink", () => {
  const lines: string[] = [];
  const failures: string[] = [];
  const r = plainRenderer({ write: (l) => lines.push(l), writeFailure: (l) => failures.push(l) });
  r.event({
    type: "step_end",
    time: "2026-01-01T00:00:00.000Z",
    node: "n1",
    step: "s",
    step_type: "wait",
    status: "failure",
    message: 'process exited with code 2; last output: "b"',
    data: { duration_ms: 5, exit_code: 2, output_tail: "a\nb\n" },
  });
  assert.deepEqual(lines, []);
  assert.deepEqual(failures, [
    '2026-01-01T00:00:00.000Z [n1] step s (wait) failure in 5ms, exit 2: process exited with code 2; last output: "b"',
    "2026-01-01T00:00:00.000Z [n1] s ! a",
    "2026-01-01T00:00:00.000Z [n1] s ! b",
  ]);
});

test("exit cli: the terminal renderer prints the output tail under the failure line too, to the failure sink", () => {
  let text = "";
  let failures = "";
  const r = ttyRenderer({
    color: false,
    write: (t) => text += t,
    writeFailure: (t) => failures += t,
    columns: () => 120,
  });
  try {
    const base = { time: "2026-01-01T00:00:00.000Z", node: "n1", step: "s", step_type: "wait" };
    r.event({ ...base, type: "step_start", status: "running" });
    r.event({
      ...base,
      type: "step_end",
      status: "failure",
      message: 'process exited with code 2; last output: "b"',
      data: { duration_ms: 5, exit_code: 2, output_tail: "a\nb\n" },
    });
  } finally {
    r.close();
  }
  assert.doesNotMatch(text, /failure|s !/);
  assert.match(
    failures,
    /✘ \[n1\] s \(wait\) failure: process exited with code 2; last output: "b"\n {2}\[n1\] s ! a\n {2}\[n1\] s ! b\n/,
  );
});
