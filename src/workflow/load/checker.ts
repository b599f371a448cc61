/**
 * What every check of a workflow shares: the issues found so far, where they sit in the file
 * ({@linkcode Locator}), the step types, and what the structure has declared (input names,
 * step ids); and how values are named in messages. The structure checks (`validate.ts`,
 * `structure.ts`), the value checks (`check.ts`) and the expression checks
 * (`check_expr.ts`) each take one {@linkcode Checker} and add to its issues.
 *
 * @module
 */

import type { StepSpec } from "../language/spec.ts";
import type { WorkflowIssue } from "./errors.ts";
import type { LEntry, LNode } from "./tree.ts";
import type { Locator } from "./locator.ts";
import type { Inventory } from "../inventory/inventory.ts";

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

/**
 * What a node is, for messages: `a string`, `a list`, ... (never its value).
 *
 * @example
 * ```ts
 * import { describe } from "./checker.ts";
 * import { fromPlain } from "./tree.ts";
 * describe(fromPlain([1, 2])); // "a list"
 * ```
 */
export function describe(node: LNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  const v = node.value;
  if (v === null) return "nothing";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  return `a ${typeof v}`;
}

/**
 * `a, b or c`.
 *
 * @example
 * ```ts
 * import { orList } from "./checker.ts";
 * orList(["a", "b", "c"]); // "a, b or c"
 * ```
 */
export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * Scalars of string maps become strings (`PORT: 8080` → `"8080"`).
 *
 * @example
 * ```ts
 * import { stringOf } from "./checker.ts";
 * stringOf(8080); // "8080"
 * ```
 */
export function stringOf(v: unknown): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

/**
 * The issues of one check of a file, and what its structure declares.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({ file: "x.yaml" }), {});
 * cx.at(fromPlain(null, "steps"), "missing steps");
 * cx.issues[0].path; // "steps"
 * ```
 */
export class Checker {
  /** Every issue found so far. */
  issues: WorkflowIssue[] = [];
  /** Positions for issues. */
  readonly loc: Locator;
  /** The step types. */
  readonly registry: Readonly<Record<string, StepSpec>>;
  /** Declared input names. */
  readonly inputs: Set<string> = new Set<string>();
  /** Every valid step id of the file (first use). */
  readonly ids: Map<string, StepInfo> = new Map<string, StepInfo>();
  /** The inventory the workflow will run with, when known: `nodes:` and `node.vars` are checked. */
  inventory?: Inventory;

  /** Starts with no issue. */
  constructor(locator: Locator, registry: Readonly<Record<string, StepSpec>>) {
    this.loc = locator;
    this.registry = registry;
  }

  /** An issue at a node. */
  at(node: LNode, message: string, opts: { hint?: string; mask?: boolean } = {}): void {
    this.issues.push(this.loc.issue(node, message, opts));
  }

  /** An issue at a mapping key. */
  atKey(entry: LEntry, parent: LNode, message: string, hint?: string): void {
    this.issues.push(this.loc.key(entry, parent, message, { hint }));
  }
}
