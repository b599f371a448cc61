/**
 * The checks of one value against its {@linkcode LangFieldSpec} (types, durations, enums,
 * secrets, nested fields, one-of groups, step references), each issue located at the
 * offending key or value; the expressions inside go to `check_expr.ts`.
 *
 * @module
 */

import type { LEntry, LNode } from "./tree.ts";
import { didYouMean, suggest } from "./suggest.ts";
import { type Checker, describe, orList, type Scope, TYPE_TEXT } from "./checker.ts";
import { checkExpressions } from "./check_expr.ts";
import {
  DATE_TIME_TEXT,
  DURATION_TEXT,
  durationMs,
  type LangFieldSpec,
  parseDateTime,
  parseTimeOfDay,
  TIME_OF_DAY_TEXT,
} from "../language/fields.ts";
import { wholeExpression } from "../expr/mod.ts";

/**
 * Checks a mapping's keys against declared fields: unknown, missing, one-of groups.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkFields } from "./check.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({}), {});
 * const fields = { name: { type: "string", description: "its name" } } as const;
 * checkFields(cx, fromPlain({ nmae: "x" }), undefined, undefined, fields, {
 *   owner: "app",
 *   open: false,
 *   scope: { place: "app", contexts: [] },
 * });
 * cx.issues[0].hint; // 'did you mean "name"?'
 * ```
 */
export function checkFields(
  cx: Checker,
  node: LNode,
  entry: LEntry | undefined,
  parent: LNode | undefined,
  fields: Readonly<Record<string, LangFieldSpec>>,
  o: { owner: string; open: boolean; oneOf?: readonly (readonly string[])[]; scope: Scope },
): void {
  const entries = node.entries ?? [];
  const names = Object.keys(fields);
  const present = new Set(entries.map((e) => e.key));
  const missingAt = (message: string, hint?: string) => {
    if (entry && parent) cx.atKey(entry, parent, message, hint);
    else cx.at(node, message, { hint });
  };
  // A misspelt key already has its did-you-mean: no second issue saying it is missing.
  const misspelt = new Set<string>();
  for (const e of entries) {
    const f = fields[e.key];
    if (!f) {
      const close = suggest(e.key, names);
      if (close) misspelt.add(close);
      if (!o.open || close) {
        cx.atKey(
          e,
          node,
          `unknown key "${e.key}" in ${o.owner}`,
          close ? `did you mean "${close}"?` : undefined,
        );
      } else if (typeof e.value.value === "string" && e.value.value.includes("${{")) {
        checkExpressions(cx, e.value, e.value.value, o.scope);
      }
      continue;
    }
    checkValue(cx, e.value, f, `"${e.key}" in ${o.owner}`, o.scope, `${o.owner}.${e.key}`);
  }
  for (const [name, f] of Object.entries(fields)) {
    if (f.required && !present.has(name) && !misspelt.has(name)) {
      missingAt(`missing required field "${name}" in ${o.owner}`);
    }
  }
  if (o.oneOf?.length) {
    const given = o.oneOf.filter((group) => group.some((k) => present.has(k)));
    const groups = orList(o.oneOf.map((g) => g.map((k) => `"${k}"`).join(" + ")));
    const near = o.oneOf.some((group) => group.some((k) => misspelt.has(k)));
    if (given.length === 0 && !near) missingAt(`${o.owner} needs ${groups}`);
    if (given.length > 1) {
      const second = entries.find((e) => given[1].includes(e.key))!;
      cx.atKey(second, node, `${o.owner} takes only one of ${groups}, not both`);
    }
  }
}

/**
 * Checks one value against a declaration; true when its type is right.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkValue } from "./check.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({}), {});
 * const spec = { type: "duration", description: "how long" } as const;
 * checkValue(cx, fromPlain("5m"), spec, `"timeout"`, { place: "timeout", contexts: [] }); // false
 * cx.issues[0].message; // 'bad duration "5m" for "timeout"'
 * ```
 */
