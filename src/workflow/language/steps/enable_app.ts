/**
 * `enable_app`: enable a registered app.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const enableApp: StepSpec = {
  type: "enable_app",
  description: "Enable a registered app (the server starts it as its schedule says).",
  method: "enableApp",
  idempotent: true,
  fields: { name: { type: "string", description: "App name.", required: true } },
  outputs: {},
  async run(ctx, args) {
    await ctx.client.enableApp(str(args, "name"), { signal: ctx.signal });
    return {};
  },
};

export default enableApp;
