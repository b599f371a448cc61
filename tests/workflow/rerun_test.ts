/**
 * Re-running what failed, against a 3-node local server: only the failed node runs again,
 * from its failed step when the steps before it are `rerun: skip` (their recorded outputs
 * restored), from its first step otherwise (and the run says why); interrupted and unstarted
 * nodes count as failed; the new report links the old run; bad reports are refused.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "../harness.ts";
import { LOGIN, nodesLine, world } from "./engine_helpers.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";
import {
  MAX_REPORT_BYTES,
  nodesToRerun,
  parseRunReport,
  readRunReport,
  rerunInputs,
} from "../../src/workflow/run/rerun.ts";
import { type Report, toJUnit } from "../../src/workflow/report/report.ts";
import { generateSchema } from "../../src/workflow/language/schema.ts";

/**
 * Labels the node (lasting), records a version (an output read later), then `apply` fails
 * once on the node named by `inputs.flaky` (a marker file remembers the first attempt).
 */
function flaky(nodes: string[], dir: string, opts: { markVersion?: boolean } = {}): string {
  return `name: rr
inputs:
  flaky: { type: string, default: "" }
${nodesLine(nodes)}steps:
${LOGIN}  - id: label
    add_label: { name: "rr-\${{ node.port }}", value: "staged" }
    rerun: skip
  - id: ver
    run_sync: { command: "echo v7", shell: true }
${opts.markVersion === false ? "" : "    rerun: skip\n"}  - id: apply
    run_sync:
      shell: true
      env:
        N: \${{ node.name }}
        F: \${{ inputs.flaky }}
        M: ${dir}/mark-\${{ node.port }}
        V: \${{ steps.ver.stdout }}
      command: >-
        if [ "$N" = "$F" ] && [ ! -e "$M" ]; then touch "$M"; echo "not yet"; exit 3; fi;
        echo "applied $V"
  - assert: { that: "\${{ contains(steps.apply.stdout, 'applied v7') }}" }
finally:
  - id: bye
    run_sync: { command: "echo bye", shell: true }
`;
}

/** The request lines of one node (`NODE METHOD PATH STATUS`) logged since `from`. */
function requestsOf(requests: string[], from: number, node: string): string[] {
  return requests.slice(from).filter((l) => l.includes(node));
}

test("rerun: only the failed node runs again; the new report links the old run", async () => {
  const w = await world(3);
  try {
    const yaml = flaky(w.nodes, w.dir);
    const first = await w.run(yaml, { inputs: { flaky: w.nodes[1] } });
    assert.equal(first.report.status, "failure");
    assert.deepEqual(nodesToRerun(first.report), [w.nodes[1]]);
    assert.deepEqual(first.report.inputs, { flaky: w.nodes[1] });

    const mark = w.requests.length;
    // No inputs given: the rerun takes the report's (the flaky node again).
    const again = await w.run(yaml, { rerun: { report: first.report } });
    assert.equal(again.report.status, "success", again.report.summary);
    assert.equal(again.report.exit_code, 0);
    assert.deepEqual(again.report.nodes.map((n) => n.node), [w.nodes[1]]);
    assert.equal(again.report.rerun_of, first.report.run_id);
    assert.notEqual(again.report.run_id, first.report.run_id);
    assert.deepEqual(again.report.inputs, { flaky: w.nodes[1] });
    assert.match(again.report.summary, new RegExp(`rerun of ${first.report.run_id}`));
    assert.match(toJUnit(again.report), /<property name="rerun_of" value="[^"]+"\/>/);
    const started = again.events.filter((e) => e.type === "node_start").map((e) => e.node);
    assert.deepEqual(started, [w.nodes[1]]);
    assert.equal(again.events[0].data?.rerun_of, first.report.run_id);
    // Without --from-failed-step every step runs again, the label included.
    assert.deepEqual(again.report.nodes[0].steps.map((s) => s.status), [
      "success",
      "success",
      "success",
      "success",
      "success",
      "success",
    ]);
    // The label was set on the failed node only (its line, and the entry server's forward).
    const labels = w.requests.slice(mark).filter((l) => /label/.test(l));
    assert.equal(labels.length, 2, labels.join("\n"));
    assert.equal(requestsOf(w.requests, mark, w.nodes[2]).length, 0);
  } finally {
    await w.close();
  }
});

