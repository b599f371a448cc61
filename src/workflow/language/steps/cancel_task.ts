/**
 * `cancel_task`: cancel the pending task of an app.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const cancelTask: StepSpec = {
  type: "cancel_task",
  description: "Cancel the task pending on an app. Nothing pending is not an error " +
    "(`cancelled` is then false).",
  method: "cancelTask",
  idempotent: true,
  fields: { app: { type: "string", description: "The app serving the task.", required: true } },
  outputs: { cancelled: "false when no task was pending." },
  requests: (a) => [{ endpoint: "cancelTask", params: { name: a.app } }],
  async run(ctx, args) {
    return { cancelled: await ctx.client.cancelTask(str(args, "app"), { signal: ctx.signal }) };
  },
};

export default cancelTask;
