/**
 * An interrupt (the run's AbortSignal) in the middle of waits on three nodes: no new step
 * starts, waits are cancelled, `finally` runs on every started node, the temporary run apps
 * are deleted everywhere, status `interrupted`, exit code 130 (143 for SIGTERM).
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { LOGIN, nodesLine, world } from "./engine_helpers.ts";

test("interrupt: finally everywhere, no temporary app left on any node", async () => {
  const w = await world(3);
  try {
    const yaml = `name: interrupted
${nodesLine(w.nodes)}steps:
${LOGIN}  - id: job
    run_async: { command: "echo started; sleep 60", shell: true }
  - id: done
    wait: { run: job, output: stream }
  - id: never
    add_label: { name: never, value: "1" }
finally:
  - id: fin
    add_label: { name: finally_ran, value: "\${{ job.status }}" }
`;
    for (const [reason, code] of [[undefined, 130], ["SIGTERM", 143]] as const) {
      const ctl = new AbortController();
      const printed = new Set<string>();
      const { report } = await w.run(yaml, {
        signal: ctl.signal,
        onEvent: (e) => {
          // Interrupt once every node is inside its wait (its process's output is streaming).
          if (e.type === "step_output" && e.step === "done") printed.add(e.node!);
          if (printed.size === 3 && !ctl.signal.aborted) queueMicrotask(() => ctl.abort(reason));
        },
      });
      assert.equal(report.status, "interrupted");
      assert.equal(report.exit_code, code);
      const admin = await w.admin();
      for (const node of report.nodes) {
        assert.equal(node.status, "interrupted");
        const s = Object.fromEntries(node.steps.map((x) => [x.id, x]));
        assert.equal(s.done.status, "failure");
        assert.match(s.done.error!, /interrupted/);
        assert.equal(s.never.status, "skipped");
        assert.equal(s.fin.status, "success");
        const view = admin.forNode(node.node);
        const labels = await view.listLabels();
        assert.equal(labels.finally_ran, "failure");
        assert.equal(labels.never, undefined);
        const app = String(s.job.outputs?.app);
        const names = (await view.listApps()).map((a) => a.name);
        assert.ok(!names.includes(app), `${app} left on ${node.node}`);
        await view.deleteLabel("finally_ran");
      }
    }
  } finally {
    await w.close();
  }
});
