// `appmesh workflow run` against a 3-node local server: every example of workflows/, --json,
// --report/--junit, secrets kept out of everything, --lock overlap, and an interrupt.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import {
  assertCode,
  assertNoStack,
  cliLogin,
  type Fixture,
  loginHead,
  readUntil,
  ROOT,
  runCli,
  spawnCli,
  startFixture,
} from "./helpers.ts";

function nodeFlags(fx: Fixture): string[] {
  return fx.nodes.flatMap((n) => ["--node", n]);
}

test("cli: every example in workflows/ runs and succeeds on 3 nodes", async () => {
  const fx = await startFixture();
  try {
    // The nightly example has no login step: like cron, it relies on `appmesh login`.
    await cliLogin(fx);
    const files = [...Deno.readDirSync(`${ROOT}workflows`)].filter((e) => e.name.endsWith(".yaml"))
      .map((e) => e.name).sort();
    assert.ok(files.length >= 4, files.join());
    for (const name of files) {
      const doc = parse(await Deno.readTextFile(`${ROOT}workflows/${name}`));
      const inputs: string[] = [];
      // Anything written locally goes to the test's folder, not into the repository.
      if (doc.inputs?.out_dir) inputs.push("--input", `out_dir=${fx.dir}/out-${name}`);
      if (doc.inputs?.dir) inputs.push("--input", `dir=${fx.dir}/scratch-${name}`);
      if (doc.inputs?.run_dir) inputs.push("--input", `run_dir=${fx.dir}`);
      const report = `${fx.dir}/${name}.json`;
      const page = `${fx.dir}/${name}.html`;
      const r = await runCli([
        "workflow",
        "run",
        `workflows/${name}`,
        ...nodeFlags(fx),
        ...inputs,
        "--report",
        report,
        "--html",
        page,
      ], { env: fx.env });
      assertCode(r, 0);
      assertNoStack(r.stderr, name);
      const rep = JSON.parse(await Deno.readTextFile(report));
      assert.equal(rep.status, "success", name);
      assert.equal(rep.nodes.length, 3, name);
      // The last line of the output is the one-line summary.
      assert.equal(r.stdout.trimEnd().split("\n").pop(), rep.summary, name);
      // Its picture: the page names the workflow and has a row per node.
      const html = await Deno.readTextFile(page);
      assert.ok(html.includes(`<title>${rep.workflow}`), `${name}: ${html.slice(0, 200)}`);
      for (const n of rep.nodes) assert.ok(html.includes(JSON.stringify(n.node)), n.node);
      if (doc.inputs?.out_dir) {
        const got = [...Deno.readDirSync(`${fx.dir}/out-${name}`)];
        assert.equal(got.length, 3, `${name}: one file per node`);
      }
    }
  } finally {
    await fx.close();
  }
});

