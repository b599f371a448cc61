// The HTML report (`--html`) in headless Chromium, driven over the DevTools protocol: the page
// of a real 3-node run with one failure (whose output is hostile markup) is opened from a file,
// and the DOM shows the node rows, the failure and the search filtering rows; no request leaves
// the page and no script but its own runs. Then a 1,000-node page: how fast it is drawn, opened
// and searched. Deno only: it drives a browser. Chromium missing is a failure, not a skip.
import assert from "node:assert/strict";
import { htmlReport } from "../../src/workflow/report/html.ts";
import { LOGIN, nodesLine, world } from "../workflow/engine_helpers.ts";
import { fleetReport } from "../workflow/report_html_fixture.ts";
import { findChromium } from "./_chromium.ts";
import { type Cdp, evaluate, launchCdp, waitFor } from "./_cdp.ts";

const HOSTILE = `</script><img src=x onerror="document.documentElement.dataset.pwned=1">` +
  `<script>document.documentElement.dataset.pwned=2</script>`;

/** Records every CSP violation of the pages the tab loads (injected before their scripts). */
const WATCH = `window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));`;

const ROWS = `[...document.querySelectorAll("#rows .row:not(.axis)")]`;
const VISIBLE =
  `${ROWS}.filter((r) => r.offsetParent !== null).map((r) => r.firstChild.textContent)`;

async function open(cdp: Cdp, session: string, url: string): Promise<void> {
  await cdp.send("Page.navigate", { url }, session);
  await waitFor(cdp, session, `location.href === ${JSON.stringify(url)}`);
  await waitFor(cdp, session, `document.documentElement.dataset.ready === "1"`);
}

async function search(cdp: Cdp, session: string, text: string): Promise<string[]> {
  return await evaluate<string[]>(
    cdp,
    session,
    `(() => { const q = document.getElementById("q"); q.value = ${JSON.stringify(text)};
      q.dispatchEvent(new Event("input")); return ${VISIBLE}; })()`,
  );
}

