/**
 * One node of a run: its `steps` in order, then its `finally` steps, then the clean-up of the
 * temporary apps it started when it failed or was interrupted.
 *
 * @module
 */

import type { AppMeshClient } from "../client/client.ts";
import type { NodeReport, StepReport } from "./report.ts";
import { isUnreachable, sleep } from "./retry.ts";
import type { NodeInfo, WorkflowStep } from "./spec.ts";
import { errorText } from "./errors.ts";
import { type NodeCtx, type RunState, runStep, skipped } from "./step_runner.ts";

export { type RunState, stepId } from "./step_runner.ts";

/** What the engine learns from a node besides its report. */
export interface NodeResult {
  report: NodeReport;
  /** The node failed only because it could not be reached. */
  unreachable: boolean;
  /** A login was refused. */
  loginRefused: boolean;
}

/** How long the clean-up of temporary apps may take per app. */
const CLEANUP_TIMEOUT = 15_000;

/** Runs one node to the end (steps, finally, clean-up). */
export async function runNode(
  rs: RunState,
  node: NodeInfo,
  client: AppMeshClient,
  steps: readonly WorkflowStep[],
  finallySteps: readonly WorkflowStep[],
): Promise<NodeResult> {
  const t0 = performance.now();
  const outputs: Record<string, Record<string, unknown>> = {};
  const tracked = new Set<string>();
  const abandoned: Promise<unknown>[] = [];
  const reports: StepReport[] = [];
  let failure: { id: string; type: string; error: unknown } | undefined;
  let interrupted = false;
  rs.emit({ type: "node_start", node: node.name, status: "running" });

  const nc: NodeCtx = { rs, node, client, outputs, tracked, abandoned, failed: false };
  for (const step of steps) {
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
    const r = await runStep(nc, step, true, interrupted);
    reports.push(r.report);
    if (r.report.status === "failure") {
      if (!nc.failed) failure = { id: r.report.id, type: step.type, error: r.error };
      nc.failed = true;
    }
  }
  if ((tracked.size > 0 || abandoned.length > 0) && (interrupted || nc.failed)) await cleanup(nc);

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
    unreachable: status === "failure" && isUnreachable(e),
    loginRefused: status === "failure" && failure?.type === "login" && isLoginRefusal(e),
  };
}

/** Deletes the temporary apps a failed or interrupted node left running. */
async function cleanup(nc: NodeCtx): Promise<void> {
  // A step abandoned by an interrupt may still be starting an app: give it a moment.
  if (nc.abandoned.length) await Promise.race([Promise.all(nc.abandoned), sleep(5_000)]);
  for (const name of [...nc.tracked]) {
    try {
      await nc.client.deleteApp(name, { signal: AbortSignal.timeout(CLEANUP_TIMEOUT) });
      nc.tracked.delete(name);
      nc.rs.emit({ type: "log", node: nc.node.name, message: `deleted temporary app ${name}` });
    } catch (e) {
      nc.rs.emit({
        type: "log",
        node: nc.node.name,
        status: "failure",
        message: `could not delete temporary app ${name}: ${errorText(e)}`,
      });
    }
  }
}

function isLoginRefusal(e: unknown): boolean {
  const err = e as { name?: string; status?: number } | null;
  if (!err) return false;
  return err.name === "SessionError" || err.name === "AppMeshAuthError" ||
    err.status === 401 || err.status === 403;
}
