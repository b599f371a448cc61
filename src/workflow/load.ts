/**
 * Loading a workflow: a YAML file or text, or a plain object built in code, parsed and
 * validated at once. Every function throws a {@linkcode WorkflowError} holding every issue.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import type { StepSpec, Workflow } from "./spec.ts";
import { WorkflowError } from "./errors.ts";
import { fromPlain, Locator, parseYaml } from "./yaml.ts";
import { validateTree } from "./validate.ts";

/** Options of {@linkcode parseWorkflow} and {@linkcode validateWorkflowObject}. */
export interface ParseOptions {
  /** The file name shown in errors (and the default workflow name). */
  file?: string;
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
}

/** Options of {@linkcode loadWorkflow}. */
export interface LoadOptions {
  /**
   * The environment. Validation does not need it (`env.X` is checked when the run resolves
   * it), so it is accepted for symmetry with the runner and not read.
   */
  env?: Record<string, string>;
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
}

/**
 * Parses and validates workflow YAML text.
 *
 * @example
 * ```ts
 * import { parseWorkflow } from "./load.ts";
 * const wf = parseWorkflow("steps:\n  - logout:\n", { file: "bye.yaml" });
 * wf.name; // "bye"
 * wf.steps[0].type; // "logout"
 * ```
 */
export function parseWorkflow(source: string, options: ParseOptions = {}): Workflow {
  const { root, issues, locator } = parseYaml(source, { file: options.file });
  if (issues.length && !root) {
    locator.redact(issues);
    throw new WorkflowError(issues);
  }
  const result = validateTree(root, locator, options);
  const all = [...issues, ...result.issues];
  locator.redact(all);
  if (all.length || !result.workflow) throw new WorkflowError(all);
  return result.workflow;
}

/**
 * Reads, parses and validates a workflow file.
 *
 * @example
 * ```ts ignore
 * import { loadWorkflow } from "./load.ts";
 * const wf = await loadWorkflow("workflows/demo.yaml");
 * console.log(wf.steps.length);
 * ```
 */
export async function loadWorkflow(path: string, options: LoadOptions = {}): Promise<Workflow> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
      ? "a directory"
      : (e as Error).message;
    throw new WorkflowError([{
      file: path,
      line: 0,
      col: 0,
      message: `cannot read the workflow: ${why}`,
    }]);
  }
  return parseWorkflow(text, { file: path, registry: options.registry });
}

/**
 * Validates a workflow built as a plain object in code (the same shape as the YAML).
 * Issues carry a path (`steps[1].add_app.comand`) instead of a line.
 *
 * @example
 * ```ts
 * import { validateWorkflowObject } from "./load.ts";
 * const wf = validateWorkflowObject({ name: "bye", steps: [{ logout: null }] });
 * wf.steps.length; // 1
 * ```
 */
export function validateWorkflowObject(obj: unknown, options: ParseOptions = {}): Workflow {
  const locator = new Locator({ file: options.file });
  const result = validateTree(fromPlain(obj), locator, options);
  if (result.issues.length || !result.workflow) throw new WorkflowError(result.issues);
  return result.workflow;
}
