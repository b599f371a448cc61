// htmlReport: the page's structure, its policy and script hash, escaping of every value, the
// failures first and grouped, and its size at 1,000 nodes. Pure: no server, no browser (the
// browser test renders the page in headless Chromium).
//
// @bun
// @node
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../harness.ts";
import { HTML_CSP, htmlReport } from "../../src/workflow/report/html.ts";
import { SCRIPT, SCRIPT_SHA256 } from "../../src/workflow/report/html_assets.ts";
import type { Report } from "../../src/workflow/report/report.ts";
import { Masker } from "../../src/workflow/run/secrets.ts";
import { fleetNode, fleetReport } from "./report_html_fixture.ts";

const HOSTILE = `</script><img src=x onerror="alert(1)"><!--<script>'&"\u2028\u0000`;

/** The page's data block, parsed as the page's script parses it. */
function data(page: string) {
  const m = /<script type="application\/json" id="data">([^]*?)<\/script>/.exec(page);
  assert.ok(m, "no data block");
  return JSON.parse(m[1]) as {
    s: string[];
    t: number;
    g: [number, number, number, number][];
    n: [number, number, number, unknown[][]][];
  };
}

/** Every tag the page opens. */
function tags(page: string): Set<string> {
  return new Set([...page.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1].toLowerCase()));
}

function hostileReport(): Report {
  return {
    workflow: `wf ${HOSTILE}`,
    run_id: `r-${HOSTILE}`,
    status: "failure",
    started: "2026-11-29T02:30:00.000Z",
    duration_ms: 900,
    session: { login: "performed" },
    nodes: [
      { node: "ok-1", status: "success", steps: [] },
      {
        node: `evil-${HOSTILE}`,
        status: "failure",
        error: `node ${HOSTILE}`,
        steps: [{
          id: `s-${HOSTILE}`,
          type: "run_sync",
          name: `name ${HOSTILE}`,
          status: "failure",
          attempts: 2,
          started: "2026-11-29T02:30:00.200Z",
          duration_ms: 300,
          exit_code: 3,
          error: `error ${HOSTILE}`,
          output_tail: `tail ${HOSTILE}\n`,
        }],
      },
    ],
    leftovers: [{ node: `evil-${HOSTILE}`, app: `app-${HOSTILE}`, error: `left ${HOSTILE}` }],
    summary: `summary ${HOSTILE}`,
    exit_code: 1,
  };
}

