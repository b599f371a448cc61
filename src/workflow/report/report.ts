/**
 * The run report (the `--report` JSON, and what `runWorkflow` resolves to), its one-line
 * summary, and its JUnit XML form for CI systems.
 *
 * @module
 */

/** One step of one node in the report. */
export interface StepReport {
  /** Step id, or `#<index>` (`finally#<index>` in `finally`) when it has none. */
  id: string;
  /** Step type. */
  type: string;
  /** `name:` of the step. */
  name?: string;
  /** `allowed_failure`: failed under `continue_on_error`. */
  status: "success" | "failure" | "skipped" | "allowed_failure";
  /** Attempts made (0 when skipped). */
  attempts: number;
  /** ISO 8601 start time (absent when skipped). */
  started?: string;
  /** Wall time in milliseconds. */
  duration_ms: number;
  /** The process exit code, for steps that ran one. */
  exit_code?: number;
  /** Why it failed (masked). */
  error?: string;
  /**
   * When a process exited with a code its step does not accept: the last lines of its
   * output (at most 20 lines, 4 KiB; masked), whatever the step's `output` mode.
   */
  output_tail?: string;
  /** The step's outputs (masked). */
  outputs?: Record<string, unknown>;
  /** `true` for a step of the `finally` list. */
  finally?: boolean;
  /**
   * A step skipped on a rerun from the failed step (`rerun: skip`): the id of the run it
   * succeeded in (its `outputs` are the ones recorded there).
   */
  done_in?: string;
}

/** One node in the report. */
export interface NodeReport {
  /** Node name as written in `nodes:` (or the server's host:port). */
  node: string;
  /** `skipped`: never started (`fail_fast`, `max_failures`, or an interrupt first). */
  status: "success" | "failure" | "interrupted" | "skipped";
  /** Why the node failed or was skipped (masked). */
  error?: string;
  /** Steps, then `finally` steps, in order. */
  steps: StepReport[];
}

/** An app the run should have deleted and could not (or did not, its clean-up abandoned). */
export interface Leftover {
  /** The node it is on. */
  node: string;
  /** The app's name. */
  app: string;
  /** Why it is still there (masked). */
  error: string;
}

/** The report of one run. */
export interface Report {
  /** Workflow name. */
  workflow: string;
  /** The run id (`run.id` in expressions). */
  run_id: string;
  /** Overall status. */
  status: "success" | "failure" | "interrupted";
  /** ISO 8601 start time. */
  started: string;
  /** Wall time in milliseconds. */
  duration_ms: number;
  /** How the session was obtained (`none`: no `login` step ran). */
  session: { login: "performed" | "reused" | "renewed" | "none" };
  /** Per node. */
  nodes: NodeReport[];
  /**
   * Temporary apps (and apps of `finally` `delete_app` steps) still on their nodes after the
   * clean-up: each was printed as it was given up. Empty when nothing was left; absent only
   * in reports not made by `runWorkflow`.
   */
  leftovers?: Leftover[];
  /**
   * The inputs of the run, after defaults and conversion (masked): a rerun takes them over
   * (`--input` still wins). Absent in reports made before it was recorded.
   */
  inputs?: Record<string, unknown>;
  /** `--rerun-failed`: the id of the run whose failed nodes this run ran again. */
  rerun_of?: string;
  /** The one-line summary that ends every run. */
  summary: string;
  /**
   * 0 all nodes succeeded, 1 some node failed, 3 no node reachable or login refused,
   * 5 interrupted again during the clean-up, which was abandoned (see `leftovers`),
   * 130/143 interrupted (SIGINT/SIGTERM), clean-up done.
   */
  exit_code: 0 | 1 | 3 | 5 | 130 | 143;
}

/**
 * The one-line summary, e.g. `nightly: failure: 2/3 nodes ok, failed: db-2 (run r1, 4.2s)`.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./report.ts";
 * summaryLine({ workflow: "w", run_id: "r1", status: "success", duration_ms: 1500,
 *   nodes: [{ node: "a", status: "success", steps: [] }] });
 * // "w: success: 1/1 nodes ok (run r1, 1.5s)"
 * summaryLine({ workflow: "w", run_id: "r2", rerun_of: "r1", status: "success",
 *   duration_ms: 1500, nodes: [{ node: "a", status: "success", steps: [] }] });
 * // "w: success: 1/1 nodes ok (run r2, rerun of r1, 1.5s)"
 * ```
 */
