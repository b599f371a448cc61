/**
 * Validation of a workflow: the located tree of `yaml.ts` checked against the language's
 * definitions (`fields.ts`) and the step registry (`steps/mod.ts`), every issue collected,
 * then turned into a {@linkcode Workflow}. The JSON Schema (`schema.ts`) is generated from
 * the same definitions.
 *
 * @module
 */

import type { InputSpec, StepSpec, Workflow } from "../language/spec.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { STEPS } from "../language/steps/mod.ts";
import type { WorkflowIssue } from "./errors.ts";
import type { LNode } from "./tree.ts";
import type { Locator } from "./locator.ts";
import { didYouMean, suggest } from "./suggest.ts";
import { wholeExpression } from "../expr/mod.ts";
import {
  ENV_NAME,
  ID_PATTERN as ID,
  INPUT_FIELDS,
  type LangFieldSpec,
  WORKFLOW_FIELDS,
} from "../language/fields.ts";
import { Checker, describe, type Scope, stringOf, TYPE_TEXT } from "./checker.ts";
import { checkValue } from "./check.ts";
import { checkExpressions } from "./check_expr.ts";
import { checkSteps, collectIds } from "./structure.ts";

/** Options of {@linkcode validateTree}. */
export interface ValidateOptions {
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
  /** The file the workflow came from (its base name is the default `name`). */
  file?: string;
  /** The inventory it will run with: names in `nodes:` and `node.vars.NAME` are checked. */
  inventory?: Inventory;
}

/**
 * Checks the tree and builds the workflow; the issues say what is wrong.
 *
 * @example
 * ```ts
 * import { validateTree } from "./validate.ts";
 * import { parseYaml } from "./yaml.ts";
 * const { root, locator } = parseYaml("steps:\n  - logout:\n", { file: "x.yaml" });
 * validateTree(root, locator).workflow?.steps[0].type; // "logout"
 * ```
 */
export function validateTree(
  root: LNode | undefined,
  locator: Locator,
  options: ValidateOptions = {},
): { workflow?: Workflow; issues: WorkflowIssue[] } {
  const cx = new Checker(locator, options.registry ?? STEPS);
  if (options.inventory) cx.inventory = options.inventory;
  const workflow = checkWorkflow(cx, root, options.file);
  return cx.issues.length ? { issues: cx.issues } : { workflow, issues: [] };
}

/** The top level: known keys, inputs, settings, connection, nodes, env and the two step lists. */
function checkWorkflow(cx: Checker, root: LNode | undefined, file?: string): Workflow {
  const base = file?.split(/[\\/]/).pop()?.replace(/\.ya?ml$/i, "") || "workflow";
  const wf: Workflow = {
    name: base,
    connection: {},
    fail_fast: false,
    inputs: {},
    env: {},
    steps: [],
    finally: [],
  };
  if (file !== undefined) wf.file = file;
  if (!root || root.kind !== "map" || !root.entries) {
    if (!root || root.value === null) {
      cx.issues.push(cx.loc.at(0, 'the workflow is empty; it needs at least "steps:"'));
    } else {cx.at(
        root,
        `a workflow is a mapping of keys (name, steps, ...), got ${describe(root)}`,
      );}
    return wf;
  }
  const get = (key: string) => root.entries!.find((e) => e.key === key)?.value;
  for (const entry of root.entries) {
    if (!(entry.key in WORKFLOW_FIELDS)) {
      const hint = didYouMean(entry.key, Object.keys(WORKFLOW_FIELDS)) ??
        (entry.key in cx.registry ? `steps go in a list under "steps:"` : undefined);
      cx.atKey(entry, root, `unknown top-level key "${entry.key}"`, hint);
    }
  }
  // Inputs first: expressions anywhere may read them.
  const inputs = get("inputs");
  if (inputs) wf.inputs = inputsOf(cx, inputs);
  const top: Scope = { place: "", contexts: ["env", "secrets", "inputs", "run"] };
  for (
    const key of ["name", "description", "concurrency", "fail_fast", "max_failures"] as const
  ) {
    const node = get(key);
    if (!node) continue;
    if (checkValue(cx, node, WORKFLOW_FIELDS[key], `"${key}"`, { ...top, place: key })) {
      (wf as unknown as Record<string, unknown>)[key] = node.value;
    }
  }
  const connection = get("connection");
  if (connection) {
    if (
      checkValue(cx, connection, WORKFLOW_FIELDS.connection, `"connection"`, {
        ...top,
        place: "connection",
      }, "connection")
    ) {
      wf.connection = connection.value as Workflow["connection"];
    }
  }
  const nodes = get("nodes");
  if (nodes) nodesOf(cx, nodes, wf, { ...top, place: "nodes" });
  const env = get("env");
  if (env) {
    const scope = { ...top, place: "env", contexts: [...top.contexts, "node"] };
    const ok = checkValue(cx, env, WORKFLOW_FIELDS.env, `"env"`, scope, "env");
    for (const e of env.entries ?? []) {
      if (!ENV_NAME.test(e.key)) {
        cx.atKey(
          e,
          env,
          `bad environment variable name "${e.key}"`,
          "use letters, digits and _",
        );
      }
      if (ok) wf.env[e.key] = stringOf(e.value.value);
    }
  }
  const steps = get("steps");
  const fin = get("finally");
  const misspeltSteps = root.entries.some((e) =>
    !(e.key in WORKFLOW_FIELDS) && suggest(e.key, Object.keys(WORKFLOW_FIELDS)) === "steps"
  );
  if (!steps && !misspeltSteps) {
    cx.issues.push(cx.loc.at(root.start, 'missing required key "steps"', { path: "steps" }));
  }
  const lists: [LNode | undefined, "steps" | "finally"][] = [[steps, "steps"], [fin, "finally"]];
  for (const [node, list] of lists) {
    if (node && node.kind !== "seq") {
      cx.at(node, `wrong type for "${list}": expected a list of steps, got ${describe(node)}`);
    } else if (node && list === "steps" && !node.items?.length) {
      cx.at(node, `"steps" is empty`, { hint: "give at least one step" });
    }
  }
  const stepItems = steps?.kind === "seq" ? steps.items! : [];
  const finItems = fin?.kind === "seq" ? fin.items! : [];
  collectIds(cx, stepItems, "steps");
  collectIds(cx, finItems, "finally");
  wf.steps = checkSteps(cx, stepItems, "steps");
  wf.finally = checkSteps(cx, finItems, "finally");
  return wf;
}

