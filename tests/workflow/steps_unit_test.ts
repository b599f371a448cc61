/**
 * Pure helpers of the step files: add_app's comparison, durations, the output cap, the
 * inline App of run steps.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { sameDefinition } from "../../src/workflow/language/steps/add_app.ts";
import {
  OUTPUT_CAP,
  OutputBuffer,
  runTarget,
  toSeconds,
} from "../../src/workflow/language/step_util.ts";

test("add_app: an identical app is recognised despite server defaults", () => {
  const registered = {
    name: "a",
    command: "sleep 1",
    shell: true,
    behavior: { exit: "standby" },
    owner: "admin",
    register_time: 1,
    env: { A: "1" },
  };
  assert.equal(sameDefinition({ name: "a", command: "sleep 1", shell: true }, registered), true);
  assert.equal(
    sameDefinition({ name: "a", command: "sleep 1", env: { A: "1" } }, registered),
    true,
  );
  assert.equal(sameDefinition({ name: "a", command: "sleep 2" }, registered), false);
  assert.equal(
    sameDefinition({ name: "a", command: "sleep 1", env: { A: "2" } }, registered),
    false,
  );
  assert.equal(
    sameDefinition({ name: "a", command: "sleep 1", docker_image: "" }, registered),
    true,
  );
  assert.equal(sameDefinition({ name: "a", sec_env: { K: "v" } }, registered), false);
});

test("durations, output cap, run targets", () => {
  assert.equal(toSeconds("PT1H30M"), 5400);
  assert.equal(toSeconds("P1W"), 604800);
  assert.equal(toSeconds("P2DT12H"), 216000);
  assert.equal(toSeconds(90), 90);
  assert.equal(toSeconds("45"), 45);
  assert.throws(() => toSeconds("PT"));

  const b = new OutputBuffer();
  b.push("x".repeat(OUTPUT_CAP));
  b.push("tail");
  assert.equal(b.text().length, OUTPUT_CAP);
  assert.ok(b.text().endsWith("tail"));
  assert.equal(b.truncated, true);
  const small = new OutputBuffer();
  small.push("a\n");
  small.push("b\n");
  assert.equal(small.text(), "a\nb\n");
  assert.equal(small.truncated, false);

  assert.deepEqual(runTarget({ app: "reg", max_time: 5 }), { name: "reg" });
  assert.deepEqual(
    runTarget({ command: "ls", shell: true, env: { A: "1" }, lifecycle: 9, output: "capture" }),
    { command: "ls", shell: true, env: { A: "1" } },
  );
  // The exit-code fields are the runner's, never sent as App fields.
  assert.deepEqual(runTarget({ command: "ls", check: true, exit_codes: [0, 1] }), {
    command: "ls",
  });
});
