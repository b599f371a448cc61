/**
 * Static checks and evaluation of a parsed expression.
 *
 * @module
 */

import { didYouMean } from "../load/suggest.ts";
import { ExprError } from "./lexer.ts";
import { type Expr, parse, pathText } from "./parser.ts";
import {
  compare,
  FUNCTIONS,
  type FunctionScope,
  lookupFunction,
  looseEquals,
  truthy,
  type Value,
} from "./functions.ts";

/** What an expression can read. */
export interface ExprContext {
  /** The runner's environment overlaid by the workflow's `env:`. */
  env: Record<string, string>;
  /** Secrets (from the environment or `--secrets-file`). */
  secrets: Record<string, string>;
  /** Declared inputs with their values. */
  inputs: Record<string, unknown>;
  /** The node the step runs on (absent outside a node, e.g. in `connection:`). */
  node?: { name: string; host: string; port: number; vars?: Record<string, unknown> };
  /** The run. */
  run: { id: string; date: string; started: string };
  /** Outputs of the earlier steps of this node, by step id. */
  steps: Record<string, Record<string, unknown>>;
  /** The node's status so far, for `success()`, `failure()` (and `job.status`). */
  job: { status: "success" | "failure" };
}

/** The contexts an expression may name. */
export const CONTEXTS: readonly string[] = [
  "env",
  "secrets",
  "inputs",
  "node",
  "run",
  "steps",
  "job",
];

/** The fixed properties of the contexts that have them. */
export const CONTEXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  node: ["name", "host", "port", "vars"],
  run: ["id", "date", "started"],
  job: ["status"],
};

/**
 * Checks what can be checked without values: contexts, the properties of `node`, `run` and
 * `job`, function names and argument counts. Returns every problem found.
 */
export function checkExpression(tree: Expr, expression: string): ExprError[] {
  const errors: ExprError[] = [];
  const add = (reason: string, offset: number, hint?: string) =>
    errors.push(new ExprError({ reason, expression, offset, hint }));
  const walk = (node: Expr): void => {
    switch (node.kind) {
      case "literal":
        return;
      case "context":
        if (!CONTEXTS.includes(node.name)) {
          add(`unknown context "${node.name}"`, node.pos, didYouMean(node.name, CONTEXTS));
        }
        return;
      case "member": {
        if (node.object.kind === "context" && CONTEXT_FIELDS[node.object.name]) {
          const fields = CONTEXT_FIELDS[node.object.name];
          if (!fields.includes(node.name)) {
            add(
              `${node.object.name} has no property "${node.name}" (it has ${fields.join(", ")})`,
              node.namePos,
              didYouMean(node.name, fields),
            );
          }
        }
        walk(node.object);
        return;
      }
      case "index":
        walk(node.object);
        walk(node.index);
        return;
      case "not":
        walk(node.operand);
        return;
      case "binary":
        walk(node.left);
        walk(node.right);
        return;
      case "call": {
        const found = lookupFunction(node.name);
        if (!found) {
          add(
            `unknown function "${node.name}()"`,
            node.pos,
            didYouMean(node.name, Object.keys(FUNCTIONS)),
          );
        } else {
          const [name, fn] = found;
          const n = node.args.length;
          if (n < fn.min || n > fn.max) {
            const want = fn.min === fn.max
              ? `${fn.min}`
              : fn.max === Infinity
              ? `at least ${fn.min}`
              : `${fn.min} to ${fn.max}`;
            add(
              `${name}() takes ${want} argument${/(^| )1$/.test(want) ? "" : "s"}, got ${n}`,
              node.pos,
            );
          }
        }
        node.args.forEach(walk);
        return;
      }
    }
  };
  walk(tree);
  return errors;
}

function typeName(v: Value): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

function isNodeVars(e: Expr): boolean {
  return e.kind === "member" && e.name === "vars" && e.object.kind === "context" &&
    e.object.name === "node";
}