/** The `inputs:` declarations (names, types, defaults of the right type). */
function inputsOf(cx: Checker, node: LNode): Record<string, InputSpec> {
  const out: Record<string, InputSpec> = {};
  if (node.kind !== "map") {
    cx.at(
      node,
      `wrong type for "inputs": expected a mapping of input names, got ${describe(node)}`,
    );
    return out;
  }
  for (const e of node.entries!) {
    if (!ID.test(e.key)) {
      cx.atKey(e, node, `bad input name "${e.key}"`, "use letters, digits, _ and -");
    }
    cx.inputs.add(e.key);
    const decl = e.value;
    if (decl.value === null) {
      out[e.key] = { type: "string" };
      continue;
    }
    const spec: LangFieldSpec = {
      type: "object",
      literal: true,
      description: "",
      fields: INPUT_FIELDS,
    };
    const scope: Scope = { place: "inputs", contexts: [] };
    if (!checkValue(cx, decl, spec, `input "${e.key}"`, scope, `input "${e.key}"`)) {
      if (decl.kind !== "map") out[e.key] = { type: "string" };
      continue;
    }
    const v = decl.value as InputSpec;
    const input: InputSpec = { type: v.type ?? "string" };
    if (v.description !== undefined) input.description = v.description;
    if (v.required !== undefined) input.required = v.required;
    if (v.default !== undefined) {
      const d = decl.entries!.find((x) => x.key === "default")!.value;
      if (!sameType(v.default, input.type)) {
        cx.at(
          d,
          `wrong type for the default of input "${e.key}": expected ${TYPE_TEXT[input.type]}, got ${
            describe(d)
          }`,
        );
      } else input.default = v.default;
    }
    out[e.key] = input;
  }
  return out;
}

/** `nodes:`: a non-empty list of names, or one whole expression. */
function nodesOf(cx: Checker, node: LNode, wf: Workflow, scope: Scope): void {
  if (node.kind === "scalar" && typeof node.value === "string") {
    if (wholeExpression(node.value) !== undefined) {
      checkExpressions(cx, node, node.value, scope);
      wf.nodes = node.value;
    } else {
      cx.at(node, `wrong type for "nodes": expected a list or an expression, got a string`, {
        hint: `write nodes: [${node.value}]`,
      });
    }
    return;
  }
  if (checkValue(cx, node, WORKFLOW_FIELDS.nodes, `"nodes"`, scope)) {
    if (node.kind === "seq" && node.items!.length === 0) {
      cx.at(node, `"nodes" is an empty list`, { hint: "omit it to run on the server itself" });
    }
    wf.nodes = node.value as string[];
    const inv = cx.inventory;
    for (const item of inv && node.kind === "seq" ? node.items! : []) {
      const name = item.value;
      if (typeof name !== "string" || Object.hasOwn(inv!.groups, name)) continue;
      if (Object.hasOwn(inv!.nodes, name)) continue;
      const known = [...Object.keys(inv!.groups), ...Object.keys(inv!.nodes)];
      cx.at(item, `unknown node or group "${name}" in the inventory${inventoryFile(inv!)}`, {
        hint: didYouMean(name, known) ?? `its groups: ${Object.keys(inv!.groups).join(", ")}`,
      });
    }
  }
}

function inventoryFile(inv: Inventory): string {
  return inv.file ? ` ${inv.file}` : "";
}

/** Whether an input default has its declared type. */
function sameType(v: unknown, type: string): boolean {
  if (typeof v === "string") return type === "string";
  if (typeof v === "number") return type === "number";
  return typeof v === "boolean" && type === "boolean";
}
