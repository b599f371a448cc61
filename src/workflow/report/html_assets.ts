/**
 * The fixed parts of the HTML report (`html.ts`): its style sheet and its one script, which
 * draws the timeline from the page's JSON data and filters it. The script is allowed by its
 * SHA-256 in the page's Content-Security-Policy, so that no other script can run, whatever a
 * report holds; `SCRIPT_SHA256` is checked against `SCRIPT` by the tests.
 *
 * The data (`PageData` in html.ts) is tuples, not objects, to keep a 1,000-node page small:
 * `s` every string once, `t` the time scale in ms, `g` groups `[label, from, to, open]` over
 * `n`, the nodes `[name, status, error, steps]`, each step `[id, type, name, status, offset,
 * duration, exit code, error, output tail, attempts, finally]`. Strings are indexes into `s`
 * (-1: none), the exit code is `null` when there is none.
 *
 * @module
 */

/**
 * The page's style sheet: system fonts only, nothing fetched.
 *
 * @example
 * ```ts
 * import { STYLE } from "./html_assets.ts";
 * STYLE.includes("url("); // false
 * ```
 */
export const STYLE: string = `
:root{--ok:#2f9e5f;--bad:#d64545;--warn:#e0a030;--skip:#aab1bb;--int:#8a63d2;--line:#e3e6ea;
--muted:#5d6673;--bg:#fff;--fg:#1d232b;--track:#f2f4f6;color-scheme:light}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;padding:20px 24px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:20px;margin:0 0 4px;display:flex;gap:10px;align-items:center}
h2{font-size:15px;margin:22px 0 8px}
h3{font-size:14px;margin:0 0 4px;font-weight:600}
code,pre,.row,.nodes{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;color:#fff;
background:var(--skip)}
.st-success{background:var(--ok)}.st-failure{background:var(--bad)}
.st-interrupted{background:var(--int)}
.sum{margin:0 0 10px;color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0}
.facts div{display:flex;gap:6px}.facts dt{color:var(--muted)}.facts dd{margin:0}
.fail{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:4px;
padding:8px 12px;margin:0 0 8px}
.fail.interrupted{border-left-color:var(--int)}
.fail .err{margin:2px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.fail pre{margin:6px 0 0;padding:6px 8px;background:var(--track);border-radius:3px;
font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:16em;overflow:auto}
.nodes{margin:0;font-size:12px;color:var(--muted);overflow-wrap:anywhere}
.nodes summary{cursor:pointer}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid var(--line);
padding:3px 10px 3px 0;text-align:left}
.tools{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin:0 0 8px}
.tools input{font:inherit;padding:4px 8px;width:260px;border:1px solid #c5cbd3;border-radius:4px}
#shown,.hint{color:var(--muted)}.hint{font-size:12px}
.legend{display:flex;gap:12px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;
vertical-align:-1px}
.s-success{background:var(--ok)}.s-failure{background:var(--bad)}
.s-allowed_failure{background:var(--warn)}.s-skipped{background:var(--skip)}
.grp{border-top:1px solid var(--line)}
.grp summary{cursor:pointer;padding:5px 0;font-weight:600}
.cnt{font-weight:400;color:var(--muted);margin-left:8px}
.axis,.row{display:flex;gap:8px;align-items:center}
.row{padding:1px 0;font-size:12px}
.row:hover{background:var(--track)}
.nm{flex:0 0 220px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
border-left:3px solid var(--ok);padding-left:5px}
.n-failure .nm{border-color:var(--bad);color:#a31d1d;font-weight:600}
.n-interrupted .nm{border-color:var(--int)}.n-skipped .nm{border-color:var(--skip)}
.tr{position:relative;flex:1;height:14px;background:var(--track);border-radius:3px}
.b{position:absolute;top:1px;bottom:1px;min-width:3px;border-radius:2px;
box-shadow:inset -1px 0 var(--bg)}
.b.fin{top:4px;bottom:4px}
.d{flex:0 0 64px;text-align:right;color:var(--muted)}
.axis{font-size:11px;color:var(--muted)}
.axis .tr{background:none;height:16px}.axis .nm{border-color:transparent}
.axis span.t{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis span.t:first-child{transform:none}
`;

/**
 * The page's script: the timeline from the JSON data, the groups, the search box. It writes
 * text and attributes only, never HTML.
 *
 * @example
 * ```ts
 * import { SCRIPT } from "./html_assets.ts";
 * SCRIPT.includes("innerHTML"); // false
 * ```
 */