test("cli: --json events, --report and --junit, and no secret anywhere", async () => {
  const fx = await startFixture();
  try {
    const token = "tok-S3CRET-4711";
    const password = "admin123";
    await Deno.writeTextFile(
      `${fx.dir}/secrets.yaml`,
      `APPMESH_PASSWORD: ${password}\nAPI_TOKEN: ${token}\n`,
    );
    await Deno.writeTextFile(
      `${fx.dir}/wf.yaml`,
      [
        ...loginHead("secretive"),
        "  - id: echo",
        "    run_sync:",
        "      command: echo token is $TOKEN; echo pw ${{ secrets.APPMESH_PASSWORD }}",
        "      shell: true",
        "      env:",
        "        TOKEN: ${{ secrets.API_TOKEN }}",
        "  - assert:",
        "      that: ${{ steps.echo.exit_code == 0 }}",
        "",
      ].join("\n"),
    );
    const env = { ...fx.env, APPMESH_PASSWORD: "" };
    const r = await runCli([
      "workflow",
      "run",
      `${fx.dir}/wf.yaml`,
      ...nodeFlags(fx),
      "--secrets-file",
      `${fx.dir}/secrets.yaml`,
      "--json",
      "--report",
      `${fx.dir}/report.json`,
      "--junit",
      `${fx.dir}/junit.xml`,
    ], { env });
    assertCode(r, 0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const types = new Set(events.map((e) => e.type));
    for (const t of ["run_start", "node_start", "step_start", "step_end", "node_end", "run_end"]) {
      assert.ok(types.has(t), `event ${t}`);
    }
    for (const e of events) assert.equal(typeof e.time, "string");

    const report = JSON.parse(await Deno.readTextFile(`${fx.dir}/report.json`));
    for (const k of ["workflow", "run_id", "status", "started", "duration_ms", "summary"]) {
      assert.ok(k in report, `report.${k}`);
    }
    assert.equal(report.workflow, "secretive");
    assert.equal(report.status, "success");
    assert.ok(["performed", "reused", "renewed"].includes(report.session.login));
    assert.equal(report.nodes.length, 3);
    for (const n of report.nodes) {
      assert.equal(n.status, "success");
      assert.ok(fx.nodes.includes(n.node));
      assert.equal(n.steps.length, 3);
      for (const s of n.steps) {
        for (const k of ["id", "type", "status", "attempts", "duration_ms"]) {
          assert.ok(k in s, `step.${k}`);
        }
      }
      assert.equal(n.steps.find((s: { id: string }) => s.id === "echo").exit_code, 0);
    }
    const junit = await Deno.readTextFile(`${fx.dir}/junit.xml`);
    assert.match(junit, /<testsuites[\s>]/);
    assert.equal((junit.match(/<testcase[\s>]/g) ?? []).length, 9, junit);
    assert.ok(junit.includes(report.run_id) || junit.includes("secretive"));

    const everything = [r.stdout, r.stderr, JSON.stringify(report), junit].join("\n");
    assert.ok(!everything.includes(token), "the API token leaked");
    assert.ok(!everything.includes(password), "the password leaked");
    assert.ok(everything.includes("***"), "masked output expected");
    assertNoStack(r.stderr);
  } finally {
    await fx.close();
  }
});

test("cli: a failing node gives exit 1 and says which", async () => {
  const fx = await startFixture();
  try {
    await Deno.writeTextFile(
      `${fx.dir}/wf.yaml`,
      [
        ...loginHead("partly"),
        "  - id: s",
        "    run_sync:",
        "      command: test ${{ node.port }} != " + fx.server.nodes[1].port,
        "      shell: true",
        "      check: false",
        "  - assert:",
        "      that: ${{ steps.s.exit_code == 0 }}",
        "      message: bad node ${{ node.name }}",
        "",
      ].join("\n"),
    );
    const r = await runCli(
      ["workflow", "run", `${fx.dir}/wf.yaml`, ...nodeFlags(fx), "--report", `${fx.dir}/r.json`],
      { env: fx.env },
    );
    assertCode(r, 1);
    assertNoStack(r.stderr);
    // Why it failed is on stderr, with the failures; progress stays on stdout.
    assert.ok(r.stderr.includes(`bad node ${fx.nodes[1]}`), r.stderr);
    assert.ok(!r.stdout.includes("bad node"), r.stdout);
    const report = JSON.parse(await Deno.readTextFile(`${fx.dir}/r.json`));
    assert.equal(report.status, "failure");
    const failed = report.nodes.filter((n: { status: string }) => n.status === "failure");
    assert.deepEqual(failed.map((n: { node: string }) => n.node), [fx.nodes[1]]);
  } finally {
    await fx.close();
  }
});

test("cli: login refused by the server gives exit 3, one line", async () => {
  const fx = await startFixture(1);
  try {
    const r = await runCli(
      ["workflow", "run", "workflows/demo.yaml", "--input", `out_dir=${fx.dir}/o`],
      { env: { ...fx.env, APPMESH_PASSWORD: "wrong-password" } },
    );
    assertCode(r, 3);
    assertNoStack(r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes("wrong-password"));
  } finally {
    await fx.close();
  }
});

function lockWorkflow(flag: string): string {
  return [
    ...loginHead("locked-job"),
    "  - id: job",
    "    run_async:",
    `      command: while [ ! -f ${flag} ]; do sleep 0.2; done; echo released`,
    "      shell: true",
    "  - wait:",
    "      run: job",
    "      timeout: PT2M",
    "",
  ].join("\n");
}

test("cli: --lock makes an overlapping run exit 4", async () => {
  const fx = await startFixture(1);
  const flag = `${fx.dir}/release`;
  try {
    await Deno.writeTextFile(`${fx.dir}/wf.yaml`, lockWorkflow(flag));
    const env = { ...fx.env, TMPDIR: fx.dir, XDG_RUNTIME_DIR: fx.dir };
    const first = spawnCli(["workflow", "run", `${fx.dir}/wf.yaml`, "--lock", "--json"], { env });
    const errP = new Response(first.stderr).text();
    const { rest } = await readUntil(first.stdout, (l) => l.includes('"step_start"'));
    try {
      const second = await runCli(["workflow", "run", `${fx.dir}/wf.yaml`, "--lock"], { env });
      assertCode(second, 4);
      assertNoStack(second.stderr);
      assert.match(second.stderr, /lock/);
      const waited = await runCli(
        ["workflow", "run", `${fx.dir}/wf.yaml`, "--lock-wait", "1"],
        { env },
      );
      assertCode(waited, 4);
    } finally {
      await Deno.writeTextFile(flag, "");
    }
    const status = await first.status;
    await rest;
    assert.equal(status.code, 0, await errP);
    // The lock is released: a new run gets it.
    const again = await runCli(["workflow", "run", `${fx.dir}/wf.yaml`, "--lock"], { env });
    assertCode(again, 0);
  } finally {
    await fx.close();
  }
});

test("cli: SIGINT mid-run exits 130, runs finally and leaves no temporary app", async () => {
  const fx = await startFixture();
  try {
    const marker = `intr-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(
      `${fx.dir}/wf.yaml`,
      [
        ...loginHead("interrupted"),
        "  - id: job",
        "    run_async:",
        `      command: echo started ${marker}; sleep 120`,
        "      shell: true",
        "  - wait:",
        "      run: job",
        "      timeout: PT5M",
        "finally:",
        "  - add_label:",
        `      name: ${marker}`,
        "      value: cleaned",
        "",
      ].join("\n"),
    );
    const child = spawnCli(
      [
        "workflow",
        "run",
        `${fx.dir}/wf.yaml`,
        ...nodeFlags(fx),
        "--json",
        "--report",
        `${fx.dir}/r.json`,
      ],
      { env: fx.env },
    );
    const errP = new Response(child.stderr).text();
    const seen = new Set<string>();
    const { lines, rest } = await readUntil(child.stdout, (l) => {
      try {
        const e = JSON.parse(l);
        if (e.type === "step_output" && String(e.message).includes(marker)) seen.add(e.node);
      } catch { /* not a JSON line */ }
      return seen.size === fx.nodes.length;
    });
    assert.equal(seen.size, fx.nodes.length, lines.join("\n"));
    child.kill("SIGINT");
    const status = await child.status;
    const tail = await rest;
    const stderr = await errP;
    assert.equal(status.code, 130, `${stderr}\n${tail}`);
    assertNoStack(stderr);
    const report = JSON.parse(await Deno.readTextFile(`${fx.dir}/r.json`));
    assert.equal(report.status, "interrupted");

    const client = new AppMeshClient({ baseUrl: fx.server.urls[0], ca: fx.server.caPem });
    try {
      await client.login("admin", "admin123");
      for (const node of fx.nodes) {
        const view = client.forNode(node);
        const apps = await view.listApps();
        const left = apps.filter((a) => String(a.command ?? "").includes(marker));
        assert.deepEqual(left.map((a) => a.name), [], `temporary app left on ${node}`);
        const labels = await view.listLabels();
        assert.equal(labels[marker], "cleaned", `finally did not run on ${node}`);
      }
    } finally {
      await client.close();
    }
  } finally {
    await fx.close();
  }
});

test("cli: rolling-deploy rolls a bad release back on the first node only", async () => {
  const fx = await startFixture();
  try {
    const run = (extra: string[], report: string) =>
      runCli([
        "workflow",
        "run",
        "workflows/rolling-deploy.yaml",
        ...nodeFlags(fx),
        "--input",
        "app=rollout-test",
        "--input",
        `run_dir=${fx.dir}`,
        "--report",
        report,
        ...extra,
      ], { env: fx.env });
    assertCode(await run(["--input", "version=1.0.0"], `${fx.dir}/good.json`), 0);
    const bad = await run(
      ["--input", "version=2.0.0-broken", "--input", "previous_version=1.0.0"],
      `${fx.dir}/bad.json`,
    );
    assertCode(bad, 1);
    assertNoStack(bad.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${fx.dir}/bad.json`));
    assert.deepEqual(
      report.nodes.map((n: { status: string }) => n.status),
      ["failure", "skipped", "skipped"],
    );
    const client = new AppMeshClient({ baseUrl: fx.server.urls[0], ca: fx.server.caPem });
    try {
      await client.login("admin", "admin123");
      const versions: unknown[] = [];
      for (const node of fx.nodes) {
        const app = await client.forNode(node).getApp("rollout-test");
        versions.push((app.env as Record<string, string>).VERSION);
      }
      // The first node is back on the previous version; the others never left it.
      assert.deepEqual(versions, ["1.0.0", "1.0.0", "1.0.0"]);
    } finally {
      await client.close();
    }
  } finally {
    await fx.close();
  }
});
