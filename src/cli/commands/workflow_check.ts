/**
 * `appmesh workflow validate|schema`: the workflow runner's commands that run nothing.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { useColor } from "../context.ts";
import { describeError, EXIT } from "../errors.ts";
import { INVENTORY_FLAG, readInventory } from "./workflow_setup.ts";

/**
 * `appmesh workflow validate`.
 *
 * @example
 * ```ts
 * import { workflowValidate } from "./workflow_check.ts";
 * console.log(workflowValidate.spec.name); // "workflow validate"
 * ```
 */
export const workflowValidate: Command = {
  spec: {
    name: "workflow validate",
    summary: "check workflow files without running them (exit 2 if any is invalid)",
    description: "Reports every error of every file, with file:line:col and the source line.",
    flags: { inventory: INVENTORY_FLAG },
    positionals: [{ name: "FILE", required: true, variadic: true }],
    examples: [
      "appmesh workflow validate workflows/*.yaml",
      "appmesh workflow validate deploy.yaml --inventory fleet.yaml",
    ],
  },
  async run(args) {
    const { loadWorkflow } = await import("../../workflow/load/load.ts");
    const color = useColor("stderr");
    const inventory = await readInventory(args.flags.inventory as string | undefined);
    let bad = 0;
    for (const file of args.positionals) {
      try {
        const wf = await loadWorkflow(file, { inventory });
        console.log(`${file}: ok (${wf.name}, ${wf.steps.length + wf.finally.length} steps)`);
      } catch (e) {
        bad++;
        const format = (e as { format?: (o: { color: boolean }) => string }).format;
        if (e instanceof Error && e.name === "WorkflowError" && format) {
          console.error(format.call(e, { color }));
        } else {
          console.error(`${file}: error: ${describeError(e).message}`);
        }
      }
    }
    if (bad) {
      console.error(`${bad} of ${args.positionals.length} file(s) invalid`);
      return EXIT.usage;
    }
    return EXIT.ok;
  },
};

/**
 * `appmesh workflow schema`.
 *
 * @example
 * ```ts
 * import { workflowSchema } from "./workflow_check.ts";
 * console.log(workflowSchema.spec.name); // "workflow schema"
 * ```
 */
export const workflowSchema: Command = {
  spec: {
    name: "workflow schema",
    summary: "print the JSON Schema of the workflow format (for editors)",
    description:
      "Point your editor at it with the first line `# yaml-language-server: $schema=FILE`.",
    flags: {},
    positionals: [],
    examples: ["appmesh workflow schema > workflow.schema.json"],
  },
  async run() {
    const { generateSchema } = await import("../../workflow/language/schema.ts");
    console.log(JSON.stringify(generateSchema(), null, 2));
    return EXIT.ok;
  },
};