Deno.test({
  name: "browser: the HTML report of a 3-node run with one failure, and of 1,000 nodes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const chromium = findChromium();
    const cleanup: (() => Promise<unknown>)[] = [];
    try {
      const w = await world(3);
      cleanup.unshift(() => w.close());
      const bad = w.server.nodes[1].port;
      const command =
        `printf '%s\\n' "starting" "$MSG"; test \${{ node.port }} != ${bad} || exit 3`;
      const { report } = await w.run(
        `name: html-report\n${nodesLine(w.nodes)}steps:\n${LOGIN}` +
          `  - id: work\n    name: Do the work\n    run_sync:\n` +
          `      command: ${JSON.stringify(command)}\n      shell: true\n` +
          `      env: { MSG: ${JSON.stringify(HOSTILE)} }\n` +
          `  - id: after\n    assert: { that: "\${{ steps.work.exit_code == 0 }}" }\n`,
      );
      assert.equal(report.status, "failure");
      const page = `${w.dir}/run.html`;
      await Deno.writeTextFile(page, htmlReport(report));
      const big = `${w.dir}/big.html`;
      await Deno.writeTextFile(big, htmlReport(fleetReport(1000)));

      // Where a leaked request would land, to show it never does.
      const hits: string[] = [];
      const probe = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
        hits.push(new URL(req.url).pathname);
        return new Response("<p>probe</p>", { headers: { "content-type": "text/html" } });
      });
      cleanup.unshift(() => probe.shutdown());
      const probeUrl = `http://127.0.0.1:${probe.addr.port}`;

      const cdp = await launchCdp(chromium);
      cleanup.unshift(() => cdp.close());
      const session = await cdp.tab();
      const requests: string[] = [];
      const errors: string[] = [];
      cdp.on((m) => {
        if (m.sessionId !== session) return;
        if (m.method === "Network.requestWillBeSent") {
          requests.push((m.params!.request as { url: string }).url);
        }
        if (m.method === "Runtime.exceptionThrown") errors.push(JSON.stringify(m.params));
      });
      for (const domain of ["Page", "Network", "Runtime"]) {
        await cdp.send(`${domain}.enable`, {}, session);
      }
      await cdp.send("Page.addScriptToEvaluateOnNewDocument", { source: WATCH }, session);
      await cdp.send("Emulation.setDeviceMetricsOverride", {
        width: 1100,
        height: 800,
        deviceScaleFactor: 1,
        mobile: false,
      }, session);

      const url = `file://${page}`;
      await open(cdp, session, url);
      const failed = w.nodes[1];

      await t.step("one row per node, the failed one first and marked", async () => {
        const rows = await evaluate<string[][]>(
          cdp,
          session,
          `${ROWS}.map((r) => [r.firstChild.textContent, r.className])`,
        );
        assert.deepEqual(rows, [
          [failed, "row n-failure"],
          [w.nodes[0], "row n-success"],
          [w.nodes[2], "row n-success"],
        ]);
        const bars = await evaluate<string[][]>(
          cdp,
          session,
          `${ROWS}.map((r) => [...r.querySelectorAll(".b")].map((b) => b.className))`,
        );
        assert.deepEqual(bars[0], ["b s-success", "b s-failure", "b s-skipped"]);
        assert.deepEqual(bars[1], ["b s-success", "b s-success", "b s-success"]);
      });

      await t.step("the failure: first, with node, step, exit code, error, output", async () => {
        const f = await evaluate<{ first: boolean; cards: number; h3: string; nodes: string }>(
          cdp,
          session,
          `(() => { const s = document.getElementById("failures");
            const a = s.querySelector("article");
            return { first: s.compareDocumentPosition(document.getElementById("timeline")) === 4,
              cards: s.querySelectorAll("article").length, h3: a.querySelector("h3").textContent,
              nodes: a.querySelector(".nodes").textContent, err: a.querySelector(".err").textContent,
              pre: a.querySelector("pre").textContent }; })()`,
        );
        assert.deepEqual(f, {
          first: true,
          cards: 1,
          h3: "failure step work Do the work (run_sync), exit code 3",
          nodes: failed,
          // The error quotes the last line of the output.
          err: `process exited with code 3; last output: ${JSON.stringify(HOSTILE)}`,
          pre: `starting\n${HOSTILE}`,
        });
        const tip = await evaluate<string>(
          cdp,
          session,
          `document.querySelector(".b.s-failure").title`,
        );
        assert.match(tip, /^work: Do the work \(run_sync\)\nfailure · \d+ ms · exit code 3\n/);
        assert.ok(tip.includes(`error: process exited with code 3`), tip);
        assert.ok(tip.endsWith(`last output:\nstarting\n${HOSTILE}`), tip);
      });

      await t.step("the hostile output is text: no image, no script ran", async () => {
        const got = await evaluate<{ imgs: number; scripts: number; pwned: string | null }>(
          cdp,
          session,
          `({ imgs: document.images.length, scripts: document.scripts.length,
            pwned: document.documentElement.dataset.pwned ?? null })`,
        );
        assert.deepEqual(got, { imgs: 0, scripts: 2, pwned: null });
      });

      await t.step("the search box filters the rows", async () => {
        assert.deepEqual(await search(cdp, session, w.nodes[2]), [w.nodes[2]]);
        assert.equal(
          await evaluate(cdp, session, `document.getElementById("shown").textContent`),
          "1 of 3 nodes match",
        );
        assert.deepEqual(await search(cdp, session, "no-such-node"), []);
        assert.deepEqual(await search(cdp, session, ""), [failed, w.nodes[0], w.nodes[2]]);
      });

      await t.step("no request left the page, no policy violation, no error", async () => {
        assert.deepEqual(requests, [url]);
        assert.deepEqual(await evaluate(cdp, session, "window.__violations"), []);
        assert.deepEqual(errors, []);
      });

      await t.step("the guards are real: the policy blocks a request the page tries", async () => {
        const r = await evaluate<string>(
          cdp,
          session,
          `new Image().src = "${probeUrl}/img";
           fetch("${probeUrl}/fetch").then(() => "sent", () => "blocked")`,
        );
        assert.equal(r, "blocked");
        await waitFor(cdp, session, "window.__violations.length >= 2");
        const v = await evaluate<string[]>(cdp, session, "window.__violations");
        assert.ok(v.some((x) => x.startsWith("img-src")), v.join());
        assert.ok(v.some((x) => x.startsWith("connect-src")), v.join());
        assert.deepEqual(hits, []);
        // ...and the network log would have seen a request: a navigation to the probe shows.
        const before = requests.length;
        await cdp.send("Page.navigate", { url: `${probeUrl}/visible` }, session);
        await waitFor(cdp, session, `document.body?.textContent === "probe"`);
        assert.ok(requests.slice(before).includes(`${probeUrl}/visible`), requests.join());
        // (The browser may ask an http: page's /favicon.ico too.)
        assert.deepEqual(hits.filter((h) => h !== "/favicon.ico"), ["/visible"]);
      });

      await t.step("1,000 nodes: drawn, opened and searched quickly", async () => {
        const bigUrl = `file://${big}`;
        await open(cdp, session, bigUrl);
        const drawn = await evaluate<{ load: number; rows: number; groups: number }>(
          cdp,
          session,
          `({ load: performance.getEntriesByType("navigation")[0].loadEventEnd,
             rows: ${ROWS}.length, groups: document.querySelectorAll("details.grp").length })`,
        );
        // Only the failed group is drawn at first; ten closed groups of successes.
        assert.equal(drawn.rows, 12);
        assert.equal(drawn.groups, 12);
        const opened = await evaluate<number>(
          cdp,
          session,
          `(async () => { const t = performance.now();
            for (const d of document.querySelectorAll("details.grp")) d.open = true;
            while (${ROWS}.length < 1000) await new Promise((r) => setTimeout(r, 0));
            document.body.offsetHeight; return performance.now() - t; })()`,
        );
        const searched = await evaluate<[number, number]>(
          cdp,
          session,
          `(() => { const t = performance.now(); const q = document.getElementById("q");
            q.value = "web-05"; q.dispatchEvent(new Event("input"));
            const n = ${VISIBLE}.length; return [performance.now() - t, n]; })()`,
        );
        console.log(
          `1,000 nodes: loaded in ${drawn.load.toFixed(0)} ms, all groups opened in ` +
            `${opened.toFixed(0)} ms, searched in ${searched[0].toFixed(0)} ms`,
        );
        assert.equal(searched[1], 100);
        // Generous bounds (two shared cores): a page that needs seconds has a real problem.
        assert.ok(drawn.load < 5000, `load ${drawn.load} ms`);
        assert.ok(opened < 5000, `open ${opened} ms`);
        assert.ok(searched[0] < 2000, `search ${searched[0]} ms`);
        assert.deepEqual(requests.filter((r) => r.startsWith("file://") && r !== url), [bigUrl]);
        assert.deepEqual(errors, []);
      });
    } finally {
      for (const step of cleanup) await step().catch(() => {});
    }
  },
});
