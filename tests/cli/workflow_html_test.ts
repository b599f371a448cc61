// `appmesh workflow run --html FILE` against a 3-node local server, one node failing: the page
// is written (atomically, beside --report), shows the failure first, holds every node, and no
// secret in any form. The page in a real browser: tests/browser/report_html_browser_test.ts.
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, assertNoStack, loginHead, runCli, startFixture } from "./helpers.ts";

test("cli: --html writes the run as one page, failure first, secrets masked", async () => {
  const fx = await startFixture();
  try {
    const token = `tok<&>S3CRET-4711`;
    await Deno.writeTextFile(`${fx.dir}/secrets.yaml`, `API_TOKEN: '${token}'\n`, { mode: 0o600 });
    const bad = fx.server.nodes[1].port;
    await Deno.writeTextFile(
      `${fx.dir}/wf.yaml`,
      [
        ...loginHead("html-page"),
        "  - id: work",
        "    name: Do the work",
        "    run_sync:",
        `      command: echo "working with $TOKEN"; test \${{ node.port }} != ${bad} || exit 3`,
        "      shell: true",
        "      env:",
        "        TOKEN: ${{ secrets.API_TOKEN }}",
        "  - id: after",
        "    assert:",
        "      that: ${{ steps.work.exit_code == 0 }}",
        "",
      ].join("\n"),
    );
    const html = `${fx.dir}/run.html`;
    // The 3-node run with its secrets, writing what `outputs` asks for.
    const run = (...outputs: string[]) =>
      runCli([
        "workflow",
        "run",
        `${fx.dir}/wf.yaml`,
        ...fx.nodes.flatMap((n) => ["--node", n]),
        "--secrets-file",
        `${fx.dir}/secrets.yaml`,
        ...outputs,
      ], { env: fx.env });
    const r = await run("--report", `${fx.dir}/run.json`, "--html", html);
    assertCode(r, 1);
    assertNoStack(r.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${fx.dir}/run.json`));
    const page = await Deno.readTextFile(html);

    assert.ok(page.startsWith("<!doctype html>"));
    assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.ok(page.includes(`<p class="sum" id="summary">${report.summary}</p>`), report.summary);
    assert.ok(page.includes(`<dd>${report.run_id}</dd>`));
    assert.ok(page.includes("<dt>nodes</dt><dd>3: 2 ok, 1 failed</dd>"));
    // The failure, before the timeline: node, step, exit code, its output (masked).
    const failures = page.slice(page.indexOf('id="failures"'), page.indexOf('id="timeline"'));
    assert.ok(failures.length > 0, "no failures section before the timeline");
    assert.ok(
      failures.includes("step <code>work</code> Do the work (run_sync), exit code 3</h3>"),
      failures,
    );
    assert.ok(failures.includes(`<p class="nodes">${fx.nodes[1]}</p>`), failures);
    assert.ok(failures.includes("<pre>working with ***</pre>"), failures);
    // Every node in the timeline's data, the failed one first.
    const data = JSON.parse(
      /<script type="application\/json" id="data">([^]*?)<\/script>/.exec(page)![1],
    );
    const rows = data.n.map((n: number[]) => [data.s[n[0]], data.s[n[1]]]);
    assert.deepEqual(rows, [
      [fx.nodes[1], "failure"],
      [fx.nodes[0], "success"],
      [fx.nodes[2], "success"],
    ]);
    // No form of the secret: as written, escaped, or a part of it.
    for (const form of [token, "tok&lt;&amp;&gt;", "S3CRET"]) {
      assert.ok(!page.includes(form), `secret in the page as ${form}`);
    }
    // Written atomically: no temporary file left beside it.
    const left = [...Deno.readDirSync(fx.dir)].filter((e) => e.name.endsWith(".tmp"));
    assert.deepEqual(left, []);

    // A page that cannot be written: said in one line; the run's exit code stays.
    const r2 = await run("--html", `${fx.dir}/no-such-dir/run.html`);
    assertCode(r2, 1);
    assertNoStack(r2.stderr);
    // Named by the target (not the temporary file beside it), with the reason.
    const line = r2.stderr.split("\n").find((l) => l.startsWith("appmesh: cannot write"));
    assert.ok(line, r2.stderr);
    assert.ok(line.startsWith(`appmesh: cannot write ${fx.dir}/no-such-dir/run.html: `), line);
    assert.doesNotMatch(line, /\.tmp/);
  } finally {
    await fx.close();
  }
});
