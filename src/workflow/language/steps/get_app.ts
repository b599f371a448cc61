/**
 * `get_app`: read an app's definition and state.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const getApp: StepSpec = {
  type: "get_app",
  description: "Read a registered app (definition and state); its fields become the step's " +
    "outputs. A missing app fails the step.",
  method: "getApp",
  idempotent: true,
  openOutputs: true,
  fields: { name: { type: "string", description: "App name.", required: true } },
  outputs: {
    name: "App name.",
    status: "1 enabled, 0 disabled.",
    pid: "Process id when running.",
    return_code: "Last exit code.",
    health: "0 healthy, 1 not.",
  },
  async run(ctx, args) {
    return { ...await ctx.client.getApp(str(args, "name"), { signal: ctx.signal }) };
  },
};

export default getApp;