/** Evaluates a parsed expression; throws {@linkcode ExprError} on a missing reference. */
export function evaluateTree(tree: Expr, expression: string, ctx: ExprContext): Value {
  const fail = (reason: string, offset: number, hint?: string): never => {
    throw new ExprError({ reason, expression, offset, hint });
  };
  const scope: FunctionScope = { status: ctx.job?.status ?? "success" };

  const missing = (node: Expr & { kind: "member" | "index" }, key: string, keys: string[]) => {
    const base = node.object;
    const root = base.kind === "context" ? base.name : undefined;
    const offset = node.kind === "member" ? node.namePos : node.index.pos;
    const hint = didYouMean(key, keys);
    if (root === "env") fail(`environment variable "${key}" is not set`, offset, hint);
    if (root === "secrets") fail(`secret "${key}" is not set`, offset, hint);
    if (root === "inputs") fail(`input "${key}" has no value`, offset, hint);
    if (root === "steps") {
      fail(
        `step "${key}" has no outputs here (no such step, or it has not run on this node)`,
        offset,
        hint,
      );
    }
    fail(`${pathText(base)} has no property "${key}"`, offset, hint);
  };

  const access = (node: Expr & { kind: "member" | "index" }, object: Value, key: Value): Value => {
    if (Array.isArray(object)) {
      if (typeof key !== "number" || !Number.isInteger(key)) {
        return fail(`${pathText(node.object)} is an array; index it with a number`, node.pos);
      }
      if (key < 0 || key >= object.length) {
        return fail(
          `index ${key} is out of range: ${pathText(node.object)} has ${object.length} items`,
          node.pos,
        );
      }
      return object[key];
    }
    if (object === null || object === undefined || typeof object !== "object") {
      return fail(
        `cannot read "${String(key)}" of ${typeName(object)} (${pathText(node.object)})`,
        node.pos,
      );
    }
    const k = String(key);
    // A variable the node does not set reads as null, as GitHub Actions' `vars.X` reads as
    // empty (validation with the inventory catches a name no node sets): `node.vars.x || 'y'`.
    if (!Object.hasOwn(object, k) && isNodeVars(node.object)) return null;
    if (!Object.hasOwn(object, k)) missing(node, k, Object.keys(object));
    return (object as Record<string, Value>)[k] ?? null;
  };

  const run = (node: Expr): Value => {
    switch (node.kind) {
      case "literal":
        return node.value;
      case "context": {
        if (!CONTEXTS.includes(node.name)) {
          return fail(`unknown context "${node.name}"`, node.pos, didYouMean(node.name, CONTEXTS));
        }
        const value = (ctx as unknown as Record<string, Value>)[node.name];
        if (value === undefined) return fail(`${node.name} is not available here`, node.pos);
        return value;
      }
      case "member":
        return access(node, run(node.object), node.name);
      case "index":
        return access(node, run(node.object), run(node.index));
      case "not":
        return !truthy(run(node.operand));
      case "binary": {
        if (node.op === "&&") {
          const left = run(node.left);
          return truthy(left) ? run(node.right) : left;
        }
        if (node.op === "||") {
          const left = run(node.left);
          return truthy(left) ? left : run(node.right);
        }
        const a = run(node.left);
        const b = run(node.right);
        switch (node.op) {
          case "==":
            return looseEquals(a, b);
          case "!=":
            return !looseEquals(a, b);
          case "<":
            return compare(a, b) < 0;
          case "<=":
            return compare(a, b) <= 0;
          case ">":
            return compare(a, b) > 0;
          case ">=":
            return compare(a, b) >= 0;
        }
        return null;
      }
      case "call": {
        const found = lookupFunction(node.name);
        if (!found) {
          return fail(
            `unknown function "${node.name}()"`,
            node.pos,
            didYouMean(node.name, Object.keys(FUNCTIONS)),
          );
        }
        const [name, fn] = found;
        if (node.args.length < fn.min || node.args.length > fn.max) {
          return fail(`wrong number of arguments to ${name}()`, node.pos);
        }
        const args = node.args.map(run);
        try {
          return fn.call(args, scope);
        } catch (e) {
          return fail((e as Error).message, node.pos);
        }
      }
    }
  };
  return run(tree);
}

/**
 * Evaluates the inside of `${{ }}` (a bare expression, as `if:` takes it).
 *
 * @example
 * ```ts
 * import { evaluate } from "./evaluate.ts";
 * const ctx = {
 *   env: {}, secrets: {}, inputs: { n: 3 }, steps: {},
 *   run: { id: "r1", date: "2026-01-01", started: "2026-01-01T00:00:00Z" },
 *   job: { status: "success" as const },
 * };
 * evaluate("inputs.n > 2 && 'yes'", ctx); // "yes"
 * ```
 */
export function evaluate(source: string, ctx: ExprContext): unknown {
  return evaluateTree(parseOnce(source), source, ctx);
}

// The same few sources (each step's `if:` and templates) are evaluated on every node of every
// run: each is parsed once. Trees are never mutated, so sharing them is safe; the bound keeps a
// long-lived process that evaluates ever new sources from growing without end.
const PARSED_MAX = 1000;
const parsed = new Map<string, Expr>();

function parseOnce(source: string): Expr {
  let tree = parsed.get(source);
  if (tree === undefined) {
    tree = parse(source); // a syntax error is thrown, never cached
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(source, tree);
  }
  return tree;
}