test("htmlReport: one page, nothing fetched, only its own script (by hash)", async () => {
  const page = htmlReport(fleetReport(3));
  assert.ok(page.startsWith("<!doctype html>\n"));
  assert.ok(page.includes(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`));
  assert.match(HTML_CSP, /^default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-/);
  // The hash in the policy is the script's: a stale one would block the page's own script.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SCRIPT));
  const hash = `sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`;
  assert.equal(SCRIPT_SHA256, hash, `update SCRIPT_SHA256 in html_assets.ts to ${hash}`);
  const scripts = [...page.matchAll(/<script([^>]*)>([^]*?)<\/script>/g)];
  assert.deepEqual(scripts.map((m) => m[1]), [' type="application/json" id="data"', ""]);
  assert.equal(scripts[1][2], SCRIPT);
  // Nothing that could make a request: no URL-bearing attribute, no CSS url() or @import.
  assert.doesNotMatch(page, /\s(?:src|href|action|srcset|poster|data)=/i);
  assert.doesNotMatch(page, /url\(|@import|https?:\/\//i);
  const allowed = [
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "p",
    "dl",
    "div",
    "dt",
    "dd",
    "span",
    "section",
    "article",
    "code",
    "pre",
    "input",
    "i",
    "noscript",
    "script",
  ];
  for (const t of tags(page)) assert.ok(allowed.includes(t), `unexpected <${t}>`);
});

test("htmlReport: summary, failures first, every node in the data, failed nodes first", () => {
  const report = fleetReport(3);
  const page = htmlReport(report);
  assert.ok(page.includes(`<title>rolling-deploy: failure (run ${report.run_id})</title>`));
  assert.ok(page.includes(`<p class="sum" id="summary">${report.summary}</p>`));
  assert.ok(page.includes("<dt>nodes</dt><dd>3: 2 ok, 1 failed</dd>"));
  assert.ok(page.includes("<dt>duration</dt><dd>2.60 s</dd>"));
  assert.ok(page.indexOf('id="failures"') < page.indexOf('id="timeline"'));
  const failures = page.slice(page.indexOf('id="failures"'), page.indexOf('id="timeline"'));
  assert.ok(failures.includes("<h2>Failures (1 node)</h2>"), failures);
  assert.ok(failures.includes("step <code>done</code> (wait), exit code 1"), failures);
  assert.ok(failures.includes(`<p class="nodes">${fleetNode(1)}</p>`), failures);
  assert.ok(failures.includes("<pre>purging /data\nrm: cannot remove &#39;/data/x&#39;"));
  const d = data(page);
  assert.deepEqual(d.n.map((n) => d.s[n[0]]), [fleetNode(1), fleetNode(0), fleetNode(2)]);
  assert.deepEqual(d.n.map((n) => d.s[n[1]]), ["failure", "success", "success"]);
  // 3 nodes: both groups open.
  assert.deepEqual(d.g.map(([l, from, to, open]) => [d.s[l], from, to, open]), [
    ["Failed or interrupted", 0, 1, 1],
    ["Succeeded", 1, 3, 1],
  ]);
  // A failed step's tuple: status, offset from the run's start, duration, exit code, error,
  // tail; the skipped step after it sits where it ended.
  const [done, fetch] = d.n[0][3].slice(3, 5) as number[][];
  assert.equal(d.s[done[3]], "failure");
  assert.equal(done[6], 1);
  assert.match(d.s[done[7]], /^process exited with code 1/);
  assert.equal(d.s[done[8]], "purging /data\nrm: cannot remove '/data/x': Permission denied\n");
  assert.equal(d.s[fetch[3]], "skipped");
  assert.equal(fetch[4], done[4] + done[5]);
  assert.equal(d.t, 2600);
  // Success: no failure section.
  const ok = htmlReport({ ...report, nodes: [report.nodes[0]], status: "success" });
  assert.ok(!ok.includes('id="failures"'));
});

test("htmlReport: alike failures are one entry; a node failed without a step shows why", () => {
  const report = fleetReport(300);
  report.nodes[5] = {
    node: "unreachable-1",
    status: "failure",
    error: "connection refused",
    steps: [],
  };
  const page = htmlReport(report);
  const failures = page.slice(page.indexOf('id="failures"'), page.indexOf('id="timeline"'));
  assert.ok(failures.includes("<h2>Failures (6 nodes, 3 kinds)</h2>"), failures);
  assert.ok(failures.includes("exit code 1 on 4 nodes</h3>"), failures);
  assert.ok(failures.includes(`${fleetNode(1)} ${fleetNode(98)} ${fleetNode(195)}`), failures);
  assert.match(
    failures,
    /<h3><span class="badge st-failure">failure<\/span> node<\/h3>\n<p class="nodes">unreachable-1<\/p>\n<p class="err">connection refused<\/p>/,
  );
  // 300 nodes: failed, then not started, then the successful ones in closed groups of 100.
  const d = data(page);
  assert.deepEqual(d.g.map(([l, from, to, open]) => [d.s[l], from, to, open]), [
    ["Failed or interrupted", 0, 6, 1],
    ["Not started", 6, 7, 0],
    ["Succeeded 1–100 of 293", 7, 107, 0],
    ["Succeeded 101–200 of 293", 107, 207, 0],
    ["Succeeded 201–293 of 293", 207, 300, 0],
  ]);
  assert.equal(d.s[d.n[5][1]], "interrupted");
});

test("htmlReport: every value is escaped, none can end an element or add one", () => {
  const report = hostileReport();
  const page = htmlReport(report);
  // The page's own elements only: two scripts, no image, no comment.
  assert.equal(page.match(/<\/script>/g)?.length, 2);
  assert.equal(page.match(/<script/g)?.length, 2);
  assert.ok(!page.includes("<img") && !page.includes("<!--"));
  assert.ok(!page.includes("\u0000"));
  for (const t of tags(page)) assert.notEqual(t, "img");
  // Escaped where it shows: title, heading, summary, failure, leftovers.
  const shown =
    "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;!--&lt;script&gt;" +
    "&#39;&amp;&quot;\u2028\uFFFD";
  for (const where of ["wf ", "r-", "summary ", "error ", "tail ", "app-", "left ", "name "]) {
    assert.ok(page.includes(where + shown), `${where}: not escaped as expected`);
  }
  // The data keeps every value as it was (the script shows it with textContent and title).
  const d = data(page);
  const evil = d.n.find((n) => d.s[n[0]].startsWith("evil-"))!;
  assert.equal(d.s[evil[0]], report.nodes[1].node);
  assert.equal(d.s[evil[2]], report.nodes[1].error);
  const step = evil[3][0] as number[];
  assert.equal(d.s[step[0]], report.nodes[1].steps[0].id);
  assert.equal(d.s[step[7]], report.nodes[1].steps[0].error);
  assert.equal(d.s[step[8]], report.nodes[1].steps[0].output_tail);
  assert.equal(step[9], 2);
  // The script never writes HTML: text and attributes only.
  assert.doesNotMatch(SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
});

test("htmlReport: a report masked first has no secret in the page, in any form", () => {
  const secret = `s3cr<e>t&"'pw`;
  const report = hostileReport();
  report.nodes[1].steps[0].error = `login failed for password ${secret}`;
  report.nodes[1].steps[0].output_tail = `echo ${secret}\n${encodeURIComponent(secret)}\n`;
  const page = htmlReport(new Masker([secret]).maskDeep(report));
  for (const form of [secret, "s3cr&lt;e&gt;t", "s3cr", encodeURIComponent(secret)]) {
    assert.ok(!page.includes(form), form);
  }
  assert.ok(page.includes("login failed for password ***"));
});

test("htmlReport: 1,000 nodes make a small page, quickly", () => {
  const report = fleetReport(1000);
  const t0 = performance.now();
  const page = htmlReport(report);
  const ms = performance.now() - t0;
  const bytes = new TextEncoder().encode(page).length;
  console.log(`1,000 nodes, 6,000 steps: ${bytes} bytes, built in ${ms.toFixed(0)} ms`);
  assert.ok(bytes < 400_000, `${bytes} bytes`);
  assert.ok(ms < 2_000, `${ms} ms`);
  const d = data(page);
  assert.equal(d.n.length, 1000);
  // Only the failed group starts open: the 10 closed groups of successes draw nothing yet.
  assert.deepEqual(d.g.map((g) => g[3]), [1, 0, ...Array(10).fill(0)]);
  assert.equal(d.g.at(-1)![2], 1000);
  // Repeated strings (step ids, types, statuses, the alike errors) are stored once.
  assert.ok(d.s.length < 1100, `${d.s.length} strings`);
});

test("htmlReport: the README's screenshot is there, small, and kept out of the package", async () => {
  const root = new URL("../../", import.meta.url);
  const readme = await readFile(new URL("README.md", root), "utf8");
  const shots = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]);
  // It lives beside the browser test (the top level of the repository is fixed, and tests/ is
  // not published).
  assert.deepEqual(shots, ["tests/browser/workflow-html-report.png"]);
  const png = await readFile(new URL(shots[0], root));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  assert.ok(png.length < 150_000, `${png.length} bytes`);
  const deno = JSON.parse(await readFile(new URL("deno.json", root), "utf8"));
  assert.ok(deno.publish.exclude.includes("tests/"), "tests/ would be published to JSR");
});
