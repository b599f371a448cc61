/**
 * Re-running what failed (`--rerun-failed REPORT`, `rerun` of the run options): which nodes of
 * an earlier run's report to run again, and, with `fromFailedStep`, the step each of them
 * starts at. Like Ansible's retry files, it keeps no state of its own: the report is the
 * state, so there is nothing to clean up.
 *
 * @module
 */

import { WorkflowError } from "../load/errors.ts";
import { collectReferences, conditionSource, parse, splitTemplate } from "../expr/mod.ts";
import type { NodeReport, Report, StepReport } from "../report/report.ts";
import type { StepSpec, Workflow, WorkflowStep } from "../language/spec.ts";
import { MASK } from "./secrets.ts";

/** Where one node of a rerun starts, and what it takes over from the earlier run. */
export interface Resume {
  /** Index in `steps` of the first step that runs (the steps before it are skipped). */
  from: number;
  /** Recorded outputs of the skipped steps, by step id. */
  outputs: Record<string, Record<string, unknown>>;
  /** The earlier run's id. */
  runId: string;
  /** What the output says about this node (where it starts, and why). */
  note: string;
}

const STATUSES = new Set(["success", "failure", "interrupted", "skipped"]);

/**
 * Checks that a value is a run report (the JSON `--report` writes) and returns it typed; the
 * error names `file` and says what is wrong, in one line.
 *
 * @example
 * ```ts
 * import { parseRunReport } from "./rerun.ts";
 * const report = parseRunReport(JSON.stringify({
 *   workflow: "w", run_id: "r1", status: "failure",
 *   nodes: [{ node: "a", status: "failure", steps: [] }],
 * }), "run.json");
 * console.log(report.run_id); // "r1"
 * try {
 *   parseRunReport("{}", "other.json");
 * } catch (e) {
 *   console.log((e as Error).message); // other.json: error: not a run report of `appmesh workflow run` (no "workflow")
 * }
 * ```
 */
export function parseRunReport(text: string | unknown, file = "report"): Report {
  let value: unknown = text;
  if (typeof text === "string") {
    try {
      value = JSON.parse(text);
    } catch {
      throw bad(file, "not JSON (a report written by --report was expected)");
    }
  }
  const why = shapeProblem(value);
  if (why) throw bad(file, `not a run report of \`appmesh workflow run\` (${why})`);
  return value as Report;
}

/**
 * Reads a report file (`--rerun-failed FILE`) with {@linkcode parseRunReport}; a missing or
 * unreadable file is a {@linkcode WorkflowError} naming it, in one line.
 *
 * @example
 * ```ts
 * import { readRunReport } from "./rerun.ts";
 * try {
 *   await readRunReport("/nonexistent/run.json");
 * } catch (e) {
 *   console.log((e as Error).message); // /nonexistent/run.json: error: cannot read the report: no such file
 * }
 * ```
 */
export async function readRunReport(path: string): Promise<Report> {
  const { fileProblem, notUtf8, readTextAtMost } = await import("../../runtime/fs.ts");
  let text: string | undefined;
  try {
    text = await readTextAtMost(path, MAX_REPORT_BYTES);
  } catch (e) {
    throw bad(
      path,
      notUtf8(e) ? "not UTF-8 text: not a run report" : `cannot read the report: ${fileProblem(e)}`,
    );
  }
  if (text === undefined) {
    throw bad(path, `more than ${MAX_REPORT_BYTES} bytes: not a run report`);
  }
  return parseRunReport(text, path);
}

/** The largest report `readRunReport` reads: 256 MiB (a run of 1,000 nodes writes ~3.5 MiB). */
export const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * The inputs of a rerun: the earlier run's (its report's `inputs`, those the workflow still
 * declares and that were not masked), overridden by `given`.
 *
 * @example
 * ```ts
 * import { rerunInputs } from "./rerun.ts";
 * rerunInputs({ keep: {}, dir: {} }, { inputs: { keep: 7, dir: "/x", gone: 1 } }, { dir: "/y" });
 * // { keep: 7, dir: "/y" }
 * ```
 */
