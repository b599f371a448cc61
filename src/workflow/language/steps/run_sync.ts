/**
 * `run_sync`: run a process and wait for it in one request.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import {
  optDuration,
  OUTPUT_CAP,
  RUN_FIELDS,
  secondsSince,
  trackedRunTarget,
} from "../step_util.ts";
import { acceptedCodes, CHECK_FIELDS, ExitCodeError, KILLED_NOTE } from "../exit_codes.ts";

const runSync: StepSpec = {
  type: "run_sync",
  description: "Run a process on the node and wait for its exit in one request. Give `app` " +
    "(a registered app) or an inline App definition (`command`, `shell`, `env`, " +
    "`working_dir`, ...). The output (stdout and stderr merged) is kept as the `stdout` " +
    "output (`capture`, at most 1 MiB, the tail), shown (`stream`) or dropped (`discard`). " +
    "A non-zero exit code fails the step, showing the last lines of the output (opt out " +
    "with `check: false`, or accept more codes with `exit_codes`). " + KILLED_NOTE,
  method: "runAppSync",
  idempotent: false,
  openFields: true,
  oneOf: [["app"], ["command"]],
  fields: {
    ...RUN_FIELDS,
    output: {
      type: "string",
      description: "What to do with the process output.",
      enum: ["stream", "capture", "discard"],
      default: "capture",
    },
    ...CHECK_FIELDS,
  },
  outputs: {
    exit_code: "The process exit code (9: killed by App Mesh, e.g. at `max_time`).",
    stdout: "The output, when `output: capture` (at most 1 MiB, the tail).",
    stdout_truncated: "true when `stdout` lost its beginning to the cap.",
    duration: "Seconds the run took.",
  },
  requests: () => [
    { endpoint: "runAppSync", query: { timeout: "<max_time>", lifecycle: "<lifecycle>" } },
  ],
  async run(ctx, args) {
    const accepted = acceptedCodes(args);
    const t0 = performance.now();
    // Tracked while it runs: an interrupt deletes it (and stops its process).
    const { target, tracked } = trackedRunTarget(args, ctx.track);
    const result = await ctx.client.runAppSync(target, {
      maxTime: optDuration(args, "max_time"),
      lifecycle: optDuration(args, "lifecycle"),
      signal: ctx.signal,
    });
    // The server removes the app of a finished run itself.
    if (tracked) ctx.forget(tracked);
    const mode = args.output ?? "capture";
    if (mode === "stream" && result.output) {
      ctx.emit({ type: "step_output", message: result.output });
    }
    const code = result.exitCode;
    const out: Record<string, unknown> = { exit_code: code, duration: secondsSince(t0) };
    if (mode === "capture") {
      const text = result.output;
      out.stdout = text.length > OUTPUT_CAP ? text.slice(text.length - OUTPUT_CAP) : text;
      out.stdout_truncated = text.length > OUTPUT_CAP;
    }
    if (accepted && (code === undefined || !accepted.includes(code))) {
      throw new ExitCodeError("process", { exitCode: code, output: result.output, outputs: out });
    }
    return out;
  },
};

export default runSync;
