/**
 * The checks under the workflow's structure: one value against its {@linkcode FieldSpec}
 * (types, durations, enums, secrets, nested fields, one-of groups), and every `${{ }}`
 * expression (syntax, names, and references to inputs and earlier steps), each issue located
 * at the offending key, value or part of the expression.
 *
 * @module
 */

import type { StepSpec } from "../language/spec.ts";
import type { WorkflowIssue } from "./errors.ts";
import type { LEntry, LNode, Locator } from "./yaml.ts";
import { didYouMean, suggest } from "./suggest.ts";
import {
  DATE_TIME_TEXT,
  DURATION_TEXT,
  durationMs,
  type LangFieldSpec,
  parseDateTime,
  parseTimeOfDay,
  TIME_OF_DAY_TEXT,
} from "../language/fields.ts";
import {
  checkExpression,
  collectReferences,
  CONTEXTS,
  type ExprError,
  parse,
  type Reference,
  splitTemplate,
  wholeExpression,
} from "../expr/mod.ts";

/** A step with an id, as references see it. */
export interface StepInfo {
  /** Its id. */
  id: string;
  /** Its step type, when it has a known one. */
  type?: string;
  /** The list it is in. */
  list: "steps" | "finally";
  /** Its index in that list. */
  index: number;
  /** Offset of the step in the file (-1: unknown). */
  start: number;
}

/** Where a value sits: what its expressions may read. */
export interface Scope {
  /** Where the expression is, for messages: `connection`, `env`, `step "x"`. */
  place: string;
  /** The contexts available there. */
  contexts: readonly string[];
  /** Steps whose outputs may be read here. */
  earlier?: ReadonlyMap<string, StepInfo>;
  /** The id of the step the value belongs to. */
  self?: string;
  /** The list of that step. */
  list?: "steps" | "finally";
}

/** How each field type is named in messages. */
export const TYPE_TEXT: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  duration: "a duration",
  date_time: "a date-time",
  time_of_day: "a time of day",
  object: "a mapping",
  array: "a list",
  string_map: "a mapping of strings",
  any: "any value",
};

/** What a node is, for messages: `a string`, `a list`, ... (never its value). */
export function describe(node: LNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  const v = node.value;
  if (v === null) return "nothing";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  return `a ${typeof v}`;
}

/** `a, b or c`. */
export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** Scalars of string maps become strings (`PORT: 8080` → `"8080"`). */
export function stringOf(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

function tokenLength(source: string, offset: number): number {
  const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(offset));
  return m ? m[0].length : 1;
}

/** Collects issues while checking values and expressions; `validate.ts` adds the structure. */
export class ValueChecker {
  /** Every issue found so far. */
  issues: WorkflowIssue[] = [];
  /** Positions for issues. */
  protected loc: Locator;
  /** The step types. */
  protected registry: Readonly<Record<string, StepSpec>>;
  /** Declared input names. */
  protected inputs: Set<string> = new Set<string>();
  /** Every valid step id of the file (first use). */
  protected ids: Map<string, StepInfo> = new Map<string, StepInfo>();

  /** Starts with no issue. */
  constructor(locator: Locator, registry: Readonly<Record<string, StepSpec>>) {
    this.loc = locator;
    this.registry = registry;
  }

  /** An issue at a node. */
  protected at(node: LNode, message: string, opts: { hint?: string; mask?: boolean } = {}): void {
    this.issues.push(this.loc.issue(node, message, opts));
  }

  /** An issue at a mapping key. */
  protected atKey(entry: LEntry, parent: LNode, message: string, hint?: string): void {
    this.issues.push(this.loc.key(entry, parent, message, { hint }));
  }

