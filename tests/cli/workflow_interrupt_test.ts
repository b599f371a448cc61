/**
 * Ctrl-C as a person gives it: the README's own command (`deno task appmesh workflow run ...`)
 * in its own process group with SIGINT not ignored, the whole group signalled (as a
 * terminal does, so `deno task` passes the signal on and the runner gets it twice), against a
 * three-node local server. One interrupt: `finally` runs everywhere, no app is left, the
 * report is written, exit 130 (143 for SIGTERM). A signal after the announced grace period
 * abandons the clean-up: what was left is listed, exit 5.
 */
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import type { Report } from "../../src/workflow/report/report.ts";
import { cliLogin, type Fixture, startFixture } from "./helpers.ts";
import { show, startGroup } from "./group_helpers.ts";

function workflowFile(fx: Fixture, tag: string, finallySleep = false): string {
  return [
    `name: ctrl-c-${tag}`,
    `nodes: [${fx.nodes.map((n) => `"${n}"`).join(", ")}]`,
    "steps:",
    "  - login: { user: admin, password: '${{ secrets.APPMESH_PASSWORD }}' }",
    "  - id: app",
    `    add_app: { name: "${tag}-\${{ node.port }}", command: "sleep 60" }`,
    "  - id: job",
    '    run_async: { command: "echo started; sleep 60", shell: true }',
    "  - id: done",
    "    wait: { run: job, output: stream }",
    "finally:",
    ...(finallySleep ? ['  - run_sync: { command: "sleep 30", shell: true }'] : []),
    "  - id: fin",
    `    delete_app: { name: "${tag}-\${{ node.port }}" }`,
    "",
  ].join("\n");
}

async function appsEverywhere(fx: Fixture): Promise<Map<string, string[]>> {
  const admin = new AppMeshClient({ baseUrl: fx.server.urls[0], ca: fx.server.caFile });
  try {
    await admin.login("admin", "admin123");
    const all = new Map<string, string[]>();
    for (const n of fx.nodes) {
      all.set(n, (await admin.forNode(n).listApps()).map((a) => String(a.name)).sort());
    }
    return all;
  } finally {
    await admin.close();
  }
}

for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  test(`interrupt: ${sig} to the process group of \`deno task appmesh workflow run\`: nothing left`, async () => {
    const fx = await startFixture(3);
    try {
      await cliLogin(fx);
      const before = await appsEverywhere(fx);
      const file = `${fx.dir}/ctrl-c.yaml`;
      await Deno.writeTextFile(file, workflowFile(fx, `k${code}`));
      const report = `${fx.dir}/report.json`;
      const g = startGroup(["workflow", "run", file, "--report", report], fx);
      // Every node is inside its wait and its process printed.
      await g.waitFor("out", /done \| started/, 3);
      g.signal(sig);
      const status = await g.status;
      assert.equal(status.code, code, show(g));
      assert.equal(g.err.filter((l) => /stopping; running finally/.test(l)).length, 1, show(g));
      assert.ok(
        !g.err.some((l) =>
          /abandon|exiting now|left behind/.test(l.replace(/\(interrupt again.*\)/, ""))
        ),
        show(g),
      );
      const r = JSON.parse(await Deno.readTextFile(report)) as Report;
      assert.equal(r.status, "interrupted");
      assert.equal(r.exit_code, code);
      assert.deepEqual(r.leftovers, []);
      for (const n of r.nodes) {
        assert.equal(n.status, "interrupted");
        assert.equal(n.steps.find((s) => s.id === "fin")?.status, "success", JSON.stringify(n));
      }
      assert.deepEqual(await appsEverywhere(fx), before, "apps left on the nodes");
    } finally {
      await fx.close();
    }
  });
}

test("interrupt: a signal after the grace period abandons the clean-up, lists what was left, exit 5", async () => {
  const fx = await startFixture(3);
  try {
    await cliLogin(fx);
    const before = await appsEverywhere(fx);
    const file = `${fx.dir}/abandon.yaml`;
    // A slow `finally` step: the clean-up is still going when the grace period ends.
    await Deno.writeTextFile(file, workflowFile(fx, "abandon", true));
    const report = `${fx.dir}/report.json`;
    const g = startGroup(["workflow", "run", file, "--report", report], fx);
    await g.waitFor("out", /done \| started/, 3);
    g.signal("SIGINT");
    await g.waitFor("err", /still cleaning up; interrupt again to abandon/);
    // Pressed twice in a row (and each passed on by `deno task`): one abandon, not an exit
    // that skips the report.
    g.signal("SIGINT");
    g.signal("SIGINT");
    const status = await g.status;
    assert.equal(status.code, 5, show(g));
    assert.equal(g.err.filter((l) => /SIGINT again: abandoning the clean-up/.test(l)).length, 1);
    assert.ok(!g.err.some((l) => /exiting now/.test(l)), show(g));
    const r = JSON.parse(await Deno.readTextFile(report)) as Report;
    assert.equal(r.status, "interrupted");
    assert.equal(r.exit_code, 5);
    // What was left is listed, node by node, on stderr and in the report, and it is exactly
    // what is on the nodes.
    const after = await appsEverywhere(fx);
    const listed = new Map<string, string[]>();
    for (const l of r.leftovers ?? []) listed.set(l.node, [...(listed.get(l.node) ?? []), l.app]);
    for (const n of fx.nodes) {
      const extra = after.get(n)!.filter((a) => !before.get(n)!.includes(a));
      assert.deepEqual((listed.get(n) ?? []).sort(), extra, `leftovers of ${n}\n${show(g)}`);
      const runApp = r.nodes.find((x) => x.node === n)!.steps.find((s) => s.id === "job")!
        .outputs?.app;
      // The app, the run app, and the app of the `finally` run_sync cut short.
      assert.equal(extra.length, 3, extra.join(" "));
      assert.ok(extra.includes(`abandon-${n.split(":")[1]}`) && extra.includes(String(runApp)));
      for (const app of extra) {
        assert.ok(
          g.err.some((l) => l.includes(`${n}: app ${app}`)),
          `${app} not printed\n${show(g)}`,
        );
      }
    }
  } finally {
    await fx.close();
  }
});
