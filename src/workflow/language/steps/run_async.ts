/**
 * `run_async`: start a process (a registered app, or an inline definition) and go on.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { APP_RUN, optDuration, RUN_FIELDS, trackedRunTarget } from "../step_util.ts";

const runAsync: StepSpec = {
  type: "run_async",
  description: "Start a process on the node and go on; a later `wait` step follows it. " +
    "Give `app` (a registered app) or an inline App definition (`command`, `shell`, `env`, " +
    "`working_dir`, ...). The server runs it as a temporary app, which the runner deletes " +
    "when the node is interrupted or fails before the `wait` finished.",
  method: "runAppAsync",
  // Starting a process twice is not harmless: retried only when nothing reached the server.
  idempotent: false,
  openFields: true,
  oneOf: [["app"], ["command"]],
  fields: RUN_FIELDS,
  outputs: {
    app: "Name of the temporary run app.",
    process_uuid: "Process id, for `wait`.",
  },
  requests: () => [
    { endpoint: "runAppAsync", query: { timeout: "<max_time>", lifecycle: "<lifecycle>" } },
  ],
  async run(ctx, args) {
    const { target } = trackedRunTarget(args, ctx.track);
    const run = await ctx.client.runAppAsync(target, {
      maxTime: optDuration(args, "max_time"),
      lifecycle: optDuration(args, "lifecycle"),
      // No signal on purpose: an interrupt must not cut the start short, or a process the
      // server did start would be untracked and left running. The engine stops waiting for
      // this step at once, and deletes the app once the start has answered.
    });
    ctx.track(run.appName);
    const out: Record<string, unknown> = { app: run.appName, process_uuid: run.processUuid };
    Object.defineProperty(out, APP_RUN, { value: run, enumerable: false });
    return out;
  },
};

export default runAsync;
