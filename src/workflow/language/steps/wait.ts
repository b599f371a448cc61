/**
 * `wait`: follow a `run_async` process to its exit.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import type { AppRun } from "../../../client/app_run.ts";
import { APP_RUN, optDuration, OutputBuffer, secondsSince, str, toSeconds } from "../step_util.ts";
import {
  acceptedCodes,
  CHECK_FIELDS,
  ExitCodeError,
  KILLED_NOTE,
  TAIL_WINDOW,
} from "../exit_codes.ts";

const wait: StepSpec = {
  type: "wait",
  description: "Wait for the process a `run_async` step started to exit, following its " +
    "output (`stream`: shown live and in `--json` events; `capture`: kept as the `stdout` " +
    "output, at most 1 MiB, the tail; `discard`). A non-zero exit code fails the step, showing " +
    "the last lines of the output (opt out with `check: false`, or accept more codes with " +
    "`exit_codes`); so does not exiting within `timeout`. The run app is deleted after the " +
    "exit. " + KILLED_NOTE,
  method: "waitForAsyncRun",
  // A long poll from the last output position: safe to repeat.
  idempotent: true,
  fields: {
    run: {
      type: "string",
      description: "The id of the `run_async` step whose process to wait for.",
      required: true,
      stepRef: "run_async",
    },
    timeout: {
      type: "duration",
      description: "Give up (and fail the step) after this long; 0: no limit.",
      default: 0,
    },
    output: {
      type: "string",
      description: "What to do with the process output.",
      enum: ["stream", "capture", "discard"],
      default: "stream",
    },
    ...CHECK_FIELDS,
    delete_app: {
      type: "boolean",
      description: "Delete the run app after the process exited.",
      default: true,
    },
  },
  outputs: {
    exit_code: "The process exit code (9: killed by App Mesh, e.g. at `max_time`).",
    stdout: "The output, when `output: capture` (at most 1 MiB, the tail).",
    stdout_truncated: "true when `stdout` lost its beginning to the cap.",
    duration: "Seconds waited.",
  },
  requests: () => [
    {
      endpoint: "getAppOutput",
      params: { name: "<run app>" },
      query: { stdout_position: "<n>", timeout: "<s>" },
      note: "long poll, repeated",
    },
    { endpoint: "deleteApp", params: { name: "<run app>" }, note: "after the exit" },
  ],
  async run(ctx, args) {
    const id = str(args, "run");
    const started = ctx.steps[id] as Record<string | symbol, unknown> | undefined;
    const run = started?.[APP_RUN] as AppRun | undefined;
    if (!run) throw new Error(`step "${id}" started no process on this node`);
    const accepted = acceptedCodes(args);
    const mode = args.output ?? "stream";
    const buffer = mode === "capture" ? new OutputBuffer() : undefined;
    // The end of the output is kept whatever the mode, for the failure's tail.
    const tail = new OutputBuffer(TAIL_WINDOW);
    const limit = optDuration(args, "timeout");
    const timeoutMs = limit === undefined ? 0 : toSeconds(limit) * 1000;
    const deleteApp = args.delete_app !== false;
    const t0 = performance.now();
    const code = await ctx.client.waitForAsyncRun(run, {
      signal: ctx.signal,
      timeout: timeoutMs,
      // Deleted below by the engine, which retries and reports what it cannot delete.
      deleteApp: false,
      onOutput: (chunk) => {
        tail.push(chunk);
        if (mode === "stream") ctx.emit({ type: "step_output", message: chunk });
        else buffer?.push(chunk);
      },
      // Only streamed output needs to arrive within a second; the rest can wait longer.
      pollTimeout: mode === "stream" ? undefined : 5,
    });
    if (code === undefined) {
      throw new Error(`process of app ${run.appName} did not exit within ${limit}`);
    }
    if (deleteApp) await ctx.release(run.appName);
    const out: Record<string, unknown> = { exit_code: code, duration: secondsSince(t0) };
    if (buffer) {
      out.stdout = buffer.text();
      out.stdout_truncated = buffer.truncated;
    }
    if (accepted && !accepted.includes(code)) {
      throw new ExitCodeError(`process of app ${run.appName}`, {
        exitCode: code,
        output: tail.text(),
        outputs: out,
      });
    }
    return out;
  },
};

export default wait;
