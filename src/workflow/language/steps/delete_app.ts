/**
 * `delete_app`: unregister an app; an app that is already gone is a success.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const deleteApp: StepSpec = {
  type: "delete_app",
  description: "Unregister an app (its process is stopped). An app that does not exist is " +
    "not an error, so the step can sit in `finally` and re-runs are safe.",
  method: "deleteApp",
  idempotent: true,
  fields: { name: { type: "string", description: "App name.", required: true } },
  outputs: { deleted: "false when there was no such app." },
  async run(ctx, args) {
    const name = str(args, "name");
    const deleted = await ctx.client.deleteApp(name, { signal: ctx.signal });
    ctx.forget(name);
    return { deleted };
  },
};

export default deleteApp;
