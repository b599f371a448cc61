/**
 * The engine against a multi-node local server over HTTPS: fan-out and concurrency, a failing
 * node, fail_fast and max_failures, classified retries against the server's 5xx fault, a wait
 * timeout, a node that never answers, unreachable nodes.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { toJUnit } from "../../src/workflow/report/report.ts";
import { LOGIN, nodesLine, world } from "./engine_helpers.ts";

test("fan-out: concurrency observed, a failing node while the others succeed", async () => {
  const w = await world(3);
  try {
    const yaml = `name: fan
${nodesLine(w.nodes)}concurrency: 2
inputs:
  bad: { type: string, required: true }
steps:
${LOGIN}  - id: work
    run_sync: { command: "echo on-\${{ node.port }}", shell: true }
  - id: check
    assert: { that: "\${{ node.name != inputs.bad }}", message: "bad node \${{ node.name }}" }
  - id: after
    run_sync: { command: "true", shell: true }
finally:
  - id: fin
    add_label: { name: fin, value: "\${{ job.status }}" }
`;
    let inFlight = 0;
    let max = 0;
    const { report } = await w.run(yaml, {
      inputs: { bad: w.nodes[1] },
      onEvent: (e) => {
        if (e.type === "node_start") max = Math.max(max, ++inFlight);
        if (e.type === "node_end") inFlight--;
      },
    });
    assert.equal(max, 2);
    assert.equal(report.status, "failure");
    assert.equal(report.exit_code, 1);
    assert.deepEqual(report.nodes.map((n) => n.status), ["success", "failure", "success"]);
    const bad = report.nodes[1];
    assert.equal(bad.node, w.nodes[1]);
    assert.equal(bad.error, `check: bad node ${w.nodes[1]}`);
    assert.deepEqual(bad.steps.map((s) => s.status), [
      "success",
      "success",
      "failure",
      "skipped",
      "success",
    ]);
    assert.match(report.summary, new RegExp(`2/3 nodes ok, failed: ${w.nodes[1]}`));
    const admin = await w.admin();
    assert.equal((await admin.forNode(w.nodes[1]).listLabels()).fin, "failure");
    assert.equal((await admin.forNode(w.nodes[2]).listLabels()).fin, "success");
    const xml = toJUnit(report);
    assert.match(
      xml,
      new RegExp(`<testsuite name="${w.nodes[1]}" tests="5" failures="1" errors="0" skipped="1"`),
    );

    // fail_fast: one at a time, the first failure stops the rest.
    const ff = await w.run(yaml.replace("concurrency: 2", "concurrency: 1\nfail_fast: true"), {
      inputs: { bad: w.nodes[0] },
    });
    assert.deepEqual(ff.report.nodes.map((n) => n.status), ["failure", "skipped", "skipped"]);
    // max_failures: 2 nodes may fail before the rest is given up.
    const mf = await w.run(
      yaml.replace("concurrency: 2", "concurrency: 1\nmax_failures: 1"),
      { inputs: { bad: w.nodes[1] } },
    );
    assert.deepEqual(mf.report.nodes.map((n) => n.status), ["success", "failure", "skipped"]);
  } finally {
    await w.close();
  }
});

test("retries: a 5xx fault is retried, a 4xx is not; the backoff is reported", async () => {
  const w = await world(1);
  try {
    const yaml = `name: retries
steps:
${LOGIN}  - id: broken
    continue_on_error: true
    retry: { attempts: 3, backoff: exponential, interval: 1 }
    add_label: { name: a, value: b }
  - id: missing
    continue_on_error: true
    retry: { attempts: 3, backoff: fixed, interval: 1 }
    get_app: { name: no-such-app }
  - id: recovers
    retry: { attempts: 3, backoff: fixed, interval: 1 }
    add_label: { name: c, value: d }
`;
    w.server.setFaults({ errorRate: 1, paths: ["/appmesh/label/"] });
    const retried: string[] = [];
    const { report } = await w.run(yaml, {
      onEvent: (e) => {
        if (e.type !== "step_retry") return;
        retried.push(e.step!);
        // The fault goes away after the first failure of the last step.
        if (e.step === "recovers") w.server.setFaults(undefined);
      },
    }, (wf) => {
      for (const s of wf.steps) if (s.retry) s.retry.interval = 10;
    });
    const s = Object.fromEntries(report.nodes[0].steps.map((x) => [x.id, x]));
    assert.equal(s.broken.status, "allowed_failure");
    assert.equal(s.broken.attempts, 3);
    assert.match(s.broken.error!, /503/);
    assert.equal(s.missing.status, "allowed_failure");
    assert.equal(s.missing.attempts, 1);
    assert.match(s.missing.error!, /404/);
    assert.equal(s.recovers.status, "success");
    assert.equal(s.recovers.attempts, 2);
    assert.deepEqual(retried, ["broken", "broken", "recovers"]);
    assert.equal(report.status, "success");
  } finally {
    w.server.setFaults(undefined);
    await w.close();
  }
});

test("wait: a timeout fails the step and the engine deletes the run app", async () => {
  const w = await world(1);
  try {
    const { report } = await w.run(`name: slow
steps:
${LOGIN}  - id: job
    run_async: { command: "sleep 30", shell: true }
  - id: done
    wait: { run: job, timeout: 1 }
`);
    const [node] = report.nodes;
    assert.equal(node.status, "failure");
    const done = node.steps.find((s) => s.id === "done")!;
    assert.equal(done.status, "failure");
    assert.match(done.error!, /did not exit within 1/);
    const app = String(node.steps.find((s) => s.id === "job")!.outputs?.app);
    const admin = await w.admin();
    const names = (await admin.listApps()).map((a) => a.name);
    assert.ok(!names.includes(app), `${app} still registered`);
  } finally {
    await w.close();
  }
});

test("a node that never answers fails by its step timeout while the others finish", async () => {
  const w = await world(3);
  try {
    const port = w.server.nodes[1].port;
    // Every request about this node's app is held for ten minutes. The step timeout binds the
    // healthy nodes too: it leaves them room on a loaded machine (2 s did not, with the suite's
    // files run in parallel).
    w.server.setFaults({ latencyMs: 600_000, paths: [`/appmesh/app/probe-${port}`] });
    const { report } = await w.run(`name: hung
${nodesLine(w.nodes)}steps:
${LOGIN}  - timeout: 10
    add_app: { name: "probe-\${{ node.port }}", command: "sleep 60", shell: true }
  - delete_app: { name: "probe-\${{ node.port }}" }
`);
    assert.deepEqual(report.nodes.map((n) => n.status), ["success", "failure", "success"]);
    assert.match(report.nodes[1].error!, /timed out after 10s/);
    assert.equal(report.exit_code, 1);
  } finally {
    w.server.setFaults(undefined);
    await w.close();
  }
});

test("unreachable nodes count as failed; none reachable exits 3; refused login exits 3", async () => {
  const w = await world(1);
  try {
    const yaml = (nodes: string[]) =>
      `name: unreachable
${nodesLine(nodes)}steps:
${LOGIN}  - get_app: { name: nothing-here }
    continue_on_error: true
  - run_sync: { command: "true", shell: true }
`;
    const some = await w.run(yaml([w.nodes[0], "127.0.0.1:1"]));
    assert.deepEqual(some.report.nodes.map((n) => n.status), ["success", "failure"]);
    assert.equal(some.report.exit_code, 1);
    const none = await w.run(yaml(["127.0.0.1:1", "127.0.0.1:2"]));
    assert.deepEqual(none.report.nodes.map((n) => n.status), ["failure", "failure"]);
    assert.equal(none.report.exit_code, 3);
    // A fresh cookie file: the one of the runs above holds a token that would be reused.
    const refused = await w.run(yaml([w.nodes[0]]), {
      secrets: { PW: "wrong-password" },
      connection: { cookieFile: `${w.dir}/fresh-cookies.txt` },
    });
    assert.equal(refused.report.exit_code, 3);
    assert.match(refused.report.nodes[0].error!, /^#0: /);
    assert.ok(!JSON.stringify(refused).includes("wrong-password"));
  } finally {
    await w.close();
  }
});
