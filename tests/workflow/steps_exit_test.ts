/**
 * A failing command fails its step (`run_sync`, `wait`), unless the step opts out with
 * `check: false` or `exit_codes`; the failure shows the last lines of the output, masked, in
 * the report, the events and JUnit, whatever the `output` mode.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { LOGIN, world } from "./engine_helpers.ts";
import { toJUnit } from "../../src/workflow/report/report.ts";
import {
  acceptedCodes,
  ExitCodeError,
  explainExit,
  lastLines,
  TAIL_BYTES,
  TAIL_WINDOW,
} from "../../src/workflow/language/exit_codes.ts";
import { Masker } from "../../src/workflow/run/secrets.ts";

/** A shell command printing `line 1` .. `line N`, a line with the password, then exiting. */
function noisy(lines: number, code: number): string {
  return `for i in $(seq 1 ${lines}); do echo "line $i"; done; ` +
    `echo "token=\${{ secrets.PW }}"; exit ${code}`;
}

test("exit: a non-zero run_sync fails its step and the run, with the masked last lines", async () => {
  const w = await world(1);
  try {
    const { report, events } = await w.run(`name: failing
steps:
${LOGIN}  - id: s
    run_sync: { command: '${noisy(30, 3)}', shell: true, output: discard }
  - id: never
    run_sync: { command: "echo not reached", shell: true }
finally:
  - id: after
    assert: { that: "\${{ steps.s.exit_code == 3 }}", message: exit code not readable }
`);
    assert.equal(report.status, "failure");
    assert.equal(report.exit_code, 1);
    const steps = Object.fromEntries(report.nodes[0].steps.map((s) => [s.id, s]));
    assert.equal(steps.s.status, "failure");
    assert.equal(steps.s.exit_code, 3);
    assert.equal(steps.never.status, "skipped");
    // Its outputs stay readable by the steps that run after a failure.
    assert.equal(steps.after.status, "success", steps.after.error);
    assert.equal(
      steps.s.error,
      'process exited with code 3; last output: "token=***"',
    );
    const tail = steps.s.output_tail!.trimEnd().split("\n");
    assert.equal(tail.length, 20);
    assert.equal(tail[0], "line 12");
    assert.equal(tail.at(-1), "token=***");
    const end = events.find((e) => e.type === "step_end" && e.step === "s")!;
    assert.equal(end.data?.output_tail, steps.s.output_tail);
    const xml = toJUnit(report);
    assert.match(xml, /<failure message="process exited with code 3[^>]*>[^<]*line 12\n/);
    assert.match(xml, /line 30\ntoken=\*\*\*<\/failure>/);
    assert.ok(!JSON.stringify(report).includes("admin123"), "the password leaked");
    assert.ok(!JSON.stringify(events).includes("admin123"), "the password leaked");
  } finally {
    await w.close();
  }
});

test("exit: check: false and exit_codes accept exit codes; wait fails by default", async () => {
  const w = await world(1);
  try {
    const { report } = await w.run(`name: opt-out
steps:
${LOGIN}  - id: unchecked
    run_sync: { command: "exit 5", shell: true, check: false }
  - id: listed
    run_sync: { command: "exit 1", shell: true, exit_codes: [0, 1] }
  - id: unlisted
    run_sync: { command: "echo two; exit 2", shell: true, exit_codes: [0, 1] }
    continue_on_error: true
  - id: job
    run_async: { command: "echo started; echo failing >&2; exit 4", shell: true }
  - id: waited
    wait: { run: job, output: stream, timeout: PT60S }
    continue_on_error: true
  - id: job2
    run_async: { command: "exit 4", shell: true }
  - id: waited2
    wait: { run: job2, check: false, timeout: PT60S }
  - assert: { that: "\${{ steps.waited2.exit_code == 4 && steps.unchecked.exit_code == 5 }}" }
`);
    const steps = Object.fromEntries(report.nodes[0].steps.map((s) => [s.id, s]));
    assert.equal(steps.unchecked.status, "success");
    assert.equal(steps.listed.status, "success");
    assert.equal(steps.unlisted.status, "allowed_failure");
    assert.equal(steps.unlisted.output_tail, "two\n");
    assert.equal(steps.waited.status, "allowed_failure");
    assert.equal(steps.waited.exit_code, 4);
    assert.match(steps.waited.error!, /exited with code 4; last output: "failing"/);
    assert.equal(steps.waited.output_tail, "started\nfailing\n");
    assert.equal(steps.waited2.status, "success");
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0].steps));
    assert.match(
      toJUnit(report),
      /allowed failure: [^<]*last output:\nstarted\nfailing<\/system-out>/,
    );
  } finally {
    await w.close();
  }
});

test("exit: the tail is masked before it is cut, at most 20 lines and 4 KiB", () => {
  const secret = "s3cret-value-that-is-long";
  const masker = new Masker([secret]);
  const mask = (t: string) => masker.mask(t);
  // A secret straddling the start of the kept window never shows in part.
  const pad = "x".repeat(TAIL_WINDOW - 10);
  const e = new ExitCodeError("process", {
    exitCode: 1,
    output: `${secret}\n${pad}\n${secret} end\n`,
    outputs: {},
  });
  const { error, tail } = explainExit(e, mask);
  assert.equal(error, 'process exited with code 1; last output: "*** end"');
  assert.ok(!tail!.includes("s3cret") && !tail!.includes("value-that"), tail!.slice(0, 80));
  assert.ok(new TextEncoder().encode(tail).length <= TAIL_BYTES);
  assert.ok(tail!.endsWith("*** end\n"));
  // Lines: the last 20; a line longer than 4 KiB keeps its end.
  const many = Array.from({ length: 50 }, (_, i) => `l${i}`).join("\n") + "\n";
  assert.equal(lastLines(many, 20, 4096).split("\n")[0], "l30");
  assert.equal(lastLines("é".repeat(5000), 20, 4096).length, 2047);
  assert.equal(lastLines("", 20, 4096), "");
  // No exit code at all is a failure too, without a tail when nothing was printed.
  const none = explainExit(
    new ExitCodeError("process", { exitCode: undefined, output: "", outputs: {} }),
    mask,
  );
  assert.deepEqual(none, { error: "process ended without an exit code" });
  assert.throws(() => acceptedCodes({ check: true, exit_codes: [] }), /"exit_codes" is empty/);
  assert.throws(() => acceptedCodes({ exit_codes: ["0"] }), /list of integers/);
  assert.deepEqual(acceptedCodes({ check: true, exit_codes: [0, 1] }), [0, 1]);
  assert.equal(acceptedCodes({ check: false, exit_codes: [0, 1] }), undefined);
  // 9 may be App Mesh's own kill: the message says so.
  const killed = new ExitCodeError("process", { exitCode: 9, output: "", outputs: {} });
  assert.match(killed.message, /code 9 \(also App Mesh's code for a process it killed/);
});