export function rerunInputs(
  declared: Readonly<Record<string, unknown>>,
  report: Pick<Report, "inputs">,
  given: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(report.inputs ?? {})) {
    if (!Object.hasOwn(declared, k)) continue;
    if (typeof v === "string" && v.includes(MASK)) continue;
    out[k] = v;
  }
  return { ...out, ...given };
}

function shapeProblem(v: unknown): string | undefined {
  if (!isObject(v)) return "not a JSON object";
  if (typeof v.workflow !== "string") return 'no "workflow"';
  if (typeof v.run_id !== "string") return 'no "run_id"';
  if (!Array.isArray(v.nodes)) return 'no "nodes" list';
  for (const [i, n] of v.nodes.entries()) {
    if (!isObject(n) || typeof n.node !== "string" || !STATUSES.has(n.status as string)) {
      return `nodes[${i}] is not a node's result`;
    }
    if (!Array.isArray(n.steps) || n.steps.some((s) => !isObject(s) || typeof s.id !== "string")) {
      return `nodes[${i}].steps is not a list of steps`;
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(file: string, message: string): WorkflowError {
  return new WorkflowError([{ file, line: 0, col: 0, message }]);
}

/**
 * The nodes of a report to run again: every node that did not succeed (failed, interrupted,
 * or never started because of `fail_fast`, `max_failures` or an interrupt), in report order.
 *
 * @example
 * ```ts
 * import { nodesToRerun } from "./rerun.ts";
 * nodesToRerun({ nodes: [
 *   { node: "a", status: "success", steps: [] },
 *   { node: "b", status: "failure", steps: [] },
 *   { node: "c", status: "interrupted", steps: [] },
 * ] }); // ["b", "c"]
 * ```
 */
export function nodesToRerun(report: Pick<Report, "nodes">): string[] {
  return report.nodes.filter((n) => n.status !== "success").map((n) => n.node);
}

/**
 * Checks that a report belongs to `wf` (by name: a report of another workflow is a usage
 * error), and works out where each node to rerun starts: with `fromFailedStep`, at its failed
 * step when every step before it is `rerun: skip` (session steps aside, which run anyway),
 * succeeded in that run, and left the outputs later steps read in the report; else at its
 * first step, with a note saying why.
 *
 * @example
 * ```ts
 * import { planRerun } from "./rerun.ts";
 * import { parseWorkflow } from "../load/load.ts";
 * const wf = parseWorkflow(`
 * name: w
 * steps:
 *   - { id: app, add_app: { name: x, command: "sleep 60" }, rerun: skip }
 *   - { id: check, run_sync: { command: "false" } }
 * `);
 * const plan = planRerun(wf, {
 *   report: {
 *     workflow: "w", run_id: "r1", status: "failure", started: "", duration_ms: 0,
 *     session: { login: "none" }, summary: "", exit_code: 1,
 *     nodes: [{ node: "a", status: "failure", steps: [
 *       { id: "app", type: "add_app", status: "success", attempts: 1, duration_ms: 1 },
 *       { id: "check", type: "run_sync", status: "failure", attempts: 1, duration_ms: 1 },
 *     ] }],
 *   },
 *   fromFailedStep: true,
 * });
 * plan.nodes; // ["a"]
 * plan.resume.get("a")?.from; // 1
 * ```
 */
export function planRerun(
  wf: Workflow,
  rerun: { report: Report; fromFailedStep?: boolean },
  registry?: Readonly<Record<string, StepSpec>>,
): { nodes: string[]; resume: Map<string, Resume> } {
  const report = parseRunReport(rerun.report as unknown, "rerun.report");
  if (report.workflow !== wf.name) {
    throw bad(
      "rerun.report",
      `run ${report.run_id} is a run of workflow "${report.workflow}", not of "${wf.name}"`,
    );
  }
  const nodes = nodesToRerun(report);
  const resume = new Map<string, Resume>();
  if (rerun.fromFailedStep) {
    const readers = readersOf(wf);
    for (const n of report.nodes.filter((n) => n.status !== "success")) {
      resume.set(n.node, resumeOf(wf, n, report.run_id, readers, registry));
    }
  }
  return { nodes, resume };
}

/** Where one node starts. */
function resumeOf(
  wf: Workflow,
  n: NodeReport,
  runId: string,
  readers: Map<string, number>,
  registry: Readonly<Record<string, StepSpec>> | undefined,
): Resume {
  const start = (why: string): Resume => ({
    from: 0,
    outputs: {},
    runId,
    note: `runs from its first step: ${why}`,
  });
  const done = n.steps.filter((s) => !s.finally);
  if (done.length === 0) return start(`it had not started in run ${runId}`);
  const same = done.length === wf.steps.length &&
    wf.steps.every((s, i) => done[i].id === stepKey(s) && done[i].type === s.type);
  if (!same) return start(`its steps in run ${runId} are not the workflow's steps now`);
  let from = done.findIndex((s) =>
    s.status === "failure" || (s.status === "skipped" && s.error !== undefined && !s.done_in)
  );
  if (from < 0) from = done.length; // it failed (or was interrupted) in `finally`
  if (from === 0) return start(`its first step is the one that failed`);
  const outputs: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < from; i++) {
    const step = wf.steps[i];
    const was = done[i];
    const label = `step "${stepKey(step)}"`;
    if (isSession(step, registry)) continue;
    if (step.rerun !== "skip") return start(`${label} is not marked "rerun: skip"`);
    if (!finished(was)) return start(`${label} did not succeed in run ${runId}`);
    if (step.id === undefined) continue;
    // Kept for a later rerun of this run too, read or not.
    if (was.outputs) outputs[step.id] = was.outputs;
    // Read only by steps that are skipped too, or by none: nothing to check.
    if ((readers.get(step.id) ?? -1) < from) continue;
    if (!was.outputs) return start(`${label}: its outputs, read later, are not in the report`);
    if (JSON.stringify(was.outputs).includes(MASK)) {
      return start(`${label}: its outputs, read later, are masked (***) in the report`);
    }
  }
  const at = from < wf.steps.length ? `step "${stepKey(wf.steps[from])}"` : "its finally steps";
  return {
    from,
    outputs,
    runId,
    note: `resumes at ${at}: ${from} step(s) before it done in run ${runId}`,
  };
}

/**
 * Succeeded, or was not needed (its condition false), or was taken over by an earlier rerun.
 * An allowed failure is none of these: what it was to leave may not be there.
 */
function finished(s: StepReport): boolean {
  return s.status === "success" ||
    (s.status === "skipped" && (s.error === undefined || s.done_in !== undefined));
}

function isSession(step: WorkflowStep, registry?: Readonly<Record<string, StepSpec>>): boolean {
  const spec = registry?.[step.type];
  return spec ? !!spec.session : step.type === "login" || step.type === "logout";
}

function stepKey(step: WorkflowStep): string {
  return step.id ?? `#${step.index}`;
}

/**
 * For each step id whose outputs an expression reads, the index of the last main step reading
 * it (`Infinity` when a `finally` step does, as `finally` always runs).
 */
function readersOf(wf: Workflow): Map<string, number> {
  const out = new Map<string, number>();
  const note = (id: string, at: number) => out.set(id, Math.max(out.get(id) ?? -1, at));
  const scanExpr = (src: string, at: number) => {
    try {
      for (const r of collectReferences(parse(src))) {
        if (r.path[0] === "steps" && r.path[1] !== undefined) note(r.path[1], at);
      }
    } catch {
      // An expression that does not parse was refused by validation already.
    }
  };
  const scan = (v: unknown, at: number): void => {
    if (typeof v === "string") {
      if (!v.includes("${{")) return;
      try {
        for (const p of splitTemplate(v)) if (p.kind === "expr") scanExpr(p.source, at);
      } catch {
        // As above.
      }
    } else if (Array.isArray(v)) v.forEach((x) => scan(x, at));
    else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => scan(x, at));
  };
  const visit = (s: WorkflowStep, at: number) => {
    if (s.if !== undefined) scanExpr(conditionSource(s.if), at);
    scan(s.with, at);
  };
  wf.steps.forEach((s, i) => visit(s, i));
  wf.finally.forEach((s) => visit(s, Infinity));
  return out;
}
