/**
 * The structure of a workflow's step lists: step ids (unique, and who may name whom), one step
 * type a step, the common step fields (`id`, `if`, `timeout`, `retry`, ...) and the step body
 * against its {@linkcode StepSpec}, each turned into a {@linkcode WorkflowStep}.
 *
 * @module
 */

import type { RetryPolicy, StepSpec, WorkflowStep } from "../language/spec.ts";
import type { LEntry, LNode } from "./tree.ts";
import { suggest } from "./suggest.ts";
import { CONTEXTS, wholeExpression } from "../expr/mod.ts";
import { COMMON_STEP_FIELDS, durationMs, ID_PATTERN as ID } from "../language/fields.ts";
import { type Checker, describe, type Scope, type StepInfo, stringOf } from "./checker.ts";
import { checkFields, checkStepRef, checkValue } from "./check.ts";
import { checkExpression, checkExpressions } from "./check_expr.ts";

/**
 * Records every valid step id of a list (first use); a repeated id is an issue.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { collectIds } from "./structure.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * import { STEPS } from "../language/steps/mod.ts";
 * const cx = new Checker(new Locator({}), STEPS);
 * collectIds(cx, fromPlain([{ id: "a", logout: null }]).items!, "steps");
 * cx.ids.get("a")?.type; // "logout"
 * ```
 */
export function collectIds(cx: Checker, items: LNode[], list: "steps" | "finally"): void {
  items.forEach((item, index) => {
    const entry = item.entries?.find((e) => e.key === "id");
    if (!entry || typeof entry.value.value !== "string") return;
    const id = entry.value.value;
    if (!ID.test(id)) return;
    const type = item.entries!.map((e) => e.key).find((k) => k in cx.registry);
    const first = cx.ids.get(id);
    if (first) {
      const line = cx.loc.at(first.start, "").line;
      cx.at(entry.value, `duplicate step id "${id}"`, {
        hint: line ? `first used on line ${line}` : `first used in ${first.list}[${first.index}]`,
      });
      return;
    }
    cx.ids.set(id, { id, type, list, index, start: item.start });
  });
}

/**
 * Checks the steps of a list, each seeing the steps before it, and builds them.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkSteps } from "./structure.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * import { STEPS } from "../language/steps/mod.ts";
 * const cx = new Checker(new Locator({}), STEPS);
 * const [step] = checkSteps(cx, fromPlain([{ logout: null }], "steps").items!, "steps");
 * step.type; // "logout"
 * ```
 */
export function checkSteps(cx: Checker, items: LNode[], list: "steps" | "finally"): WorkflowStep[] {
  const out: WorkflowStep[] = [];
  const earlier = new Map<string, StepInfo>();
  if (list === "finally") {
    for (const info of cx.ids.values()) if (info.list === "steps") earlier.set(info.id, info);
  }
  items.forEach((item, index) => {
    const step = checkStep(cx, item, index, list, earlier);
    if (step) out.push(step);
    const id = item.entries?.find((e) => e.key === "id")?.value.value;
    const info = typeof id === "string" ? cx.ids.get(id) : undefined;
    if (info && info.list === list && info.index === index) earlier.set(info.id, info);
  });
  return out;
}

