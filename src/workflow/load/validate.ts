/**
 * Validation of a workflow: the located tree of `yaml.ts` checked against the language's
 * definitions (`fields.ts`) and the step registry (`steps/mod.ts`), every issue collected,
 * then turned into a {@linkcode Workflow}. The JSON Schema (`schema.ts`) is generated from
 * the same definitions.
 *
 * @module
 */

import type { InputSpec, RetryPolicy, StepSpec, Workflow, WorkflowStep } from "../language/spec.ts";
import { STEPS } from "../language/steps/mod.ts";
import type { WorkflowIssue } from "./errors.ts";
import type { LEntry, LNode, Locator } from "./yaml.ts";
import { didYouMean, suggest } from "./suggest.ts";
import { CONTEXTS, wholeExpression } from "../expr/mod.ts";
import {
  COMMON_STEP_FIELDS,
  durationMs,
  ENV_NAME,
  ID_PATTERN as ID,
  INPUT_FIELDS,
  type LangFieldSpec,
  WORKFLOW_FIELDS,
} from "../language/fields.ts";
import { describe, type Scope, type StepInfo, stringOf, TYPE_TEXT, ValueChecker } from "./check.ts";

/** Options of {@linkcode validateTree}. */
export interface ValidateOptions {
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
  /** The file the workflow came from (its base name is the default `name`). */
  file?: string;
}

/** Checks the tree and builds the workflow; the issues say what is wrong. */
export function validateTree(
  root: LNode | undefined,
  locator: Locator,
  options: ValidateOptions = {},
): { workflow?: Workflow; issues: WorkflowIssue[] } {
  const checker = new Checker(locator, options.registry ?? STEPS);
  const workflow = checker.workflow(root, options.file);
  return checker.issues.length ? { issues: checker.issues } : { workflow, issues: [] };
}

