/**
 * The report as one self-contained HTML page (`appmesh workflow run --html FILE`): the run's
 * summary, its failures first, and a timeline of every node's steps with a search box. The
 * page fetches nothing (its Content-Security-Policy forbids every request and every script but
 * its own) and stays small and quick at 1,000 nodes: the timeline is drawn from compact JSON
 * data, and only the groups of rows that are open are drawn.
 *
 * @module
 */

import type { NodeReport, Report, StepReport } from "./report.ts";
import { SCRIPT, SCRIPT_SHA256, STYLE } from "./html_assets.ts";

/**
 * The page's Content-Security-Policy: no request of any kind, no script but the page's own
 * (allowed by its hash), inline styles only.
 *
 * @example
 * ```ts
 * import { HTML_CSP } from "./html.ts";
 * HTML_CSP.startsWith("default-src 'none';"); // true
 * ```
 */
export const HTML_CSP: string = `default-src 'none'; style-src 'unsafe-inline'; ` +
  `script-src '${SCRIPT_SHA256}'; base-uri 'none'; form-action 'none'`;

/** Rows per group of nodes that succeeded; more nodes make more (closed) groups. */
const GROUP_SIZE = 100;
/** Up to this many nodes every group starts open; beyond it only the failed ones. */
const OPEN_ALL = 100;
/** Distinct failures shown in full at the top; every failed node is in the timeline anyway. */
const MAX_FAILURES = 100;
/** Node names listed in a failure before the rest fold away. */
const NAMES_SHOWN = 20;

/**
 * The report as a self-contained HTML page: summary, failures (grouped when several nodes
 * failed alike), and a timeline with one row per node, bars per step coloured by status
 * (hover: step, duration, exit code, error, output tail), and a search box over node names.
 * Every value is escaped, nothing is fetched, and only the page's own script may run.
 *
 * Pass the report as `runWorkflow` resolved it (its secrets already masked), or mask it first
 * with `Masker`'s `maskDeep` when other values must go too: the page holds the report's
 * strings as they are.
 *
 * @param report a run's report
 * @returns the page (UTF-8 text)
 *
 * @example
 * ```ts
 * import { htmlReport } from "./html.ts";
 * const page = htmlReport({
 *   workflow: "w", run_id: "r1", status: "failure", started: "2026-01-01T00:00:00.000Z",
 *   duration_ms: 1200, session: { login: "none" }, summary: "w: failure", exit_code: 1,
 *   nodes: [{ node: "db-1", status: "failure", steps: [{
 *     id: "s", type: "assert", status: "failure", attempts: 1, duration_ms: 3,
 *     started: "2026-01-01T00:00:00.100Z", error: "<b>bad</b>",
 *   }] }],
 * });
 * page.includes("&lt;b&gt;bad&lt;/b&gt;"); // true: escaped
 * ```
 */
