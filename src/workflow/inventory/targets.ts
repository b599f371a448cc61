/**
 * Which nodes a run targets: the names of `nodes:` (or `--node`) with groups expanded, then
 * narrowed by `--limit` (names and globs matching group or node names).
 *
 * @module
 */

import type { Inventory } from "./inventory.ts";
import { didYouMean } from "../load/suggest.ts";

/** A target that names nothing, or a `--limit` that leaves nothing (a usage error). */
export class TargetError extends Error {
  /**
   * Creates the error.
   * @param message what names nothing, and what to do
   */
  constructor(message: string) {
    super(message);
    this.name = "TargetError";
  }
}

/**
 * The nodes of a group, deep and in order (each once).
 *
 * @example
 * ```ts
 * import { groupNodes } from "./targets.ts";
 * const inv = { nodes: {}, groups: { a: ["x", "y"], all: ["a", "z"] } };
 * groupNodes(inv, "all"); // ["x", "y", "z"]
 * ```
 */
export function groupNodes(inv: Inventory, group: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (name: string, depth: number) => {
    // A cycle is refused when the inventory is parsed; the depth only guards a hand-built one.
    if (depth > 64) throw new TargetError(`group "${group}" is nested too deep (a cycle?)`);
    if (Object.hasOwn(inv.groups, name)) {
      for (const m of inv.groups[name]) walk(m, depth + 1);
    } else if (!seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  };
  walk(group, 0);
  return out;
}

/**
 * Expands names (groups into their nodes), each node once. With an inventory every name must
 * be one of its groups or nodes.
 *
 * @throws {TargetError} for a name the inventory does not hold (with a did-you-mean)
 *
 * @example
 * ```ts
 * import { expandTargets } from "./targets.ts";
 * const inv = { nodes: { "n1": { name: "n1", host: "n1", vars: {} } }, groups: { g: ["n1"] } };
 * expandTargets(["g", "n1"], inv); // ["n1"]
 * ```
 */
export function expandTargets(names: readonly string[], inv?: Inventory): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => {
    if (!seen.has(n)) out.push(n);
    seen.add(n);
  };
  for (const name of names) {
    if (!inv) add(name);
    else if (Object.hasOwn(inv.groups, name)) groupNodes(inv, name).forEach(add);
    else if (Object.hasOwn(inv.nodes, name)) add(name);
    else throw new TargetError(unknownTarget(name, inv));
  }
  return out;
}

/**
 * `unknown node or group "x" in the inventory FILE (did you mean "y"?)`.
 *
 * @example
 * ```ts
 * import { unknownTarget } from "./targets.ts";
 * unknownTarget("wbe", { nodes: {}, groups: { web: [] } }); // 'unknown node or group "wbe" in the inventory (did you mean "web"?)'
 * ```
 */
export function unknownTarget(name: string, inv: Inventory): string {
  const hint = didYouMean(name, [...Object.keys(inv.groups), ...Object.keys(inv.nodes)]);
  const file = inv.file ? ` ${inv.file}` : "";
  return `unknown node or group "${name}" in the inventory${file}${hint ? ` (${hint})` : ""}`;
}

/**
 * A glob (`*` any run of characters, `?` one) as a whole-name matcher.
 *
 * @example
 * ```ts
 * import { globMatcher } from "./targets.ts";
 * globMatcher("web-*")("web-12"); // true
 * ```
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".")}$`,
  );
  return (name) => re.test(name);
}

/**
 * Narrows `nodes` (already expanded) to those a `--limit` pattern names: a pattern matching a
 * group's name takes the group's nodes, one matching a node's name takes the node.
 *
 * @throws {TargetError} when nothing is left
 *
 * @example
 * ```ts
 * import { applyLimit } from "./targets.ts";
 * applyLimit(["web-1", "web-2", "db-1"], ["web-*"]); // ["web-1", "web-2"]
 * ```
 */
export function applyLimit(
  nodes: readonly string[],
  limit: readonly string[],
  inv?: Inventory,
): string[] {
  const keep = new Set<string>();
  for (const pattern of limit) {
    const match = globMatcher(pattern);
    for (const n of nodes) if (match(n)) keep.add(n);
    for (const g of Object.keys(inv?.groups ?? {})) {
      if (match(g)) groupNodes(inv!, g).forEach((n) => keep.add(n));
    }
  }
  const out = nodes.filter((n) => keep.has(n));
  if (!out.length) {
    const shown = nodes.length > 8 ? `${nodes.slice(0, 8).join(", ")}, ...` : nodes.join(", ");
    throw new TargetError(
      `--limit ${limit.join(",")} leaves no node to run on (the run's nodes: ${shown})`,
    );
  }
  return out;
}

/**
 * Every variable name some node of the inventory sets (what `node.vars.NAME` may read).
 *
 * @example
 * ```ts
 * import { varNames } from "./targets.ts";
 * varNames({ nodes: { a: { name: "a", host: "a", vars: { role: "web" } } }, groups: {} }); // ["role"]
 * ```
 */
export function varNames(inv: Inventory): string[] {
  const names = new Set<string>();
  for (const n of Object.values(inv.nodes)) for (const k of Object.keys(n.vars)) names.add(k);
  return [...names];
}

/**
 * Splits `--limit` values (`a,b` or repeated) into patterns.
 *
 * @example
 * ```ts
 * import { splitLimit } from "./targets.ts";
 * splitLimit(["web-*,db-1", " x "]); // ["web-*", "db-1", "x"]
 * ```
 */
export function splitLimit(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
}