export function checkValue(
  cx: Checker,
  node: LNode,
  spec: LangFieldSpec,
  label: string,
  scope: Scope,
  owner = label,
): boolean {
  const types = (Array.isArray(spec.type) ? spec.type : [spec.type]) as string[];
  const v = node.value;
  if (typeof v === "string" && v.includes("${{") && spec.literal) {
    cx.at(node, `${label} must be written literally, not as an expression`);
    return false;
  }
  if (typeof v === "string" && v.includes("${{")) {
    checkExpressions(cx, node, v, scope);
    // Text around an expression makes a string: fine where a string may stand.
    const stringy = ["string", "any", "date_time", "time_of_day"];
    if (wholeExpression(v) !== undefined || types.some((t) => stringy.includes(t))) {
      return true;
    }
    cx.at(
      node,
      `wrong type for ${label}: expected ${orList(types.map((t) => TYPE_TEXT[t]))}, got a string`,
      {
        hint: "only a value that is one whole ${{ }} keeps its type",
      },
    );
    return false;
  }
  if (spec.secret) {
    cx.at(node, `${label} is a secret and must not be written in the file`, {
      hint: "use ${{ secrets.NAME }}",
      mask: true,
    });
    return false;
  }
  const matches = (t: string): boolean => {
    switch (t) {
      case "string":
        // A `text` field takes any scalar: it is sent as its text.
        return typeof v === "string" ||
          (!!spec.text && (typeof v === "number" || typeof v === "boolean"));
      case "number":
        return typeof v === "number";
      case "integer":
        return typeof v === "number" && Number.isInteger(v);
      case "boolean":
        return typeof v === "boolean";
      case "duration":
        return durationMs(v) !== undefined;
      case "date_time":
        return parseDateTime(v) !== undefined;
      case "time_of_day":
        return parseTimeOfDay(v) !== undefined;
      case "object":
        return node.kind === "map";
      case "array":
        return node.kind === "seq";
      case "string_map":
        return node.kind === "map" &&
          node.entries!.every((e) => e.value.kind === "scalar" && e.value.value !== null);
      default:
        return true;
    }
  };
  const type = types.find(matches);
  if (type === undefined) {
    const scalar = typeof v === "string" || typeof v === "number";
    if (types.includes("duration") && scalar) {
      cx.at(node, `bad duration ${JSON.stringify(v)} for ${label}`, { hint: DURATION_TEXT });
    } else if (types.includes("date_time") && scalar) {
      cx.at(node, `bad date-time ${JSON.stringify(v)} for ${label}`, { hint: DATE_TIME_TEXT });
    } else if (types.includes("time_of_day") && scalar) {
      cx.at(node, `bad time of day ${JSON.stringify(v)} for ${label}`, {
        hint: TIME_OF_DAY_TEXT,
      });
    } else if (types.includes("string_map") && node.kind === "map") {
      const bad = node.entries!.find((e) => e.value.kind !== "scalar" || e.value.value === null)!;
      cx.at(
        bad.value,
        `wrong type for "${bad.key}" in ${owner}: expected a string, got ${describe(bad.value)}`,
      );
    } else {
      const quote = types.includes("string") && node.kind === "scalar" && v !== null
        ? `quote it: "${String(v)}"`
        : undefined;
      cx.at(
        node,
        `wrong type for ${label}: expected ${orList(types.map((t) => TYPE_TEXT[t]))}, got ${
          describe(node)
        }`,
        { hint: quote },
      );
    }
    return false;
  }
  if (spec.enum && node.kind === "scalar" && !spec.enum.includes(v as string)) {
    const words = spec.enum.map(String);
    cx.at(node, `bad value ${JSON.stringify(v)} for ${label}: expected ${orList(words)}`, {
      hint: typeof v === "string" ? didYouMean(v, words) : undefined,
    });
    return false;
  }
  if (spec.minimum !== undefined && typeof v === "number" && v < spec.minimum) {
    cx.at(node, `${label} must be at least ${spec.minimum}, got ${v}`);
    return false;
  }
  if (type === "object" && spec.fields) {
    const before = cx.issues.length;
    checkFields(cx, node, undefined, undefined, spec.fields, { owner, open: false, scope });
    return cx.issues.length === before;
  }
  if (type === "array" && spec.items) {
    let ok = true;
    node.items!.forEach((item, i) => {
      ok = checkValue(cx, item, spec.items!, `${label.replace(/"$/, "")}[${i}]"`, scope, owner) &&
        ok;
    });
    return ok;
  }
  if (
    (type === "object" || type === "array" || type === "string_map" || type === "any") &&
    node.kind !== "scalar"
  ) {
    nested(cx, node, scope);
  }
  return true;
}

/** Expressions inside free-form mappings and lists. */
function nested(cx: Checker, node: LNode, scope: Scope): void {
  for (const child of [...(node.items ?? []), ...(node.entries ?? []).map((e) => e.value)]) {
    if (typeof child.value === "string" && child.value.includes("${{")) {
      checkExpressions(cx, child, child.value, scope);
    } else if (child.kind !== "scalar") nested(cx, child, scope);
  }
}

/**
 * A field naming a step id (`wait.run`): defined earlier in the same list, of the right type.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkStepRef } from "./check.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({}), {});
 * checkStepRef(cx, fromPlain("job"), "run_async", `"run" in wait`, { place: "wait", contexts: [] });
 * cx.issues[0].message; // '"run" in wait names an undefined step "job"'
 * ```
 */
export function checkStepRef(
  cx: Checker,
  node: LNode,
  kind: "any" | "run_async",
  label: string,
  scope: Scope,
): void {
  const v = node.value;
  if (typeof v !== "string" || v.includes("${{")) return;
  const info = scope.earlier?.get(v);
  const same = info && (info.list === scope.list);
  if (info && same) {
    if (kind === "run_async" && info.type !== "run_async") {
      cx.at(
        node,
        `${label} must name a run_async step; "${v}" is ${
          info.type ? `a step of type ${info.type}` : "not one"
        }`,
      );
    }
    return;
  }
  const later = cx.ids.get(v);
  if (later && v === scope.self) {
    cx.at(node, `${label} names its own step "${v}"`);
  } else if (later) {
    const line = cx.loc.at(later.start, "").line;
    cx.at(
      node,
      `${label} names step "${v}", which is ${
        later.list === scope.list ? "defined later" : `in "${later.list}"`
      }${line ? ` (line ${line})` : ""}`,
      {
        hint: "a step can only name steps before it in the same list",
      },
    );
  } else {
    const candidates = [...(scope.earlier?.values() ?? [])].filter((i) =>
      kind === "any" || i.type === kind
    ).map((i) => i.id);
    cx.at(node, `${label} names an undefined step "${v}"`, {
      hint: didYouMean(v, candidates),
    });
  }
}