export function htmlReport(report: Report): string {
  const counts = countNodes(report.nodes);
  const steps = report.nodes.reduce((n, node) => n + node.steps.length, 0);
  const failures = failureGroups(report.nodes);
  const failed = counts.failure + counts.interrupted;
  const facts: [string, string][] = [
    ["run", report.run_id],
    ["started", report.started],
    ["duration", seconds(report.duration_ms)],
    ["nodes", nodeCounts(report.nodes.length, counts)],
    ["steps", String(steps)],
    ["session", report.session.login],
    ["exit code", String(report.exit_code)],
  ];
  if (report.leftovers?.length) facts.push(["left behind", `${report.leftovers.length} app(s)`]);
  const out = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`${report.workflow}: ${report.status} (run ${report.run_id})`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    `<body data-status="${esc(report.status)}">`,
    "<header>",
    `<h1>${badge(report.status)} ${esc(report.workflow)}</h1>`,
    `<p class="sum" id="summary">${esc(report.summary)}</p>`,
    `<dl class="facts">${
      facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${esc(v)}</dd></div>`).join("")
    }</dl>`,
    "</header>",
    ...failureSection(failures, failed),
    ...leftoverSection(report),
    '<section id="timeline">',
    "<h2>Timeline</h2>",
    '<div class="tools"><input id="q" type="search" placeholder="Filter nodes by name" ' +
    'aria-label="Filter nodes by name" autocomplete="off"><span id="shown"></span>' +
    '<span class="legend">' +
    ["success", "failure", "allowed_failure", "skipped"].map((s) =>
      `<span><i class="s-${s}"></i>${s.replace("_", " ")}</span>`
    ).join("") + '</span><span class="hint">hover a bar for details</span></div>',
    '<div id="rows"><noscript><p>The timeline needs JavaScript; the failures above and the ' +
    "JSON report (--report) hold the same facts.</p></noscript></div>",
    "</section>",
    `<script type="application/json" id="data">${scriptJson(pageData(report))}</script>`,
    `<script>${SCRIPT}</script>`,
    "</body>",
    "</html>",
  ];
  return out.join("\n") + "\n";
}

type NodeStatus = NodeReport["status"];

function countNodes(nodes: NodeReport[]): Record<NodeStatus, number> {
  const c: Record<NodeStatus, number> = { success: 0, failure: 0, interrupted: 0, skipped: 0 };
  for (const n of nodes) c[n.status]++;
  return c;
}

function nodeCounts(total: number, c: Record<NodeStatus, number>): string {
  const parts = [`${c.success} ok`];
  if (c.failure) parts.push(`${c.failure} failed`);
  if (c.interrupted) parts.push(`${c.interrupted} interrupted`);
  if (c.skipped) parts.push(`${c.skipped} not started`);
  return `${total}: ${parts.join(", ")}`;
}

/** One failure, and every node that failed exactly so. */
interface FailureGroup {
  status: NodeStatus;
  step?: StepReport;
  error?: string;
  nodes: string[];
}

/**
 * The failed and interrupted nodes' failures, alike ones together (same step, error, exit code
 * and output: a fleet often fails one way on many nodes), the largest group first.
 */
function failureGroups(nodes: NodeReport[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const n of nodes) {
    if (n.status !== "failure" && n.status !== "interrupted") continue;
    const failed = n.steps.filter((s) => s.status === "failure");
    const entries = failed.length
      ? failed.map((step) => ({ step, error: step.error }))
      : [{ step: undefined, error: n.error ?? n.status }];
    for (const { step, error } of entries) {
      const key = JSON.stringify([
        n.status,
        step?.id,
        step?.type,
        step?.name,
        error,
        step?.exit_code,
        step?.output_tail,
      ]);
      const g = groups.get(key) ?? { status: n.status, step, error, nodes: [] };
      g.nodes.push(n.node);
      groups.set(key, g);
    }
  }
  return [...groups.values()].sort((a, b) => b.nodes.length - a.nodes.length);
}

function failureSection(groups: FailureGroup[], failed: number): string[] {
  if (!groups.length) return [];
  const kinds = groups.length > 1 ? `, ${groups.length} kinds` : "";
  const nodes = failed === 1 ? "1 node" : `${failed} nodes`;
  const out = ['<section id="failures">', `<h2>Failures (${nodes}${kinds})</h2>`];
  for (const g of groups.slice(0, MAX_FAILURES)) {
    const s = g.step;
    const what = s
      ? `step <code>${esc(s.id)}</code>${s.name ? ` ${esc(s.name)}` : ""} (${esc(s.type)})`
      : "node";
    const exit = s?.exit_code !== undefined ? `, exit code ${s.exit_code}` : "";
    const on = g.nodes.length > 1 ? ` on ${g.nodes.length} nodes` : "";
    out.push(
      `<article class="fail ${g.status}">`,
      `<h3>${badge(g.status)} ${what}${exit}${on}</h3>`,
      `<p class="nodes">${names(g.nodes)}</p>`,
      `<p class="err">${esc(g.error ?? g.status)}</p>`,
    );
    if (s?.output_tail) out.push(`<pre>${esc(s.output_tail.replace(/\n$/, ""))}</pre>`);
    out.push("</article>");
  }
  if (groups.length > MAX_FAILURES) {
    out.push(
      `<p>${groups.length - MAX_FAILURES} more kinds of failure: every failed node is in the ` +
        "timeline below.</p>",
    );
  }
  out.push("</section>");
  return out;
}

function names(nodes: string[]): string {
  const shown = nodes.slice(0, NAMES_SHOWN).map(esc).join(" ");
  if (nodes.length <= NAMES_SHOWN) return shown;
  const rest = nodes.slice(NAMES_SHOWN);
  return `${shown} <details><summary>and ${rest.length} more</summary>${
    rest.map(esc).join(" ")
  }</details>`;
}

function leftoverSection(report: Report): string[] {
  const left = report.leftovers ?? [];
  if (!left.length) return [];
  return [
    '<section id="leftovers">',
    `<h2>Left behind (${left.length})</h2>`,
    "<table><tr><th>node</th><th>app</th><th>why</th></tr>",
    ...left.map((l) =>
      `<tr><td>${esc(l.node)}</td><td>${esc(l.app)}</td><td>${esc(l.error)}</td></tr>`
    ),
    "</table>",
    "</section>",
  ];
}

/** A step as the page's script reads it (see html_assets.ts). */
type StepTuple = [
  number,
  number,
  number,
  number,
  number,
  number,
  number | null,
  number,
  number,
  number,
  0 | 1,
];
/** A node as the page's script reads it. */
type NodeTuple = [number, number, number, StepTuple[]];
/** The page's data: strings, time scale, groups, nodes. */
interface PageData {
  s: string[];
  t: number;
  g: [number, number, number, 0 | 1][];
  n: NodeTuple[];
}

const ORDER: Record<NodeStatus, number> = { failure: 0, interrupted: 1, skipped: 2, success: 3 };

function pageData(report: Report): PageData {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (v: string | undefined): number => {
    if (v === undefined) return -1;
    let i = index.get(v);
    if (i === undefined) index.set(v, i = strings.push(v) - 1);
    return i;
  };
  const start = Date.parse(report.started);
  let scale = Math.max(0, Math.round(report.duration_ms));
  // Failed nodes first, then those not started, then the rest, each in the report's order.
  const nodes = report.nodes.map((n, i) => ({ n, i }))
    .sort((a, b) => ORDER[a.n.status] - ORDER[b.n.status] || a.i - b.i).map((x) => x.n);
  const n: NodeTuple[] = nodes.map((node) => {
    let cursor = 0;
    const steps = node.steps.map((s): StepTuple => {
      const at = s.started ? Date.parse(s.started) - start : NaN;
      // A step that never started sits where the one before it ended.
      const offset = Number.isFinite(at) ? Math.max(0, Math.round(at)) : cursor;
      const duration = Math.max(0, Math.round(s.duration_ms));
      cursor = offset + duration;
      scale = Math.max(scale, cursor);
      return [
        str(s.id),
        str(s.type),
        str(s.name),
        str(s.status),
        offset,
        duration,
        s.exit_code ?? null,
        str(s.error),
        str(s.output_tail),
        s.attempts,
        s.finally ? 1 : 0,
      ];
    });
    return [str(node.node), str(node.status), str(node.error), steps];
  });
  const g: PageData["g"] = [];
  const openAll = nodes.length <= OPEN_ALL;
  const group = (label: string, from: number, to: number, open: boolean) => {
    if (to > from) g.push([str(label), from, to, open || openAll ? 1 : 0]);
  };
  const upTo = (statuses: NodeStatus[]) =>
    nodes.findLastIndex((x) => statuses.includes(x.status)) + 1;
  const failedEnd = upTo(["failure", "interrupted"]);
  const skippedEnd = Math.max(failedEnd, upTo(["skipped"]));
  group("Failed or interrupted", 0, failedEnd, true);
  group("Not started", failedEnd, skippedEnd, false);
  const ok = nodes.length - skippedEnd;
  for (let from = skippedEnd; from < nodes.length; from += GROUP_SIZE) {
    const to = Math.min(nodes.length, from + GROUP_SIZE);
    const label = ok > GROUP_SIZE
      ? `Succeeded ${from - skippedEnd + 1}–${to - skippedEnd} of ${ok}`
      : "Succeeded";
    group(label, from, to, false);
  }
  return { s: strings, t: scale, g, n };
}

function badge(status: string): string {
  return `<span class="badge st-${esc(status)}">${esc(status)}</span>`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

// HTML forbids NUL and most C1/C0 controls; shown as U+FFFD rather than breaking the page.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/g;
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for an HTML element or a quoted attribute. */
function esc(s: string): string {
  return s.replace(CONTROL, "\uFFFD").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * JSON inside `<script type="application/json">`: with every `<` escaped no `</script>` or
 * `<!--` can end or change the element, and U+2028/9 are escaped for older parsers.
 */
function scriptJson(data: PageData): string {
  return JSON.stringify(data).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
