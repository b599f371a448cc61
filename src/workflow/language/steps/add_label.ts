/**
 * `add_label`: set a label of the node.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const addLabel: StepSpec = {
  type: "add_label",
  description: "Set a label of the node (replacing its value if it exists).",
  method: "addLabel",
  idempotent: true,
  fields: {
    name: { type: "string", description: "Label name.", required: true },
    value: { type: ["string", "number", "boolean"], description: "Its value.", required: true },
  },
  outputs: {},
  requests: (a) => [{ endpoint: "addLabel", params: { name: a.name }, query: { value: a.value } }],
  async run(ctx, args) {
    await ctx.client.addLabel(str(args, "name"), String(args.value), { signal: ctx.signal });
    return {};
  },
};

export default addLabel;
