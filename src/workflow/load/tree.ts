/**
 * The located tree of a workflow: mappings, lists and scalars, each knowing where it starts in
 * the file (or only its path, for a workflow built as a plain object), so that issues point at
 * the offending key or value.
 *
 * @module
 */

/** A node of the located tree. */
export interface LNode {
  /** Mapping, sequence or scalar. */
  kind: "map" | "seq" | "scalar";
  /** The plain JavaScript value (for mappings and sequences: the whole subtree). */
  value: unknown;
  /** Offset of its first character in the file; -1 when it did not come from a file. */
  start: number;
  /** Offset just past the value. */
  end: number;
  /** Entries of a mapping, in order (later duplicates dropped). */
  entries?: LEntry[];
  /** Items of a sequence. */
  items?: LNode[];
  /** Its path in the document (`steps[2].add_app.command`), for issues without positions. */
  path: string;
}

/** One key of a mapping. */
export interface LEntry {
  /** The key as text. */
  key: string;
  /** Offset of the key; -1 when unknown. */
  keyStart: number;
  /** Offset just past the key (quotes included); -1 when unknown. */
  keyEnd: number;
  /** The value (a null scalar for `key:` with nothing after it). */
  value: LNode;
}

/**
 * `parent.key` or `key` at the root.
 *
 * @example
 * ```ts
 * import { childPath } from "./tree.ts";
 * childPath("steps[0]", "add_app"); // "steps[0].add_app"
 * ```
 */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return parent ? `${parent}.${part}` : part;
}

/**
 * The located tree of a plain value (no positions; paths only).
 *
 * @example
 * ```ts
 * import { fromPlain } from "./tree.ts";
 * fromPlain({ steps: [] }).entries?.[0].value.path; // "steps"
 * ```
 */
export function fromPlain(value: unknown, path = ""): LNode {
  if (Array.isArray(value)) {
    const items = value.map((v, i) => fromPlain(v, childPath(path, i)));
    return { kind: "seq", value, items, start: -1, end: -1, path };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).map(([key, v]) => ({
      key,
      keyStart: -1,
      keyEnd: -1,
      value: fromPlain(v, childPath(path, key)),
    }));
    return { kind: "map", value, entries, start: -1, end: -1, path };
  }
  return { kind: "scalar", value: value ?? null, start: -1, end: -1, path };
}