export function summaryLine(
  r: Pick<
    Report,
    "workflow" | "run_id" | "status" | "duration_ms" | "nodes" | "leftovers" | "rerun_of"
  >,
): string {
  const ok = r.nodes.filter((n) => n.status === "success").length;
  const parts = [`${ok}/${r.nodes.length} nodes ok`];
  const failed = r.nodes.filter((n) => n.status === "failure").map((n) => n.node);
  const interrupted = r.nodes.filter((n) => n.status === "interrupted").map((n) => n.node);
  const skipped = r.nodes.filter((n) => n.status === "skipped").map((n) => n.node);
  if (failed.length) parts.push(`failed: ${list(failed)}`);
  if (interrupted.length) parts.push(`interrupted: ${list(interrupted)}`);
  if (skipped.length) parts.push(`not started: ${list(skipped)}`);
  if (r.leftovers?.length) parts.push(`${r.leftovers.length} app(s) left behind`);
  const secs = (r.duration_ms / 1000).toFixed(1);
  const rerun = r.rerun_of ? `, rerun of ${r.rerun_of}` : "";
  return `${r.workflow}: ${r.status}: ${parts.join(", ")} (run ${r.run_id}${rerun}, ${secs}s)`;
}

function list(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(" ")} +${names.length - 5}` : names.join(" ");
}

/**
 * The report as JUnit XML: one `<testsuite>` per node, one `<testcase>` per step, with
 * `<failure>` for failed steps and `<skipped>` for skipped ones (an allowed failure is a
 * passed test case with its error in `<system-out>`).
 *
 * @example
 * ```ts
 * import { toJUnit } from "./report.ts";
 * const xml = toJUnit({
 *   workflow: "w", run_id: "r1", status: "success", started: "2026-01-01T00:00:00.000Z",
 *   duration_ms: 10, session: { login: "none" }, summary: "w: success", exit_code: 0,
 *   nodes: [{ node: "a", status: "success", steps: [
 *     { id: "s", type: "assert", status: "success", attempts: 1, duration_ms: 1 },
 *   ] }],
 * });
 * xml.includes('<testcase name="s (assert)"'); // true
 * ```
 */
export function toJUnit(report: Report): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let tests = 0, failures = 0, skipped = 0;
  for (const n of report.nodes) {
    tests += n.steps.length;
    failures += n.steps.filter((s) => s.status === "failure").length;
    skipped += n.steps.filter((s) => s.status === "skipped").length;
  }
  out.push(
    `<testsuites name="${attr(report.workflow)}" tests="${tests}" failures="${failures}" ` +
      `errors="0" skipped="${skipped}" time="${secs(report.duration_ms)}" ` +
      `timestamp="${attr(report.started)}">`,
  );
  for (const n of report.nodes) {
    const f = n.steps.filter((s) => s.status === "failure").length;
    const sk = n.steps.filter((s) => s.status === "skipped").length;
    const time = n.steps.reduce((t, s) => t + s.duration_ms, 0);
    out.push(
      `  <testsuite name="${attr(n.node)}" tests="${n.steps.length}" failures="${f}" ` +
        `errors="0" skipped="${sk}" time="${secs(time)}">`,
    );
    out.push(
      `    <properties><property name="run_id" value="${attr(report.run_id)}"/>` +
        `<property name="node_status" value="${n.status}"/>${
          report.rerun_of ? `<property name="rerun_of" value="${attr(report.rerun_of)}"/>` : ""
        }</properties>`,
    );
    if (n.steps.length === 0 && n.error) {
      out.push(`    <system-err>${text(n.error)}</system-err>`);
    }
    for (const s of n.steps) {
      const name = s.name ? `${s.id}: ${s.name} (${s.type})` : `${s.id} (${s.type})`;
      const head =
        `    <testcase name="${attr(name)}" classname="${attr(`${report.workflow}.${n.node}`)}" ` +
        `time="${secs(s.duration_ms)}"`;
      if (s.status === "success" && !s.error) {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      if (s.status === "failure") {
        out.push(
          `      <failure message="${attr(s.error ?? "failed")}" type="${s.type}">` +
            `${text(s.error ?? "failed")}${
              s.exit_code !== undefined ? `\nexit code ${s.exit_code}` : ""
            }${s.output_tail ? `\nlast output:\n${text(s.output_tail.trimEnd())}` : ""}</failure>`,
        );
      } else if (s.status === "skipped") {
        out.push(`      <skipped${s.error ? ` message="${attr(s.error)}"` : ""}/>`);
      } else if (s.status === "allowed_failure") {
        out.push(
          `      <system-out>allowed failure: ${text(s.error ?? "failed")}${
            s.output_tail ? `\nlast output:\n${text(s.output_tail.trimEnd())}` : ""
          }</system-out>`,
        );
      }
      out.push(`    </testcase>`);
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`);
  return out.join("\n") + "\n";
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 forbids most control characters even escaped.
// deno-lint-ignore no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function attr(s: string): string {
  return text(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}