/** One step: a mapping with one step type, its common fields and its body. */
function checkStep(
  cx: Checker,
  item: LNode,
  index: number,
  list: "steps" | "finally",
  earlier: ReadonlyMap<string, StepInfo>,
): WorkflowStep | undefined {
  const types = Object.keys(cx.registry);
  if (item.kind !== "map") {
    const v = item.value;
    const hint = typeof v === "string" && v in cx.registry
      ? `write "- ${v}:" with a colon`
      : typeof v === "string" && suggest(v, types)
      ? `did you mean "- ${suggest(v, types)}:"?`
      : undefined;
    cx.at(item, `a step must be a mapping with one step type, got ${describe(item)}`, {
      hint,
    });
    return undefined;
  }
  const entries = item.entries!;
  const idValue = entries.find((e) => e.key === "id")?.value.value;
  const id = typeof idValue === "string" ? idValue : undefined;
  const typeEntries = entries.filter((e) => e.key in cx.registry);
  const unknown = entries.filter((e) => !(e.key in cx.registry) && !(e.key in COMMON_STEP_FIELDS));
  const label = id !== undefined ? `step "${id}"` : `${list}[${index}]`;
  for (const e of unknown) {
    const asType = suggest(e.key, types);
    const asField = suggest(e.key, Object.keys(COMMON_STEP_FIELDS));
    if (typeEntries.length === 0 && (asType || !asField)) {
      cx.atKey(
        e,
        item,
        `unknown step type "${e.key}"`,
        asType ? `did you mean "${asType}"?` : undefined,
      );
    } else {
      const owner = typeEntries[0] ? cx.registry[typeEntries[0].key] : undefined;
      const hint = asField
        ? `did you mean "${asField}"?`
        : owner && e.key in owner.fields
        ? `"${e.key}" is a field of ${owner.type}: indent it under "${owner.type}:"`
        : undefined;
      cx.atKey(e, item, `unknown key "${e.key}" in ${label}`, hint);
    }
  }
  if (typeEntries.length > 1) {
    cx.atKey(
      typeEntries[1],
      item,
      `a step has exactly one step type; found "${typeEntries[0].key}" and "${typeEntries[1].key}"`,
      "split it into two steps",
    );
  }
  if (typeEntries.length === 0 && unknown.length === 0) {
    cx.at(item, `${label} has no step type`, {
      hint: `add one of ${types.slice(0, 4).join(", ")}, ...`,
    });
  }
  const step: WorkflowStep = {
    type: typeEntries[0]?.key ?? "",
    with: {},
    continue_on_error: false,
    pos: pos(cx, item),
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
    common(cx, e, step, scope);
  }
  const typeEntry = typeEntries[0];
  if (typeEntry) {
    const spec = cx.registry[typeEntry.key];
    step.with = body(cx, typeEntry, item, spec, scope);
  }
  return step;
}

/** Line and column of a node (0 when it has no position). */
function pos(cx: Checker, node: LNode): { line: number; col: number } {
  const { line, col } = cx.loc.at(node.start, "");
  return { line, col };
}

/** One common step field (`id`, `if`, `name`, `timeout`, `retry`, ...) into the step. */
function common(cx: Checker, e: LEntry, step: WorkflowStep, scope: Scope): void {
  const node = e.value;
  const spec = COMMON_STEP_FIELDS[e.key];
  const label = `"${e.key}" in ${scope.place}`;
  switch (e.key) {
    case "id":
      if (typeof node.value !== "string") {
        cx.at(node, `wrong type for ${label}: expected a string, got ${describe(node)}`);
      } else if (!ID.test(node.value)) {
        cx.at(node, `bad step id "${node.value}"`, {
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
          const before = cx.issues.length;
          checkExpressions(cx, node, v, scope);
          if (cx.issues.length === before && wholeExpression(v) === undefined) {
            cx.at(node, `${label} must be one expression, bare or in a single \${{ }}`);
          }
        } else {
          checkExpression(cx, node, v, { source: v, start: -1, offset: 0 }, scope);
        }
        step.if = v;
      } else {
        cx.at(node, `wrong type for ${label}: expected an expression, got ${describe(node)}`);
      }
      return;
    }
  }
  if (!checkValue(cx, node, spec, label, scope, e.key)) return;
  if (e.key === "name") step.name = node.value as string;
  if (e.key === "continue_on_error") step.continue_on_error = node.value as boolean;
  if (e.key === "rerun" && node.value === "skip") {
    const type = step.type;
    const why = scope.list === "finally"
      ? "a finally step always runs"
      : type === "login" || type === "logout"
      ? `${type} always runs (once per run, on the saved session)`
      : type === "run_async"
      ? "its app is temporary (deleted when the node ends), so nothing of it lasts to a rerun"
      : undefined;
    if (why) cx.at(node, `${label} cannot be "skip": ${why}`, { hint: 'remove "rerun: skip"' });
    else step.rerun = "skip";
  }
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

/** The body of a step against its spec: fields, one-of groups and step references. */
function body(
  cx: Checker,
  entry: LEntry,
  item: LNode,
  spec: StepSpec,
  scope: Scope,
): Record<string, unknown> {
  const node = entry.value;
  // An empty body (`- logout:`) is checked like an empty mapping: required fields are named.
  const empty = node.kind === "scalar" && node.value === null;
  if (!empty && node.kind !== "map") {
    cx.at(node, `${spec.type} takes a mapping of fields, got ${describe(node)}`);
    return {};
  }
  checkFields(cx, node, entry, item, spec.fields, {
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
    if (f?.stepRef) checkStepRef(cx, e.value, f.stepRef, `"${e.key}" in ${spec.type}`, scope);
  }
  return out;
}