  /** Checks a mapping's keys against declared fields: unknown, missing, one-of groups. */
  protected fields(
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
      if (entry && parent) this.atKey(entry, parent, message, hint);
      else this.at(node, message, { hint });
    };
    // A misspelt key already has its did-you-mean: no second issue saying it is missing.
    const misspelt = new Set<string>();
    for (const e of entries) {
      const f = fields[e.key];
      if (!f) {
        const close = suggest(e.key, names);
        if (close) misspelt.add(close);
        if (!o.open || close) {
          this.atKey(
            e,
            node,
            `unknown key "${e.key}" in ${o.owner}`,
            close ? `did you mean "${close}"?` : undefined,
          );
        } else if (typeof e.value.value === "string" && e.value.value.includes("${{")) {
          this.expressions(e.value, e.value.value, o.scope);
        }
        continue;
      }
      this.value(e.value, f, `"${e.key}" in ${o.owner}`, o.scope, `${o.owner}.${e.key}`);
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
        this.atKey(second, node, `${o.owner} takes only one of ${groups}, not both`);
      }
    }
  }

  /** Checks one value against a declaration; true when its type is right. */
  protected value(
    node: LNode,
    spec: LangFieldSpec,
    label: string,
    scope: Scope,
    owner = label,
  ): boolean {
    const types = (Array.isArray(spec.type) ? spec.type : [spec.type]) as string[];
    const v = node.value;
    if (typeof v === "string" && v.includes("${{") && spec.literal) {
      this.at(node, `${label} must be written literally, not as an expression`);
      return false;
    }
    if (typeof v === "string" && v.includes("${{")) {
      this.expressions(node, v, scope);
      // Text around an expression makes a string: fine where a string may stand.
      const stringy = ["string", "any", "date_time", "time_of_day"];
      if (wholeExpression(v) !== undefined || types.some((t) => stringy.includes(t))) {
        return true;
      }
      this.at(
        node,
        `wrong type for ${label}: expected ${orList(types.map((t) => TYPE_TEXT[t]))}, got a string`,
        {
          hint: "only a value that is one whole ${{ }} keeps its type",
        },
      );
      return false;
    }
    if (spec.secret) {
      this.at(node, `${label} is a secret and must not be written in the file`, {
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
        this.at(node, `bad duration ${JSON.stringify(v)} for ${label}`, { hint: DURATION_TEXT });
      } else if (types.includes("date_time") && scalar) {
        this.at(node, `bad date-time ${JSON.stringify(v)} for ${label}`, { hint: DATE_TIME_TEXT });
      } else if (types.includes("time_of_day") && scalar) {
        this.at(node, `bad time of day ${JSON.stringify(v)} for ${label}`, {
          hint: TIME_OF_DAY_TEXT,
        });
      } else if (types.includes("string_map") && node.kind === "map") {
        const bad = node.entries!.find((e) => e.value.kind !== "scalar" || e.value.value === null)!;
        this.at(
          bad.value,
          `wrong type for "${bad.key}" in ${owner}: expected a string, got ${describe(bad.value)}`,
        );
      } else {
        const quote = types.includes("string") && node.kind === "scalar" && v !== null
          ? `quote it: "${String(v)}"`
          : undefined;
        this.at(
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
      this.at(node, `bad value ${JSON.stringify(v)} for ${label}: expected ${orList(words)}`, {
        hint: typeof v === "string" ? didYouMean(v, words) : undefined,
      });
      return false;
    }
    if (spec.minimum !== undefined && typeof v === "number" && v < spec.minimum) {
      this.at(node, `${label} must be at least ${spec.minimum}, got ${v}`);
      return false;
    }
    if (type === "object" && spec.fields) {
      const before = this.issues.length;
      this.fields(node, undefined, undefined, spec.fields, { owner, open: false, scope });
      return this.issues.length === before;
    }
    if (type === "array" && spec.items) {
      let ok = true;
      node.items!.forEach((item, i) => {
        ok = this.value(item, spec.items!, `${label.replace(/"$/, "")}[${i}]"`, scope, owner) &&
          ok;
      });
      return ok;
    }
    if (
      (type === "object" || type === "array" || type === "string_map" || type === "any") &&
      node.kind !== "scalar"
    ) {
      this.nested(node, scope);
    }
    return true;
  }

  /** Expressions inside free-form mappings and lists. */
  protected nested(node: LNode, scope: Scope): void {
    for (const child of [...(node.items ?? []), ...(node.entries ?? []).map((e) => e.value)]) {
      if (typeof child.value === "string" && child.value.includes("${{")) {
        this.expressions(child, child.value, scope);
      } else if (child.kind !== "scalar") this.nested(child, scope);
    }
  }

  /** A field naming a step id (`wait.run`): defined earlier in the same list, of the right type. */
  protected stepRef(node: LNode, kind: "any" | "run_async", label: string, scope: Scope): void {
    const v = node.value;
    if (typeof v !== "string" || v.includes("${{")) return;
    const info = scope.earlier?.get(v);
    const same = info && (info.list === scope.list);
    if (info && same) {
      if (kind === "run_async" && info.type !== "run_async") {
        this.at(
          node,
          `${label} must name a run_async step; "${v}" is ${
            info.type ? `a step of type ${info.type}` : "not one"
          }`,
        );
      }
      return;
    }
    const later = this.ids.get(v);
    if (later && v === scope.self) {
      this.at(node, `${label} names its own step "${v}"`);
    } else if (later) {
      const line = this.loc.at(later.start, "").line;
      this.at(
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
      this.at(node, `${label} names an undefined step "${v}"`, {
        hint: didYouMean(v, candidates),
      });
    }
  }

  /** Checks every `${{ }}` of a string. */
  protected expressions(node: LNode, text: string, scope: Scope): void {
    let segments;
    try {
      segments = splitTemplate(text);
    } catch (e) {
      const err = e as ExprError;
      const raw = this.loc.raw(node);
      const at = raw?.lastIndexOf("${{") ?? -1;
      this.issues.push(
        this.loc.at(at >= 0 ? node.start + at : node.start, `bad expression: ${err.reason}`, {
          path: node.path,
        }),
      );
      return;
    }
    for (const seg of segments) {
      if (seg.kind === "expr") this.expression(node, text, seg, scope);
    }
  }

  /** One expression: syntax, names and references. `seg.start` -1: a bare `if:`. */
  protected expression(
    node: LNode,
    text: string,
    seg: { source: string; start: number; offset: number },
    scope: Scope,
  ): void {
    const where = (offset: number, length = 1) => {
      const raw = this.loc.raw(node);
      if (raw === undefined) return { offset: -1, length };
      let base = -1;
      if (seg.start < 0) {
        base = raw.indexOf(seg.source);
      } else {
        const k = text.slice(0, seg.start).split("${{").length - 1;
        let r = -1;
        for (let i = 0; i <= k; i++) {
          r = raw.indexOf("${{", r + 1);
          if (r < 0) break;
        }
        if (r < 0) return { offset: node.start, length: 1 };
        base = raw.startsWith(seg.source, r + 3) ? r + 3 : -1;
        if (base < 0) return { offset: node.start + r, length: 3 };
      }
      return base < 0
        ? { offset: node.start, length: 1 }
        : { offset: node.start + base + offset, length };
    };
    const report = (message: string, offset: number, length?: number, hint?: string) => {
      const w = where(offset, length);
      this.issues.push(
        this.loc.at(w.offset, message, { hint, length: w.length, path: node.path }),
      );
    };
    let tree;
    try {
      tree = parse(seg.source);
    } catch (e) {
      const err = e as ExprError;
      report(`bad expression: ${err.reason}`, err.offset, 1, err.hint);
      return;
    }
    for (const err of checkExpression(tree, seg.source)) {
      report(err.reason, err.offset, tokenLength(seg.source, err.offset), err.hint);
    }
    for (const ref of collectReferences(tree)) this.reference(ref, scope, report);
  }

  /** One context path of an expression: available here, declared input, earlier step, known output. */
  protected reference(
    ref: Reference,
    scope: Scope,
    report: (message: string, offset: number, length?: number, hint?: string) => void,
  ): void {
    const [root, a, b] = ref.path;
    if (!CONTEXTS.includes(root)) return; // reported by checkExpression
    if (!scope.contexts.includes(root)) {
      report(`"${root}" is not available in ${scope.place}`, ref.offsets[0], root.length);
      return;
    }
    if (root === "inputs" && a !== undefined && !this.inputs.has(a)) {
      report(
        `undefined input "${a}"`,
        ref.offsets[1],
        a.length,
        didYouMean(a, this.inputs) ?? `declare it under "inputs:"`,
      );
    }
    if (root !== "steps" || a === undefined) return;
    if (a === scope.self) {
      report(`${scope.place} reads its own outputs (steps.${a})`, ref.offsets[1], a.length);
      return;
    }
    const info = scope.earlier?.get(a);
    if (!info) {
      const later = this.ids.get(a);
      if (later) {
        const line = this.loc.at(later.start, "").line;
        const what = later.list === scope.list || later.list === "finally"
          ? `defined later${line ? ` (line ${line})` : ""}`
          : "not before this one";
        report(
          `step "${a}" is ${what}; a step can only read the outputs of earlier steps`,
          ref.offsets[1],
          a.length,
        );
      } else {
        report(
          `undefined step "${a}"`,
          ref.offsets[1],
          a.length,
          didYouMean(a, [...(scope.earlier?.keys() ?? [])]),
        );
      }
      return;
    }
    const spec = info.type ? this.registry[info.type] : undefined;
    if (b === undefined || !spec || spec.openOutputs) return;
    if (!(b in spec.outputs)) {
      const outs = Object.keys(spec.outputs);
      report(
        `step "${a}" (${spec.type}) has no output "${b}"`,
        ref.offsets[2],
        b.length,
        didYouMean(b, outs) ??
          (outs.length ? `its outputs: ${outs.join(", ")}` : `${spec.type} has no outputs`),
      );
    }
  }
}