export const SCRIPT: string = `
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($("data").textContent);
  const S = D.s;
  const scale = D.t > 0 ? D.t : 1;
  const pct = (ms) => (ms / scale) * 100 + "%";
  const secs = (ms) => ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const names = D.n.map((n) => S[n[0]].toLowerCase());

  const tip = (st) => {
    const [id, type, name, status, , dur, exit, err, tail, attempts, fin] = st;
    const facts = [S[status], secs(dur)];
    if (attempts > 1) facts.push(attempts + " attempts");
    if (exit !== null) facts.push("exit code " + exit);
    if (fin) facts.push("finally");
    const lines = [S[id] + (name >= 0 ? ": " + S[name] : "") + " (" + S[type] + ")"];
    lines.push(facts.join(" · "));
    if (err >= 0) lines.push("error: " + S[err]);
    if (tail >= 0) lines.push("last output:", S[tail].replace(/\\n$/, ""));
    return lines.join("\\n");
  };

  const row = (i) => {
    const [name, status, err, steps] = D.n[i];
    const r = el("div", "row n-" + S[status]);
    const label = el("span", "nm", S[name]);
    label.title = S[name] + ": " + S[status] + (err >= 0 ? "\\n" + S[err] : "");
    const track = el("span", "tr");
    let end = 0;
    for (const st of steps) {
      const b = el("i", "b s-" + S[st[3]] + (st[10] ? " fin" : ""));
      b.style.left = pct(st[4]);
      b.style.width = pct(st[5]);
      b.title = tip(st);
      track.append(b);
      end = Math.max(end, st[4] + st[5]);
    }
    r.append(label, track, el("span", "d", secs(end)));
    return r;
  };

  const axis = el("div", "axis");
  const ticks = el("span", "tr");
  // Ticks at round values (1, 2 or 5 times a power of ten), at most about six of them.
  const raw = scale / 6;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw);
  for (let v = 0; v <= scale; v += step) {
    const label = v < 1000 ? v + " ms" : +(v / 1000).toFixed(2) + " s";
    const t = el("span", "t", label);
    t.style.left = pct(v);
    ticks.append(t);
  }
  axis.append(el("span", "nm", "node"), ticks, el("span", "d", "time"));
  const rows = $("rows");
  rows.replaceChildren(axis);

  let q = "";
  const fill = (g) => {
    if (g.rows) return;
    g.rows = [];
    const frag = document.createDocumentFragment();
    for (let i = g.from; i < g.to; i++) {
      const r = row(i);
      r.hidden = q !== "" && !names[i].includes(q);
      g.rows.push(r);
      frag.append(r);
    }
    g.d.append(frag);
  };
  const groups = D.g.map(([label, from, to, open]) => {
    const d = el("details", "grp");
    const count = el("span", "cnt", String(to - from));
    const summary = el("summary", null, S[label]);
    summary.append(count);
    d.append(summary);
    const g = { d, from, to, rows: null, count, before: open === 1 };
    // Rows are made when a group is first opened: a closed group of 1,000 costs nothing.
    d.addEventListener("toggle", () => d.open && fill(g));
    if (open === 1) {
      fill(g);
      d.open = true;
    }
    rows.append(d);
    return g;
  });

  const filter = () => {
    const next = $("q").value.trim().toLowerCase();
    if (next !== "" && q === "") for (const g of groups) g.before = g.d.open;
    q = next;
    let shown = 0;
    for (const g of groups) {
      let match = 0;
      for (let i = g.from; i < g.to; i++) if (q === "" || names[i].includes(q)) match++;
      shown += match;
      g.d.hidden = match === 0;
      g.count.textContent = q === "" ? String(g.to - g.from) : match + " of " + (g.to - g.from);
      if (q === "") g.d.open = g.before;
      else if (match > 0) {
        fill(g);
        g.d.open = true;
      }
      if (g.rows) g.rows.forEach((r, k) => r.hidden = q !== "" && !names[g.from + k].includes(q));
    }
    $("shown").textContent = q === "" ? "" : shown + " of " + D.n.length + " nodes match";
  };
  $("q").addEventListener("input", filter);
  document.documentElement.dataset.ready = "1";
})();
`;

/**
 * `sha256-…` of {@linkcode SCRIPT}, as the Content-Security-Policy names it.
 *
 * @example
 * ```ts
 * import { SCRIPT, SCRIPT_SHA256 } from "./html_assets.ts";
 * const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SCRIPT));
 * console.assert(SCRIPT_SHA256 === `sha256-${btoa(String.fromCharCode(...new Uint8Array(d)))}`);
 * ```
 */
export const SCRIPT_SHA256 = "sha256-4gl44pyL2ZSvdM/fvQzzAbbV+909iVR/hT53r+1a3XQ=";
