/**
 * One step of one node: `if`, template resolution, `timeout`, classified `retry`, one 401
 * recovery, `continue_on_error`; session steps run once per run (a `logout` is deferred to
 * the end of the run). Also the state the nodes of a run share.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import { type CleanupCtx, releaseApp } from "./cleanup.ts";
import { errorText } from "../load/errors.ts";
import { evaluateCondition, type ExprContext, resolveTemplates } from "../expr/mod.ts";
import type { StepReport } from "../report/report.ts";
import {
  AbandonedError,
  backoffDelay,
  CLEANUP_RETRY,
  formatMs,
  httpStatus,
  InterruptedError,
  isRetryable,
  StepTimeoutError,
} from "./retry.ts";
import type { Masker } from "./secrets.ts";
import { sleep } from "../../runtime/timers.ts";
import type { RunSession } from "./session.ts";
import { ExitCodeError, explainExit } from "../language/exit_codes.ts";
import { conformArgs } from "../language/step_util.ts";
import type { StepContext, StepSpec, WorkflowEvent, WorkflowStep } from "../language/spec.ts";

/** What every node of a run shares. */
export interface RunState {
  /** Step types by key. */
  registry: Readonly<Record<string, StepSpec>>;
  /** The root client (its token is the session's). */
  client: AppMeshClient;
  /** The run's session. */
  session: RunSession;
  /** Secret values to mask. */
  masker: Masker;
  /** The interrupt signal (never aborted when none was given). */
  signal: AbortSignal;
  /** A repeated interrupt: `finally` steps and the clean-up are cut short too. */
  abandon: AbortSignal;
  /** Expression contexts common to all nodes. */
  base: Omit<ExprContext, "node" | "steps" | "job">;
  /** Folder for relative local paths. */
  cwd: string;
  /** Masks and delivers an event. */
  emit(e: Omit<WorkflowEvent, "time">): void;
  /** Session steps already started, by list and index. */
  sessionSteps: Map<string, Promise<Outcome>>;
  /** A node reached a `logout`: the engine logs off once every node has finished. */
  logoutRequested: boolean;
}

/** How one step ended. */
export interface Outcome {
  ok: boolean;
  attempts: number;
  outputs?: Record<string, unknown>;
  error?: unknown;
}

/** The state of one node while it runs (its clean-up state included). */
export interface NodeCtx extends CleanupCtx {
  rs: RunState;
  outputs: Record<string, Record<string, unknown>>;
  failed: boolean;
  /** A request of a step of this node got an answer from it (so it is reachable). */
  reached: boolean;
}

