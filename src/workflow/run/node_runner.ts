/**
 * One node of a run: its `steps` in order, then its `finally` steps, then the clean-up of the
 * temporary apps it started when it failed or was interrupted.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import type { Leftover, NodeReport, StepReport } from "../report/report.ts";
import { cleanupNode, leave } from "./cleanup.ts";
import { isUnreachable } from "./retry.ts";
import type { NodeInfo, WorkflowStep } from "../language/spec.ts";
import { errorText } from "../load/errors.ts";
import { type NodeCtx, resolvedField, type RunState, runStep, skipped } from "./step_runner.ts";
import type { Resume } from "./rerun.ts";

export { type RunState, stepId } from "./step_runner.ts";

/** What the engine learns from a node besides its report. */
export interface NodeResult {
  report: NodeReport;
  /** The node failed only because it could not be reached. */
  unreachable: boolean;
  /** A login was refused. */
  loginRefused: boolean;
  /** What the node's clean-up could not delete. */
  leftovers: Leftover[];
}

/**
 * Runs one node to the end (steps, finally, clean-up); with `resume`, the steps before
 * `resume.from` are skipped (session steps aside) and their recorded outputs restored.
 */
export async function runNode(
  rs: RunState,
  node: NodeInfo,
  client: AppMeshClient,
  steps: readonly WorkflowStep[],
  finallySteps: readonly WorkflowStep[],
  resume?: Resume,
): Promise<NodeResult> {
  const t0 = performance.now();
  const outputs: Record<string, Record<string, unknown>> = {};
  const tracked = new Set<string>();
  const abandoned: Promise<unknown>[] = [];
  const reports: StepReport[] = [];
  let failure: { id: string; type: string; error: unknown } | undefined;
  let interrupted = false;
  rs.emit({ type: "node_start", node: node.name, status: "running" });

  const nc: NodeCtx = {
    rs,
    node,
    client,
    outputs,
    tracked,
    doomed: new Set(),
    leftovers: [],
    abandoned,
    failed: false,
    reached: false,
  };
  if (resume) rs.emit({ type: "log", node: node.name, message: resume.note });
  for (const [i, step] of steps.entries()) {
    if (resume && i < resume.from && !rs.registry[step.type]?.session) {
      reports.push(takenOver(nc, step, resume));
      continue;
    }
    if (rs.signal.aborted) {
      interrupted = true;
      reports.push(skipped(step, false, "interrupted"));
      continue;
    }
    const r = await runStep(nc, step, false);
    reports.push(r.report);
    if (r.report.status === "failure") {
      if (rs.signal.aborted) interrupted = true;
      if (!nc.failed) failure = { id: r.report.id, type: step.type, error: r.error };
      nc.failed = true;
    }
  }
  if (rs.signal.aborted) interrupted = true;
  for (const step of finallySteps) {
    if (rs.abandon.aborted) {
      reports.push(skipped(step, true, "clean-up abandoned"));
      if (step.type === "delete_app") {
        leftFrom(nc, step, resolvedField(nc, step, "name"), "not run");
      }
      continue;
    }
    const r = await runStep(nc, step, true, interrupted);
    reports.push(r.report);
    if (r.report.status !== "success" && r.report.status !== "skipped") {
      if (step.type === "delete_app") {
        leftFrom(nc, step, resolvedField(nc, step, "name"), r.report.error);
      }
    }
    if (r.report.status === "failure") {
      if (!nc.failed) failure = { id: r.report.id, type: step.type, error: r.error };
      nc.failed = true;
    }
  }
  await cleanupNode(nc, interrupted || nc.failed);

  const status = interrupted ? "interrupted" : nc.failed ? "failure" : "success";
  const report: NodeReport = { node: node.name, status, steps: reports };
  if (failure) report.error = rs.masker.mask(`${failure.id}: ${errorText(failure.error)}`);
  else if (interrupted) report.error = "interrupted";
  rs.emit({
    type: "node_end",
    node: node.name,
    status,
    message: report.error,
    data: { duration_ms: Math.round(performance.now() - t0) },
  });
  const e = failure?.error;
  return {
    report,
    // Only a node never reached is unreachable: a connection lost later is that node's failure.
    unreachable: status === "failure" && !nc.reached && isUnreachable(e),
    loginRefused: status === "failure" && failure?.type === "login" && isLoginRefusal(e),
    leftovers: nc.leftovers,
  };
}

/** A step skipped on a rerun: done in the earlier run, whose outputs it takes over. */
function takenOver(nc: NodeCtx, step: WorkflowStep, resume: Resume): StepReport {
  const r = skipped(step, false, `done in run ${resume.runId} (rerun: skip)`);
  r.done_in = resume.runId;
  const outputs = step.id !== undefined ? resume.outputs[step.id] : undefined;
  if (outputs) {
    nc.outputs[step.id!] = outputs;
    r.outputs = outputs;
  }
  nc.rs.emit({
    node: nc.node.name,
    step: r.id,
    step_type: step.type,
    type: "step_end",
    status: "skipped",
    message: r.error,
    data: { duration_ms: 0 },
  });
  return r;
}

/** Records a `finally` deletion that did not happen. */
function leftFrom(nc: NodeCtx, step: WorkflowStep, name: unknown, why: string | undefined): void {
  const app = typeof name === "string" && name !== "" ? name : `(${stepLabel(step)})`;
  leave(nc, app, `finally step ${stepLabel(step)}: ${why ?? "failed"}`);
}

function stepLabel(step: WorkflowStep): string {
  return step.id ?? `finally#${step.index}`;
}

function isLoginRefusal(e: unknown): boolean {
  const err = e as { name?: string; status?: number } | null;
  if (!err) return false;
  return err.name === "SessionError" || err.name === "AppMeshAuthError" ||
    err.status === 401 || err.status === 403;
}
