/**
 * `delete_label`: remove a label of the node.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const deleteLabel: StepSpec = {
  type: "delete_label",
  description: "Remove a label of the node.",
  method: "deleteLabel",
  idempotent: true,
  fields: { name: { type: "string", description: "Label name.", required: true } },
  outputs: {},
  async run(ctx, args) {
    await ctx.client.deleteLabel(str(args, "name"), { signal: ctx.signal });
    return {};
  },
};

export default deleteLabel;