test("rerun: --from-failed-step skips the marked steps, restores their outputs, runs finally", async () => {
  const w = await world(3);
  try {
    const yaml = flaky(w.nodes, w.dir);
    const first = await w.run(yaml, { inputs: { flaky: w.nodes[2] } });
    assert.equal(first.report.status, "failure");
    const mark = w.requests.length;
    const again = await w.run(yaml, { rerun: { report: first.report, fromFailedStep: true } });
    assert.equal(again.report.status, "success", again.report.summary);
    const steps = again.report.nodes[0].steps;
    assert.deepEqual(steps.map((s) => [s.id, s.status]), [
      ["#0", "success"], // login always runs
      ["label", "skipped"],
      ["ver", "skipped"],
      ["apply", "success"],
      ["#4", "success"],
      ["bye", "success"], // finally always runs
    ]);
    assert.equal(steps[1].done_in, first.report.run_id);
    assert.equal(steps[2].done_in, first.report.run_id);
    // The recorded output reached the step that reads it.
    assert.deepEqual(steps[2].outputs?.stdout, "v7\n");
    assert.match(String(steps[3].outputs?.stdout), /applied v7/);
    // The label was not set again, and the version command did not run again.
    const sent = requestsOf(w.requests, mark, w.nodes[2]);
    assert.equal(sent.filter((l) => /label/.test(l)).length, 0, sent.join("\n"));
    const notes = again.events.filter((e) => e.type === "log" && e.node === w.nodes[2]);
    assert.match(notes[0]?.message ?? "", /resumes at step "apply": 3 step\(s\) before it done/);

    // A rerun of the rerun: nothing failed, nothing to do, nothing sent.
    const before = w.requests.length;
    const none = await w.run(yaml, { rerun: { report: again.report, fromFailedStep: true } });
    assert.deepEqual(none.report.nodes, []);
    assert.equal(none.report.status, "success");
    assert.equal(none.report.exit_code, 0);
    assert.equal(w.requests.length, before, "no request for a rerun with nothing failed");
  } finally {
    await w.close();
  }
});

test("rerun: a node whose earlier steps may not be skipped runs from its first step", async () => {
  const w = await world(2);
  try {
    const yaml = flaky(w.nodes, w.dir, { markVersion: false });
    const first = await w.run(yaml, { inputs: { flaky: w.nodes[0] } });
    const mark = w.requests.length;
    const again = await w.run(yaml, { rerun: { report: first.report, fromFailedStep: true } });
    assert.equal(again.report.status, "success");
    assert.ok(again.report.nodes[0].steps.every((s) => s.status === "success"));
    const note = again.events.find((e) => e.type === "log" && e.node === w.nodes[0]);
    assert.equal(note?.message, 'runs from its first step: step "ver" is not marked "rerun: skip"');
    assert.ok(requestsOf(w.requests, mark, w.nodes[0]).some((l) => /label/.test(l)));
  } finally {
    await w.close();
  }
});

