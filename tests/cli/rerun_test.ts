// `appmesh workflow run --rerun-failed REPORT [--from-failed-step]` against a 3-node local
// server, with the example workflows/staged-upgrade.yaml: exit codes, what it prints, the new
// report, and the one-line refusals of bad reports and flags.
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import {
  assertCode,
  assertNoStack,
  closedPort,
  type Fixture,
  runCli,
  startFixture,
} from "./helpers.ts";

const WF = "workflows/staged-upgrade.yaml";

/** The example run on three nodes, the second failing once; returns the report's path. */
async function failOnce(fx: Fixture): Promise<string> {
  const report = `${fx.dir}/r1.json`;
  const r = await runCli([
    "workflow",
    "run",
    WF,
    ...fx.nodes.flatMap((n) => ["--node", n]),
    "--input",
    `flaky=${fx.nodes[1]}`,
    "--input",
    `run_dir=${fx.dir}`,
    "--report",
    report,
  ], { env: fx.env });
  assertCode(r, 1);
  assert.match(r.stderr, /apply ! apply failed: package manager busy/);
  return report;
}

test("cli: --rerun-failed --from-failed-step runs the failed node from its failed step", async () => {
  const fx = await startFixture(3);
  try {
    const r1 = await failOnce(fx);
    const first = JSON.parse(await Deno.readTextFile(r1));
    assert.deepEqual(first.nodes.map((n: { status: string }) => n.status), [
      "success",
      "failure",
      "success",
    ]);

    // The plan of the rerun names the failed node only, and sends nothing.
    const plan = await runCli(["workflow", "run", WF, "--rerun-failed", r1, "--dry-run"], {
      env: { ...fx.env, APPMESH_URL: `https://127.0.0.1:${closedPort()}` },
    });
    assertCode(plan, 0);
    assert.ok(plan.stdout.includes(fx.nodes[1]), plan.stdout);
    assert.ok(!plan.stdout.includes(fx.nodes[2]), plan.stdout);

    const r2 = `${fx.dir}/r2.json`;
    const again = await runCli(
      ["workflow", "run", WF, "--rerun-failed", r1, "--from-failed-step", "--report", r2],
      { env: fx.env },
    );
    assertCode(again, 0);
    assertNoStack(again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`\\[${fx.nodes[1]}\\] resumes at step "apply": 2 step\\(s\\) before it done`),
    );
    assert.match(again.stdout, /step stage \(run_sync\) skipped in 0ms: done in run \S+/);
    const second = JSON.parse(await Deno.readTextFile(r2));
    assert.equal(second.rerun_of, first.run_id);
    assert.equal(second.status, "success");
    assert.deepEqual(second.nodes.map((n: { node: string }) => n.node), [fx.nodes[1]]);
    // The report's inputs came along: the same run folder and flaky node.
    assert.deepEqual(second.inputs, first.inputs);
    const summary = again.stdout.trimEnd().split("\n").pop()!;
    assert.equal(summary, second.summary);
    assert.match(
      summary,
      new RegExp(`^staged-upgrade: success: 1/1 nodes ok \\(run \\S+, rerun of ${first.run_id},`),
    );

    // Nothing failed in that one: a no-op that contacts no server and writes nothing.
    const none = await runCli(
      ["workflow", "run", WF, "--rerun-failed", r2, "--report", `${fx.dir}/r3.json`],
      { env: { ...fx.env, APPMESH_URL: `https://127.0.0.1:${closedPort()}` } },
    );
    assertCode(none, 0);
    assert.equal(
      none.stdout,
      `staged-upgrade: nothing to re-run: run ${second.run_id} had no failed or interrupted node\n`,
    );
    assert.equal(none.stderr, "");
    await assert.rejects(() => Deno.stat(`${fx.dir}/r3.json`), Deno.errors.NotFound);
  } finally {
    await fx.close();
  }
});

test("cli: a bad, missing or foreign report, and --node or a lone --from-failed-step: exit 2", async () => {
  const fx = await startFixture(1);
  try {
    const env = { ...fx.env, APPMESH_URL: `https://127.0.0.1:${closedPort()}` };
    const foreign = `${fx.dir}/demo.json`;
    await Deno.writeTextFile(
      foreign,
      JSON.stringify({ workflow: "demo", run_id: "r9", status: "failure", nodes: [] }),
    );
    await Deno.writeTextFile(`${fx.dir}/list.json`, "[1, 2]");
    await Deno.writeTextFile(`${fx.dir}/text.json`, "not json at all");
    const cases: [string[], RegExp][] = [
      [
        ["--rerun-failed", `${fx.dir}/missing.json`],
        /^appmesh: --rerun-failed: \S+missing\.json: cannot read the report: no such file$/,
      ],
      [
        ["--rerun-failed", `${fx.dir}/text.json`],
        /^appmesh: --rerun-failed: \S+text\.json: not JSON \(a report written by --report was expected\)$/,
      ],
      [
        ["--rerun-failed", `${fx.dir}/list.json`],
        /^appmesh: --rerun-failed: \S+list\.json: not a run report of `appmesh workflow run` \(not a JSON object\)$/,
      ],
      [
        ["--rerun-failed", foreign],
        /^appmesh: --rerun-failed: \S+demo\.json: run r9 is a run of workflow "demo", not of "staged-upgrade"$/,
      ],
    ];
    for (const [flags, want] of cases) {
      const r = await runCli(["workflow", "run", WF, ...flags], { env });
      assertCode(r, 2);
      assertNoStack(r.stderr);
      assert.match(r.stderr.trimEnd(), want);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "");
    }
    const withNode = await runCli(
      ["workflow", "run", WF, "--rerun-failed", foreign, "--node", fx.nodes[0]],
      { env },
    );
    assertCode(withNode, 2);
    assert.match(withNode.stderr, /^appmesh: flag --node: not with --rerun-failed/);
    const lone = await runCli(["workflow", "run", WF, "--from-failed-step"], { env });
    assertCode(lone, 2);
    assert.match(lone.stderr, /^appmesh: flag --from-failed-step: only with --rerun-failed REPORT/);
  } finally {
    await fx.close();
  }
});