class Checker extends ValueChecker {
  workflow(root: LNode | undefined, file?: string): Workflow {
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
        this.issues.push(this.loc.at(0, 'the workflow is empty; it needs at least "steps:"'));
      } else {this.at(
          root,
          `a workflow is a mapping of keys (name, steps, ...), got ${describe(root)}`,
        );}
      return wf;
    }
    const get = (key: string) => root.entries!.find((e) => e.key === key)?.value;
    for (const entry of root.entries) {
      if (!(entry.key in WORKFLOW_FIELDS)) {
        const hint = didYouMean(entry.key, Object.keys(WORKFLOW_FIELDS)) ??
          (entry.key in this.registry ? `steps go in a list under "steps:"` : undefined);
        this.atKey(entry, root, `unknown top-level key "${entry.key}"`, hint);
      }
    }
    // Inputs first: expressions anywhere may read them.
    const inputs = get("inputs");
    if (inputs) wf.inputs = this.inputsOf(inputs);
    const top: Scope = { place: "", contexts: ["env", "secrets", "inputs", "run"] };
    for (
      const key of ["name", "description", "concurrency", "fail_fast", "max_failures"] as const
    ) {
      const node = get(key);
      if (!node) continue;
      if (this.value(node, WORKFLOW_FIELDS[key], `"${key}"`, { ...top, place: key })) {
        (wf as unknown as Record<string, unknown>)[key] = node.value;
      }
    }
    const connection = get("connection");
    if (connection) {
      if (
        this.value(connection, WORKFLOW_FIELDS.connection, `"connection"`, {
          ...top,
          place: "connection",
        }, "connection")
      ) {
        wf.connection = connection.value as Workflow["connection"];
      }
    }
    const nodes = get("nodes");
    if (nodes) this.nodes(nodes, wf, { ...top, place: "nodes" });
    const env = get("env");
    if (env) {
      const scope = { ...top, place: "env", contexts: [...top.contexts, "node"] };
      const ok = this.value(env, WORKFLOW_FIELDS.env, `"env"`, scope, "env");
      for (const e of env.entries ?? []) {
        if (!ENV_NAME.test(e.key)) {
          this.atKey(
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
      this.issues.push(this.loc.at(root.start, 'missing required key "steps"', { path: "steps" }));
    }
    const lists: [LNode | undefined, "steps" | "finally"][] = [[steps, "steps"], [fin, "finally"]];
    for (const [node, list] of lists) {
      if (node && node.kind !== "seq") {
        this.at(node, `wrong type for "${list}": expected a list of steps, got ${describe(node)}`);
      } else if (node && list === "steps" && !node.items?.length) {
        this.at(node, `"steps" is empty`, { hint: "give at least one step" });
      }
    }
    const stepItems = steps?.kind === "seq" ? steps.items! : [];
    const finItems = fin?.kind === "seq" ? fin.items! : [];
    this.collectIds(stepItems, "steps");
    this.collectIds(finItems, "finally");
    wf.steps = this.steps(stepItems, "steps");
    wf.finally = this.steps(finItems, "finally");
    return wf;
  }

  inputsOf(node: LNode): Record<string, InputSpec> {
    const out: Record<string, InputSpec> = {};
    if (node.kind !== "map") {
      this.at(
        node,
        `wrong type for "inputs": expected a mapping of input names, got ${describe(node)}`,
      );
      return out;
    }
    for (const e of node.entries!) {
      if (!ID.test(e.key)) {
        this.atKey(e, node, `bad input name "${e.key}"`, "use letters, digits, _ and -");
      }
      this.inputs.add(e.key);
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
      if (!this.value(decl, spec, `input "${e.key}"`, scope, `input "${e.key}"`)) {
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
          this.at(
            d,
            `wrong type for the default of input "${e.key}": expected ${
              TYPE_TEXT[input.type]
            }, got ${describe(d)}`,
          );
        } else input.default = v.default;
      }
      out[e.key] = input;
    }
    return out;
  }

  nodes(node: LNode, wf: Workflow, scope: Scope): void {
    if (node.kind === "scalar" && typeof node.value === "string") {
      if (wholeExpression(node.value) !== undefined) {
        this.expressions(node, node.value, scope);
        wf.nodes = node.value;
      } else {
        this.at(node, `wrong type for "nodes": expected a list or an expression, got a string`, {
          hint: `write nodes: [${node.value}]`,
        });
      }
      return;
    }
    if (this.value(node, WORKFLOW_FIELDS.nodes, `"nodes"`, scope)) {
      if (node.kind === "seq" && node.items!.length === 0) {
        this.at(node, `"nodes" is an empty list`, { hint: "omit it to run on the server itself" });
      }
      wf.nodes = node.value as string[];
    }
  }

  collectIds(items: LNode[], list: "steps" | "finally"): void {
    items.forEach((item, index) => {
      const entry = item.entries?.find((e) => e.key === "id");
      if (!entry || typeof entry.value.value !== "string") return;
      const id = entry.value.value;
      if (!ID.test(id)) return;
      const type = item.entries!.map((e) => e.key).find((k) => k in this.registry);
      const first = this.ids.get(id);
      if (first) {
        const line = this.loc.at(first.start, "").line;
        this.at(entry.value, `duplicate step id "${id}"`, {
          hint: line ? `first used on line ${line}` : `first used in ${first.list}[${first.index}]`,
        });
        return;
      }
      this.ids.set(id, { id, type, list, index, start: item.start });
    });
  }

  steps(items: LNode[], list: "steps" | "finally"): WorkflowStep[] {
    const out: WorkflowStep[] = [];
    const earlier = new Map<string, StepInfo>();
    if (list === "finally") {
      for (const info of this.ids.values()) if (info.list === "steps") earlier.set(info.id, info);
    }
    items.forEach((item, index) => {
      const step = this.step(item, index, list, earlier);
      if (step) out.push(step);
      const id = item.entries?.find((e) => e.key === "id")?.value.value;
      const info = typeof id === "string" ? this.ids.get(id) : undefined;
      if (info && info.list === list && info.index === index) earlier.set(info.id, info);
    });
    return out;
  }

  step(
    item: LNode,
    index: number,
    list: "steps" | "finally",
    earlier: ReadonlyMap<string, StepInfo>,
  ): WorkflowStep | undefined {
    const types = Object.keys(this.registry);
    if (item.kind !== "map") {
      const v = item.value;
      const hint = typeof v === "string" && v in this.registry
        ? `write "- ${v}:" with a colon`
        : typeof v === "string" && suggest(v, types)
        ? `did you mean "- ${suggest(v, types)}:"?`
        : undefined;
      this.at(item, `a step must be a mapping with one step type, got ${describe(item)}`, {
        hint,
      });
      return undefined;
    }
    const entries = item.entries!;
    const idValue = entries.find((e) => e.key === "id")?.value.value;
    const id = typeof idValue === "string" ? idValue : undefined;
    const typeEntries = entries.filter((e) => e.key in this.registry);
    const unknown = entries.filter((e) =>
      !(e.key in this.registry) && !(e.key in COMMON_STEP_FIELDS)
    );
    const label = id !== undefined ? `step "${id}"` : `${list}[${index}]`;
    for (const e of unknown) {
      const asType = suggest(e.key, types);
      const asField = suggest(e.key, Object.keys(COMMON_STEP_FIELDS));
      if (typeEntries.length === 0 && (asType || !asField)) {
        this.atKey(
          e,
          item,
          `unknown step type "${e.key}"`,
          asType ? `did you mean "${asType}"?` : undefined,
        );
      } else {
        const owner = typeEntries[0] ? this.registry[typeEntries[0].key] : undefined;
        const hint = asField
          ? `did you mean "${asField}"?`
          : owner && e.key in owner.fields
          ? `"${e.key}" is a field of ${owner.type}: indent it under "${owner.type}:"`
          : undefined;
        this.atKey(e, item, `unknown key "${e.key}" in ${label}`, hint);
      }
    }
    if (typeEntries.length > 1) {
      this.atKey(
        typeEntries[1],
        item,
        `a step has exactly one step type; found "${typeEntries[0].key}" and "${
          typeEntries[1].key
        }"`,
        "split it into two steps",
      );
    }
    if (typeEntries.length === 0 && unknown.length === 0) {
      this.at(item, `${label} has no step type`, {
        hint: `add one of ${types.slice(0, 4).join(", ")}, ...`,
      });
    }
    const step: WorkflowStep = {
      type: typeEntries[0]?.key ?? "",
      with: {},
      continue_on_error: false,
      pos: this.pos(item),
      index,
    };
    const scope: Scope = {
      place: label,
      contexts: CONTEXTS,
      earlier,
      self: id,
      list,
    };
    for (const e of entries) {
      if (!(e.key in COMMON_STEP_FIELDS)) continue;
      this.common(e, step, scope);
    }
    const typeEntry = typeEntries[0];
    if (typeEntry) {
      const spec = this.registry[typeEntry.key];
      step.with = this.body(typeEntry, item, spec, scope);
    }
    return step;
  }

  pos(node: LNode): { line: number; col: number } {
    const { line, col } = this.loc.at(node.start, "");
    return { line, col };
  }

  common(e: LEntry, step: WorkflowStep, scope: Scope): void {
    const node = e.value;
    const spec = COMMON_STEP_FIELDS[e.key];
    const label = `"${e.key}" in ${scope.place}`;
    switch (e.key) {
      case "id":
        if (typeof node.value !== "string") {
          this.at(node, `wrong type for ${label}: expected a string, got ${describe(node)}`);
        } else if (!ID.test(node.value)) {
          this.at(node, `bad step id "${node.value}"`, {
            hint: "use letters, digits, _ and -, starting with a letter or _",
          });
        } else step.id = node.value;
        return;
      case "if": {
        const v = node.value;
        if (typeof v === "boolean") {
          step.if = String(v);
        } else if (typeof v === "string") {
          if (v.includes("${{")) {
            const before = this.issues.length;
            this.expressions(node, v, scope);
            if (this.issues.length === before && wholeExpression(v) === undefined) {
              this.at(node, `${label} must be one expression, bare or in a single \${{ }}`);
            }
          } else {
            this.expression(node, v, { source: v, start: -1, offset: 0 }, scope);
          }
          step.if = v;
        } else {
          this.at(node, `wrong type for ${label}: expected an expression, got ${describe(node)}`);
        }
        return;
      }
    }
    if (!this.value(node, spec, label, scope, e.key)) return;
    if (e.key === "name") step.name = node.value as string;
    if (e.key === "continue_on_error") step.continue_on_error = node.value as boolean;
    if (e.key === "timeout") step.timeout = durationMs(node.value);
    if (e.key === "retry") {
      const r = node.value as Record<string, unknown>;
      const policy: RetryPolicy = {
        attempts: r.attempts as number,
        backoff: (r.backoff as RetryPolicy["backoff"]) ?? "exponential",
        interval: durationMs(r.interval ?? "PT1S") ?? 1000,
      };
      step.retry = policy;
    }
  }

  body(entry: LEntry, item: LNode, spec: StepSpec, scope: Scope): Record<string, unknown> {
    const node = entry.value;
    // An empty body (`- logout:`) is checked like an empty mapping: required fields are named.
    const empty = node.kind === "scalar" && node.value === null;
    if (!empty && node.kind !== "map") {
      this.at(node, `${spec.type} takes a mapping of fields, got ${describe(node)}`);
      return {};
    }
    this.fields(node, entry, item, spec.fields, {
      owner: spec.type,
      open: !!spec.openFields,
      oneOf: spec.oneOf,
      scope,
    });
    if (empty) return {};
    const out: Record<string, unknown> = {};
    for (const e of node.entries!) {
      const f = spec.fields[e.key];
      out[e.key] = f && f.type === "string_map" && e.value.kind === "map"
        ? Object.fromEntries(
          Object.entries(e.value.value as object).map(([k, v]) => [k, stringOf(v)]),
        )
        : e.value.value;
      if (f?.stepRef) this.stepRef(e.value, f.stepRef, `"${e.key}" in ${spec.type}`, scope);
    }
    return out;
  }
}

function sameType(v: unknown, type: string): boolean {
  if (typeof v === "string") return type === "string";
  if (typeof v === "number") return type === "number";
  return typeof v === "boolean" && type === "boolean";
}