// A step condition without a status function means "and the node is doing fine so far".
const STATUS_FN = /\b(success|failure|always|cancelled)\s*\(/i;

/** After an interrupt, a `finally` step without a `timeout` gets this one. */
const FINALLY_INTERRUPT_TIMEOUT = 60_000;

/** The id a step has in events and the report. */
export function stepId(step: WorkflowStep, inFinally: boolean): string {
  return step.id ?? `${inFinally ? "finally" : ""}#${step.index}`;
}

/** The report of a step that did not run. */
export function skipped(step: WorkflowStep, inFinally: boolean, why?: string): StepReport {
  const r: StepReport = {
    id: stepId(step, inFinally),
    type: step.type,
    status: "skipped",
    attempts: 0,
    duration_ms: 0,
  };
  if (step.name !== undefined) r.name = step.name;
  if (why) r.error = why;
  if (inFinally) r.finally = true;
  return r;
}

/** Runs one step of a node (or shares the result of a session step). */
export async function runStep(
  nc: NodeCtx,
  step: WorkflowStep,
  inFinally: boolean,
  afterInterrupt = false,
): Promise<{ report: StepReport; error?: unknown }> {
  const { rs, node } = nc;
  const id = stepId(step, inFinally);
  const expr: ExprContext = {
    ...rs.base,
    node,
    steps: nc.outputs,
    job: { status: nc.failed || afterInterrupt ? "failure" : "success" },
  };
  const ev = { node: node.name, step: id, step_type: step.type };

  let run: boolean;
  try {
    const cond = step.if === undefined
      ? (inFinally ? "always()" : "success()")
      : STATUS_FN.test(step.if) || inFinally
      ? step.if
      : `success() && (${stripWrap(step.if)})`;
    run = evaluateCondition(cond, expr);
  } catch (e) {
    return finish(nc, step, inFinally, ev, performance.now(), new Date(), {
      ok: false,
      attempts: 0,
      error: e,
    });
  }
  if (!run) {
    rs.emit({ ...ev, type: "step_end", status: "skipped", data: { duration_ms: 0 } });
    return { report: skipped(step, inFinally) };
  }

  const spec = rs.registry[step.type];
  const started = new Date();
  const t0 = performance.now();
  rs.emit({ ...ev, type: "step_start", status: "running" });
  if (!spec) {
    const error = new Error(`unknown step type "${step.type}"`);
    return finish(nc, step, inFinally, ev, t0, started, { ok: false, attempts: 0, error });
  }

  let outcome: Outcome;
  if (spec.session && step.type === "logout") {
    // Logging off now would cut the session of the nodes still running (or not started yet).
    rs.logoutRequested = true;
    outcome = { ok: true, attempts: 1, outputs: { deferred: true } };
  } else if (spec.session) {
    const key = `${inFinally ? "f" : "s"}${step.index}`;
    let shared = rs.sessionSteps.get(key);
    if (!shared) {
      shared = attempt(nc, spec, step, expr, ev, inFinally, afterInterrupt);
      rs.sessionSteps.set(key, shared);
    }
    outcome = await shared;
  } else {
    outcome = await attempt(nc, spec, step, expr, ev, inFinally, afterInterrupt);
    if (outcome.ok || answered(outcome.error)) nc.reached = true;
  }
  return finish(nc, step, inFinally, ev, t0, started, outcome);
}

/** An error that is an answer of the node itself (not a gateway's 502 about it). */
function answered(e: unknown): boolean {
  const status = httpStatus(e);
  return status !== undefined && status !== 502;
}

/** The resolved value of a step's field, or undefined when it cannot be resolved now. */
export function resolvedField(nc: NodeCtx, step: WorkflowStep, field: string): unknown {
  const expr: ExprContext = {
    ...nc.rs.base,
    node: nc.node,
    steps: nc.outputs,
    job: { status: "failure" },
  };
  try {
    return resolveTemplates(step.with[field], expr);
  } catch {
    return undefined;
  }
}

function stripWrap(src: string): string {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(src);
  return m ? m[1] : src;
}

function finish(
  nc: NodeCtx,
  step: WorkflowStep,
  inFinally: boolean,
  ev: { node: string; step: string; step_type: string },
  t0: number,
  started: Date,
  o: Outcome,
): { report: StepReport; error?: unknown } {
  const { rs } = nc;
  const duration_ms = Math.round(performance.now() - t0);
  const status = o.ok ? "success" : step.continue_on_error ? "allowed_failure" : "failure";
  const report: StepReport = {
    id: ev.step,
    type: step.type,
    status,
    attempts: o.attempts,
    started: started.toISOString(),
    duration_ms,
  };
  if (step.name !== undefined) report.name = step.name;
  if (inFinally) report.finally = true;
  // A process that exited with a code its step does not accept still has outputs to read.
  const exit = o.error instanceof ExitCodeError ? o.error : undefined;
  const outputs = o.outputs ?? exit?.outputs;
  if (outputs) {
    if (step.id !== undefined) nc.outputs[step.id] = outputs;
    if (typeof outputs.exit_code === "number") report.exit_code = outputs.exit_code;
    const shown = { ...outputs };
    // Captured output that lost its beginning may begin with the end of a secret.
    if (shown.stdout_truncated === true && typeof shown.stdout === "string") {
      shown.stdout = rs.masker.maskTruncated(shown.stdout);
    }
    report.outputs = rs.masker.maskDeep(shown);
  }
  if (exit) {
    const { error, tail } = explainExit(exit, (t) => rs.masker.mask(t));
    report.error = error;
    if (tail !== undefined) report.output_tail = tail;
  } else if (!o.ok) report.error = rs.masker.mask(errorText(o.error));
  const data: Record<string, unknown> = { duration_ms, attempts: o.attempts };
  if (report.exit_code !== undefined) data.exit_code = report.exit_code;
  if (report.output_tail !== undefined) data.output_tail = report.output_tail;
  rs.emit({ ...ev, type: "step_end", status, message: report.error, data });
  return { report, error: o.ok ? undefined : o.error };
}

/** The attempts of one step: resolution, timeout, retries, 401 recovery. */
async function attempt(
  nc: NodeCtx,
  spec: StepSpec,
  step: WorkflowStep,
  expr: ExprContext,
  ev: { node: string; step: string; step_type: string },
  inFinally: boolean,
  afterInterrupt: boolean,
): Promise<Outcome> {
  const { rs } = nc;
  let args: Record<string, unknown>;
  try {
    args = resolveArgs(spec, step.with, expr);
  } catch (e) {
    return { ok: false, attempts: 0, error: e };
  }

  const ctl = new AbortController();
  // `finally` still runs after an interrupt, so it does not listen to the interrupt; only a
  // repeated one (abandon) cuts it short.
  const signal = AbortSignal.any([ctl.signal, inFinally ? rs.abandon : rs.signal]);
  const limit = step.timeout ?? (afterInterrupt ? FINALLY_INTERRUPT_TIMEOUT : undefined);
  const timer = limit !== undefined
    ? setTimeout(() => ctl.abort(new StepTimeoutError(limit)), limit)
    : undefined;
  const output = new LineBuffer(
    (text) => rs.emit({ ...ev, type: "step_output", message: text }),
    rs.masker,
  );
  const ctx: StepContext = {
    // Session steps talk to the connected server itself: the session is the cluster's.
    client: spec.session ? rs.client : nc.client,
    node: nc.node,
    signal,
    steps: nc.outputs,
    cwd: rs.cwd,
    session: rs.session,
    emit(e) {
      if (e.type === "step_output") output.push(e.message ?? "");
      else rs.emit({ ...ev, ...e });
    },
    track: (name) => nc.tracked.add(name),
    forget: (name) => nc.tracked.delete(name),
    release: (name) => releaseApp(nc, name),
  };
  // A deletion in `finally` is clean-up: what can pass on a second try is tried again.
  const policy = step.retry ??
    (inFinally && step.type === "delete_app" ? CLEANUP_RETRY : undefined);
  const max = Math.max(1, policy?.attempts ?? 1);
  let recovered = false;
  let attempts = 0;
  try {
    while (true) {
      attempts++;
      const tokenBefore = rs.client.token;
      try {
        const outputs = await race(spec.run(ctx, args), signal, nc.abandoned);
        return { ok: true, attempts, outputs };
      } catch (e) {
        if (signal.aborted) return { ok: false, attempts, error: abortReason(signal, rs.abandon) };
        if (httpStatus(e) === 401 && !spec.session) {
          if (!recovered) {
            recovered = true;
            if (await rs.session.recover(tokenBefore).catch(() => false)) {
              attempts--;
              continue;
            }
          }
          const why = unauthorized(e, rs.session.canRelogin, rs.client.token !== undefined);
          return { ok: false, attempts, error: new Error(why) };
        }
        if (attempts >= max || !isRetryable(e, { idempotent: spec.idempotent === true })) {
          return { ok: false, attempts, error: e };
        }
        const delay = backoffDelay(policy!, attempts);
        rs.emit({
          ...ev,
          type: "step_retry",
          status: "running",
          message: `${errorText(e)}; attempt ${attempts + 1}/${max} in ${formatMs(delay)}`,
          data: { attempt: attempts + 1, attempts: max, delay_ms: delay },
        });
        try {
          await sleep(delay, signal);
        } catch {
          return { ok: false, attempts, error: abortReason(signal, rs.abandon) };
        }
      }
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    output.flush();
  }
}

function unauthorized(e: unknown, couldRelogin: boolean, hadToken: boolean): string {
  const why = couldRelogin
    ? "the session was refused again after logging in anew"
    : hadToken
    ? "the session expired or was revoked and no login step gave credentials to log in again"
    : "not logged in: add a login step, or log in first (appmesh login) to fill the cookie file";
  return `${errorText(e)} (${why})`;
}

/** The resolved arguments with the declared defaults applied. */
function resolveArgs(
  spec: StepSpec,
  raw: Record<string, unknown>,
  expr: ExprContext,
): Record<string, unknown> {
  const args = resolveTemplates(raw, expr) as Record<string, unknown>;
  for (const [k, f] of Object.entries(spec.fields)) {
    if (args[k] === undefined && f.default !== undefined) args[k] = f.default;
  }
  // What the server wants: text where it wants strings, epoch seconds, seconds of the day.
  return conformArgs(spec.fields, args);
}

/** `p`, or the signal's reason as soon as it aborts (`p` then goes on unobserved). */
function race<T>(p: Promise<T>, signal: AbortSignal, abandoned: Promise<unknown>[]): Promise<T> {
  if (signal.aborted) {
    abandoned.push(p.catch(() => {}));
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      abandoned.push(p.catch(() => {}));
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function abortReason(signal: AbortSignal, abandon: AbortSignal): unknown {
  const r = signal.reason;
  if (r instanceof StepTimeoutError) return r;
  return abandon.aborted ? new AbandonedError() : new InterruptedError();
}

/** Output without a newline is shown once this much of it is pending. */
const LINE_LIMIT = 64 * 1024;

/**
 * Turns output chunks into whole lines before masking, so a secret split across two chunks
 * is still masked; the rest is flushed when the step ends. A process that never prints a
 * newline is still seen: past `LINE_LIMIT` the pending text goes out, except a tail that
 * could be the start of a secret (and never cut through one).
 */
class LineBuffer {
  #pending = "";
  #emit: (text: string) => void;
  #masker: Masker;
  constructor(emit: (text: string) => void, masker: Masker) {
    this.#emit = emit;
    this.#masker = masker;
  }
  push(chunk: string): void {
    let text = this.#pending + chunk;
    const cut = text.lastIndexOf("\n");
    if (cut >= 0) {
      this.#emit(text.slice(0, cut + 1));
      text = text.slice(cut + 1);
    }
    if (text.length > LINE_LIMIT) {
      const safe = this.#masker.safeCut(text);
      if (safe > 0) this.#emit(text.slice(0, safe));
      text = text.slice(safe);
    }
    this.#pending = text;
  }
  flush(): void {
    if (this.#pending) this.#emit(this.#pending);
    this.#pending = "";
  }
}
