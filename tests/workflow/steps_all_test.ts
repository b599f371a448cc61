/**
 * Every step type against a two-node local server over HTTPS: the first node addressed
 * directly, the second through forwarding.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "../harness.ts";
import { LOGIN, nodesLine, world } from "./engine_helpers.ts";

/** A task worker in shell: answers each task with "done:<payload>". */
const WORKER = [
  'task="$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY"',
  "while true; do",
  '  payload=$(curl -sf --cacert "$CA" "$task") || { sleep 0.1; continue; }',
  `  printf 'done:%s' "$payload" | curl -sf --cacert "$CA" -X PUT --data-binary @- "$task"`,
  "done",
].join("\n");

test("steps: every step type on a direct and a forwarded node", async () => {
  const w = await world(2);
  try {
    const input = join(w.dir, "input.txt");
    const content = "payload ".repeat(20_000);
    await writeFile(input, content);
    const yaml = `name: every-step
${nodesLine(w.nodes)}
env:
  REMOTE_DIR: ${w.dir}
steps:
${LOGIN}  - id: app
    add_app: { name: wf-app, command: "sleep 60", shell: true, description: "from a workflow" }
  - id: again
    add_app: { name: wf-app, command: "sleep 60", shell: true, description: "from a workflow" }
  - assert:
      that: \${{ steps.app.changed && !steps.again.changed && steps.app.name == 'wf-app' }}
      message: add_app is not idempotent
  - disable_app: { name: wf-app }
  - id: off
    get_app: { name: wf-app }
  - enable_app: { name: wf-app }
  - id: on
    get_app: { name: wf-app }
  - assert: { that: "\${{ steps.off.status == 0 && steps.on.status == 1 }}" }
  - id: health
    check_app_health: { name: wf-app }
  - add_label: { name: wf_label, value: "\${{ node.port }}" }
  - delete_label: { name: wf_label }
  - id: cfg
    set_config: { config: { BaseConfig: { LogLevel: INFO } } }
  - assert: { that: "\${{ steps.cfg.config.BaseConfig.LogLevel == 'INFO' }}" }
  - id: job
    run_async: { command: "echo hello; echo world-\${{ node.port }}", shell: true }
  - id: done
    wait: { run: job, output: capture, timeout: PT60S }
  - assert:
      that: \${{ steps.done.exit_code == 0 && contains(steps.done.stdout, format('world-{0}', node.port)) }}
  - id: streamed
    run_async: { command: "echo streamed-line", shell: true }
  - wait: { run: streamed }
  - id: sync
    run_sync: { command: "echo sync; exit 3", shell: true, exit_codes: [0, 3] }
  - assert: { that: "\${{ steps.sync.exit_code == 3 && startsWith(steps.sync.stdout, 'sync') }}" }
  - id: worker
    add_app:
      name: wf-worker
      shell: true
      command: ${JSON.stringify(WORKER)}
      env: { URL: "https://127.0.0.1:\${{ node.port }}", CA: "${w.server.caFile}" }
  - id: task
    run_task: { app: wf-worker, data: "hi-\${{ node.port }}", timeout: 30 }
  - id: cancel
    cancel_task: { app: wf-worker }
  - upload_file: { local: input.txt, remote: "\${{ env.REMOTE_DIR }}/remote-\${{ node.port }}.txt" }
  - id: dl
    download_file:
      remote: \${{ env.REMOTE_DIR }}/remote-\${{ node.port }}.txt
      local: out/\${{ node.port }}/copy.txt
  - delete_app: { name: wf-worker }
  - id: gone
    delete_app: { name: wf-app }
  - id: gone_again
    delete_app: { name: wf-app }
  - logout: {}
`;
    const { report, events } = await w.run(yaml);
    const detail = JSON.stringify(report.nodes.map((n) => [n.node, n.error]));
    assert.equal(report.status, "success", detail);
    assert.equal(report.exit_code, 0);
    assert.equal(report.session.login, "performed");
    const sum = createHash("sha256").update(content).digest("hex");
    for (const node of report.nodes) {
      const port = node.node.split(":")[1];
      const s = Object.fromEntries(node.steps.map((x) => [x.id, x]));
      assert.equal(s.app.outputs?.name, "wf-app");
      assert.equal(s.again.outputs?.changed, false);
      assert.equal(typeof s.health.outputs?.healthy, "boolean");
      assert.equal(s.done.exit_code, 0);
      assert.match(String(s.done.outputs?.stdout), new RegExp(`hello\\nworld-${port}`));
      assert.equal(typeof s.done.outputs?.duration, "number");
      assert.equal(typeof s.job.outputs?.process_uuid, "string");
      assert.equal(s.sync.exit_code, 3);
      assert.equal(s.task.outputs?.result, `done:hi-${port}`);
      assert.equal(s.cancel.outputs?.cancelled, false);
      assert.equal(s.dl.outputs?.bytes, content.length);
      assert.equal(s.dl.outputs?.sha256, sum);
      const local = join(w.dir, "out", port, "copy.txt");
      assert.equal(s.dl.outputs?.path, local);
      assert.equal(await readFile(local, "utf8"), content);
      assert.equal((await stat(join(w.dir, `remote-${port}.txt`))).size, content.length);
      assert.equal(s.gone.outputs?.deleted, true);
      assert.equal(s.gone_again.outputs?.deleted, false);
      assert.ok(node.steps.every((x) => x.status === "success"), node.node);
      // The streamed wait's output arrived as events of this node.
      assert.ok(
        events.some((e) =>
          e.type === "step_output" && e.node === node.node && e.message?.includes("streamed-line")
        ),
      );
      assert.ok(events.some((e) => e.type === "step_progress" && e.node === node.node));
    }
    // The session steps ran once: one login, one logoff.
    assert.equal(w.requests.filter((l) => / POST \/appmesh\/login /.test(l)).length, 1);
    assert.equal(w.requests.filter((l) => / POST \/appmesh\/self\/logoff /.test(l)).length, 1);
  } finally {
    await w.close();
  }
});