test("rerun: outputs read later that the report masked or lacks mean a run from the start", async () => {
  const w = await world(1);
  try {
    const yaml = flaky(w.nodes, w.dir);
    const first = await w.run(yaml, { inputs: { flaky: w.nodes[0] } });
    const masked = structuredClone(first.report);
    masked.nodes[0].steps[2].outputs = { stdout: "*** v7" };
    const r1 = await w.run(yaml, { rerun: { report: masked, fromFailedStep: true } });
    const n1 = r1.events.find((e) => e.type === "log" && e.node === w.nodes[0]);
    assert.equal(
      n1?.message,
      'runs from its first step: step "ver": its outputs, read later, are masked (***) in the report',
    );
    // The marker was left by the first run: this run from the start succeeds.
    assert.equal(r1.report.status, "success");

    const lacking = structuredClone(first.report);
    delete lacking.nodes[0].steps[2].outputs;
    const plan = await w.run(yaml, { rerun: { report: lacking, fromFailedStep: true } });
    const n2 = plan.events.find((e) => e.type === "log" && e.node === w.nodes[0]);
    assert.match(n2?.message ?? "", /step "ver": its outputs, read later, are not in the report/);

    // A step allowed to fail did not leave what it was to leave.
    const allowed = structuredClone(first.report);
    allowed.nodes[0].steps[1].status = "allowed_failure";
    const r4 = await w.run(yaml, { rerun: { report: allowed, fromFailedStep: true } });
    const n4 = r4.events.find((e) => e.type === "log" && e.node === w.nodes[0]);
    assert.match(
      n4?.message ?? "",
      /^runs from its first step: step "label" did not succeed in run /,
    );

    // A workflow whose steps changed since that run: from the start too.
    const changed = yaml.replace(
      "  - assert:",
      "  - id: extra\n    assert: { that: true }\n  - assert:",
    );
    const r3 = await w.run(changed, { rerun: { report: first.report, fromFailedStep: true } });
    const n3 = r3.events.find((e) => e.type === "log" && e.node === w.nodes[0]);
    assert.match(n3?.message ?? "", /its steps in run \S+ are not the workflow's steps now/);
  } finally {
    await w.close();
  }
});

test("rerun: interrupted and unstarted nodes run again; an interrupted one resumes", async () => {
  const w = await world(3);
  try {
    const yaml = flaky(w.nodes, w.dir);
    const ok = await w.run(yaml);
    assert.equal(ok.report.status, "success");
    // The report of a run interrupted on node 2 during `apply`, node 3 never started.
    const report: Report = structuredClone(ok.report);
    report.status = "interrupted";
    report.exit_code = 130;
    const n2 = report.nodes[1];
    n2.status = "interrupted";
    n2.error = "interrupted";
    n2.steps[3] = { ...n2.steps[3], status: "failure", error: "interrupted" };
    n2.steps[4] = { id: "#4", type: "assert", status: "skipped", attempts: 0, duration_ms: 0 };
    report.nodes[2] = {
      node: w.nodes[2],
      status: "skipped",
      error: "not started (interrupted)",
      steps: [],
    };
    assert.deepEqual(nodesToRerun(report), [w.nodes[1], w.nodes[2]]);
    const mark = w.requests.length;
    const again = await w.run(yaml, { rerun: { report, fromFailedStep: true } });
    assert.equal(again.report.status, "success", again.report.summary);
    assert.deepEqual(again.report.nodes.map((n) => n.node), [w.nodes[1], w.nodes[2]]);
    assert.deepEqual(again.report.nodes[0].steps.map((s) => s.status).slice(1, 4), [
      "skipped",
      "skipped",
      "success",
    ]);
    assert.ok(again.report.nodes[1].steps.every((s) => s.status === "success"));
    const notes = new Map(
      again.events.filter((e) => e.type === "log" && e.node).map((e) => [e.node, e.message]),
    );
    assert.match(notes.get(w.nodes[1]) ?? "", /^resumes at step "apply"/);
    assert.match(notes.get(w.nodes[2]) ?? "", /runs from its first step: it had not started/);
    const started = again.events.filter((e) => e.type === "node_start").map((e) => e.node);
    assert.deepEqual(started, [w.nodes[1], w.nodes[2]], "node 1 had succeeded");
    assert.ok(w.requests.length > mark);
  } finally {
    await w.close();
  }
});

test("rerun: a report of another workflow, not a report, or with nodes: refused before sending", async () => {
  const w = await world(1);
  try {
    const yaml = flaky(w.nodes, w.dir);
    const first = await w.run(yaml, { inputs: { flaky: w.nodes[0] } });
    const mark = w.requests.length;
    const other = { ...first.report, workflow: "other" };
    await assert.rejects(
      () => w.run(yaml, { rerun: { report: other } }),
      (e: unknown) =>
        e instanceof WorkflowError && /is a run of workflow "other", not of "rr"/.test(e.message),
    );
    await assert.rejects(
      () => w.run(yaml, { rerun: { report: { nodes: 3 } as unknown as Report } }),
      (e: unknown) => e instanceof WorkflowError && /not a run report/.test(e.message),
    );
    await assert.rejects(
      () => w.run(yaml, { rerun: { report: first.report }, nodes: [w.nodes[0]] }),
      (e: unknown) => e instanceof WorkflowError && /nodes: not with rerun/.test(e.message),
    );
    assert.equal(w.requests.length, mark, "nothing sent");

    // Files: missing, a directory, not JSON, JSON of another shape, a good one.
    const file = join(w.dir, "run.json");
    await assert.rejects(() => readRunReport(file), /cannot read the report: no such file/);
    await assert.rejects(() => readRunReport(w.dir), /cannot read the report: a directory/);
    await writeFile(file, "name: rr\n");
    await assert.rejects(() => readRunReport(file), /not JSON/);
    // Not text, or far bigger than any report: refused (the big one without being read).
    await writeFile(file, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    await assert.rejects(() => readRunReport(file), /not UTF-8 text: not a run report/);
    await truncate(file, MAX_REPORT_BYTES + 1);
    await assert.rejects(() => readRunReport(file), /more than \d+ bytes: not a run report/);
    await writeFile(file, JSON.stringify({ workflow: "rr", run_id: "x", nodes: [{ node: 1 }] }));
    await assert.rejects(() => readRunReport(file), /nodes\[0\] is not a node's result/);
    await writeFile(file, JSON.stringify(first.report));
    assert.equal((await readRunReport(file)).run_id, first.report.run_id);
    assert.throws(() => parseRunReport("[]", "a.json"), /a\.json.*not a JSON object/);
  } finally {
    await w.close();
  }
});

test("rerun: inputs of the report, those still declared and not masked, under --input", () => {
  const declared = { a: {}, b: {}, c: {} };
  assert.deepEqual(
    rerunInputs(declared, { inputs: { a: 1, b: "***", gone: 2, c: "x" } }, { c: "y" }),
    { a: 1, c: "y" },
  );
  assert.deepEqual(rerunInputs(declared, {}), {});
});

test("rerun: validation knows rerun: (enum, did-you-mean, where skip cannot be) and the schema", () => {
  const bad = `name: v
steps:
  - login: { user: a, password: "\${{ secrets.X }}" }
    rerun: skip
  - id: job
    run_async: { command: "sleep 1" }
    rerun: skip
  - run_sync: { command: x }
    rerun: maybe
  - run_sync: { command: x }
    re_run: skip
finally:
  - run_sync: { command: x }
    rerun: skip
`;
  let err: WorkflowError | undefined;
  try {
    parseWorkflow(bad, { file: "v.yaml" });
  } catch (e) {
    err = e as WorkflowError;
  }
  assert.ok(err instanceof WorkflowError);
  const lines = err.issues.map((i) =>
    `${i.line}:${i.col} ${i.message}${i.hint ? ` (${i.hint})` : ""}`
  );
  assert.deepEqual(lines, [
    '4:12 "rerun" in steps[0] cannot be "skip": login always runs (once per run, on the saved session) (remove "rerun: skip")',
    '7:12 "rerun" in step "job" cannot be "skip": its app is temporary (deleted when the node ends), so nothing of it lasts to a rerun (remove "rerun: skip")',
    '9:12 bad value "maybe" for "rerun" in steps[2]: expected run or skip',
    '11:5 unknown key "re_run" in steps[3] (did you mean "rerun"?)',
    '14:12 "rerun" in finally[0] cannot be "skip": a finally step always runs (remove "rerun: skip")',
  ]);
  const wf = parseWorkflow("steps:\n  - add_label: { name: a, value: b }\n    rerun: skip\n");
  assert.equal(wf.steps[0].rerun, "skip");
  assert.equal(parseWorkflow("steps:\n  - logout:\n").steps[0].rerun, undefined);
  const schema = JSON.stringify(generateSchema());
  assert.match(schema, /"rerun":\{"description":"`skip`: safe to skip[^}]*"enum":\["run","skip"\]/);
});

test("rerun: a node interrupted mid-step resumes at that step (and --input wins)", async () => {
  const w = await world(2);
  try {
    const yaml = `name: ri
inputs:
  slow: { type: string, default: "" }
${nodesLine(w.nodes)}steps:
${LOGIN}  - id: label
    add_label: { name: "ri-\${{ node.port }}", value: "x" }
    rerun: skip
  - id: apply
    run_sync:
      shell: true
      env: { N: "\${{ node.name }}", S: "\${{ inputs.slow }}" }
      command: if [ "$N" = "$S" ]; then sleep 30; fi; echo done
`;
    const stop = new AbortController();
    let fastDone = false, slowStarted = false;
    const first = await w.run(yaml, {
      inputs: { slow: w.nodes[1] },
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "node_end" && e.node === w.nodes[0]) fastDone = true;
        if (e.type === "step_start" && e.node === w.nodes[1] && e.step === "apply") {
          slowStarted = true;
        }
        if (fastDone && slowStarted) stop.abort();
      },
    });
    assert.equal(first.report.status, "interrupted");
    assert.deepEqual(first.report.nodes.map((n) => n.status), ["success", "interrupted"]);
    assert.deepEqual(nodesToRerun(first.report), [w.nodes[1]]);

    const again = await w.run(yaml, {
      inputs: { slow: "" },
      rerun: { report: first.report, fromFailedStep: true },
    });
    assert.equal(again.report.status, "success", again.report.summary);
    assert.deepEqual(again.report.inputs, { slow: "" });
    assert.deepEqual(again.report.nodes[0].steps.map((s) => [s.id, s.status]), [
      ["#0", "success"],
      ["label", "skipped"],
      ["apply", "success"],
    ]);
  } finally {
    await w.close();
  }
});
