/**
 * Clean-up under the local server's faults: deletions of run apps (after `wait`, on
 * interrupt) and `finally` deletions retry what can pass on a second try (503, cut
 * connections); what still cannot be deleted is printed and listed in the report's
 * `leftovers`, never silent. A connection lost after a node was reached fails that node
 * (exit 1), it does not make it "unreachable" (exit 3).
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import type { WorkflowEvent } from "../../src/workflow/language/spec.ts";
import { LOGIN, nodesLine, type World, world } from "./engine_helpers.ts";

async function appsOn(w: World, node: string): Promise<string[]> {
  const admin = await w.admin();
  return (await admin.forNode(node).listApps()).map((a) => String(a.name)).sort();
}

/** Retries announced for deleting `app` (the server logs no injected fault). */
const retries = (events: WorkflowEvent[], app: string) =>
  events.filter((e) =>
    e.type === "log" && e.message?.startsWith(`deleting temporary app ${app} failed`) &&
    /attempt \d\/\d/.test(e.message)
  ).length;

/** Log lines about apps left behind. */
const leftLines = (events: WorkflowEvent[]) =>
  events.filter((e) => e.type === "log" && /left behind/.test(e.message ?? ""));

/**
 * A run that registers an app (deleted in `finally`) and starts a process on every node, and
 * is interrupted once every node is inside its wait, at which moment `onInterrupt` runs.
 */
async function interruptedRun(
  w: World,
  keep: string,
  onInterrupt: () => void,
  onEvent: (e: WorkflowEvent) => void = () => {},
) {
  const yaml = `name: faulty
${nodesLine(w.nodes)}steps:
${LOGIN}  - id: app
    add_app: { name: ${keep}, command: "sleep 60" }
  - id: job
    run_async: { command: "echo started; sleep 60", shell: true }
  - id: done
    wait: { run: job, output: stream }
finally:
  - id: fin
    delete_app: { name: ${keep} }
`;
  const ctl = new AbortController();
  let printed = 0;
  return await w.run(yaml, {
    signal: ctl.signal,
    onEvent: (e) => {
      if (e.type === "step_output" && ++printed === w.nodes.length) {
        onInterrupt();
        ctl.abort();
      }
      onEvent(e);
    },
  });
}

test("cleanup: 503 on every deletion: retried, then printed and listed in leftovers", async () => {
  const w = await world(2);
  try {
    const before = await Promise.all(w.nodes.map((n) => appsOn(w, n)));
    const keep = "keep-503";
    const { report, events } = await interruptedRun(w, keep, () => {
      w.server.setFaults({ errorRate: 1, paths: ["/appmesh/app/"] });
    });
    w.server.setFaults(undefined);
    assert.equal(report.status, "interrupted");
    assert.equal(report.exit_code, 130);
    const left = report.leftovers ?? [];
    for (const [i, node] of w.nodes.entries()) {
      const n = report.nodes.find((x) => x.node === node)!;
      const runApp = String(n.steps.find((s) => s.id === "job")!.outputs?.app);
      const mine = left.filter((l) => l.node === node).map((l) => l.app).sort();
      assert.deepEqual(mine, [keep, runApp].sort(), `leftovers of ${node}`);
      // They are really there (and nothing else is).
      assert.deepEqual(await appsOn(w, node), [...before[i], keep, runApp].sort());
      for (const l of left) assert.match(l.error, /503|Injected fault/);
      // Each deletion was tried more than once.
      assert.ok(retries(events, runApp) >= 1, `deletion of ${runApp} not retried`);
      const fin = n.steps.find((s) => s.id === "fin")!;
      assert.equal(fin.status, "failure");
      assert.ok(fin.attempts > 1, `finally deletion of ${keep} not retried`);
    }
    assert.equal(leftLines(events).length, 4, "each leftover printed once");
    assert.match(report.summary, /4 app\(s\) left behind/);
    // Tidy up for the next test.
    const admin = await w.admin();
    for (const l of left) await admin.forNode(l.node).deleteApp(l.app);
  } finally {
    await w.close();
  }
});

test("cleanup: a 503 that passes on the second try leaves nothing behind", async () => {
  const w = await world(2);
  try {
    const before = await Promise.all(w.nodes.map((n) => appsOn(w, n)));
    const { report, events } = await interruptedRun(
      w,
      "keep-transient",
      () => w.server.setFaults({ errorRate: 1, paths: ["/appmesh/app/"] }),
      (e) => {
        // The first retry announced: the fault is over.
        if (e.type === "step_retry" || (e.type === "log" && /attempt 2\//.test(e.message ?? ""))) {
          w.server.setFaults(undefined);
        }
      },
    );
    w.server.setFaults(undefined);
    assert.equal(report.status, "interrupted");
    for (const [i, node] of w.nodes.entries()) {
      assert.deepEqual(await appsOn(w, node), before[i], `apps left on ${node}`);
    }
    assert.deepEqual(report.leftovers, []);
    assert.equal(leftLines(events).length, 0);
  } finally {
    await w.close();
  }
});

test("cleanup: the run app's deletion after wait fails: printed, listed, never silent", async () => {
  const w = await world(1);
  try {
    const before = await appsOn(w, w.nodes[0]);
    const yaml = `name: after-wait
${nodesLine(w.nodes)}steps:
${LOGIN}  - id: job
    run_async: { command: "echo hi", shell: true }
  - id: done
    wait: { run: job, output: stream }
`;
    const { report, events } = await w.run(yaml, {
      onEvent: (e) => {
        // The process printed: from now on the node answers 503 to app requests.
        if (e.type === "step_output") {
          w.server.setFaults({ errorRate: 1, paths: ["/appmesh/app/"] });
        }
      },
    });
    w.server.setFaults(undefined);
    const app = String(report.nodes[0].steps.find((s) => s.id === "job")!.outputs?.app);
    assert.deepEqual(report.leftovers?.map((l) => [l.node, l.app]), [[w.nodes[0], app]]);
    assert.deepEqual(await appsOn(w, w.nodes[0]), [...before, app].sort());
    assert.equal(leftLines(events).length, 1);
    assert.ok(retries(events, app) >= 1, "the deletion was not retried");
  } finally {
    await w.close();
  }
});

test("cleanup: cut connections: no orphan app; a node reached before fails with exit 1", async () => {
  const w = await world(2);
  try {
    const before = await Promise.all(w.nodes.map((n) => appsOn(w, n)));
    const yaml = `name: cut
${nodesLine(w.nodes)}steps:
${LOGIN}  - id: first
    run_sync: { command: "echo reached", shell: true }
  - id: job
    run_async: { command: "sleep 60", shell: true }
  - id: done
    wait: { run: job }
`;
    // Every answer to a run request is cut mid-body: the server started the process, the
    // runner never reads which app it was.
    w.server.setFaults({ cutRate: 1, paths: ["/appmesh/app/run"] });
    let report;
    try {
      ({ report } = await w.run(yaml));
    } finally {
      w.server.setFaults(undefined);
    }
    assert.equal(report.status, "failure");
    for (const n of report.nodes) {
      assert.equal(n.steps.find((s) => s.id === "first")!.status, "success");
      assert.equal(n.steps.find((s) => s.id === "job")!.status, "failure");
    }
    for (const [i, node] of w.nodes.entries()) {
      assert.deepEqual(await appsOn(w, node), before[i], `orphan app on ${node}`);
    }
    assert.deepEqual(report.leftovers, []);
    assert.equal(report.exit_code, 1, "a node reached before is no unreachable node");
  } finally {
    await w.close();
  }
});
