/**
 * `disable_app`: disable a registered app.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const disableApp: StepSpec = {
  type: "disable_app",
  description:
    "Disable a registered app (the server stops its process and does not start it again).",
  method: "disableApp",
  idempotent: true,
  fields: { name: { type: "string", description: "App name.", required: true } },
  outputs: {},
  async run(ctx, args) {
    await ctx.client.disableApp(str(args, "name"), { signal: ctx.signal });
    return {};
  },
};

export default disableApp;
