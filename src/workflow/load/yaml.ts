/**
 * YAML with source positions: the `yaml` package's document turned into the located tree of
 * `tree.ts`, so that validation can point at the offending key or value. Malformed YAML, too
 * deep nesting, alias bombs and duplicate keys (the first one is kept) are reported here.
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YNode,
  parseDocument,
  type Scalar,
  visit,
} from "yaml";
import type { WorkflowIssue } from "./errors.ts";
import { childPath, type LEntry, type LNode } from "./tree.ts";
import { Locator } from "./locator.ts";
import { unquotedFlowExpressions } from "./flow_scan.ts";

/** The result of {@linkcode parseYaml}. */
export interface ParsedYaml {
  /** The tree (undefined when the YAML is malformed or empty). */
  root?: LNode;
  /** Malformed YAML and duplicate keys. */
  issues: WorkflowIssue[];
  /** Positions for further issues. */
  locator: Locator;
}

/**
 * Parses YAML text into a located tree.
 *
 * @example
 * ```ts
 * import { parseYaml } from "./yaml.ts";
 * const { root, issues } = parseYaml("steps:\n  - logout:\n", { file: "x.yaml" });
 * root?.entries?.[0].key; // "steps"
 * issues.length; // 0
 * ```
 */
export function parseYaml(text: string, options: { file?: string } = {}): ParsedYaml {
  const counter = new LineCounter();
  const locator = new Locator({ file: options.file, text, counter });
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { issues: [locator.at(0, `malformed YAML: ${TOO_DEEP}`)], locator };
  }
  const issues: WorkflowIssue[] = [];
  // An unquoted `${{ }}` in a flow mapping or list (`env: { PORT: ${{ node.port }} }`) is
  // read as nested flow mappings, and the parser reports a dozen errors for it: say it once.
  const unquoted = doc.errors.length ? unquotedFlowExpressions(text) : [];
  const cascade = unquoted.length ? unquoted[0][0] : Infinity;
  for (const error of doc.errors) {
    if (error.pos[0] >= cascade) continue;
    const message = error.code === "MULTIPLE_DOCS"
      ? "the file holds several YAML documents; a workflow is one"
      : /call stack/i.test(error.message)
      ? TOO_DEEP
      : lowerFirst(error.message.split("\n")[0].replace(/\.$/, "").replace(/:$/, ""));
    issues.push(locator.at(error.pos[0], `malformed YAML: ${message}`));
  }
  for (const offsets of unquoted) {
    const close = text.indexOf("}}", offsets[0]);
    const expr = close < 0 ? "${{ ... }}" : text.slice(offsets[0], close + 2);
    issues.push(
      locator.at(
        offsets[0],
        "malformed YAML: an unquoted ${{ }} inside a flow mapping or list ({ } or [ ]), " +
          "whose braces YAML reads as mappings",
        {
          length: expr.length,
          hint: `quote ${offsets.length > 1 ? "each one" : "it"}: "${expr.replace(/"/g, "'")}"`,
        },
      ),
    );
  }
  if (issues.length) return { issues, locator };
  if (doc.contents === null) return { issues, locator };

  // Aliases are expanded in place (validation looks at every use), within bounds: a
  // 500-byte "billion laughs" file would expand into billions of nodes, an alias inside its
  // own anchor forever. The anchors are looked up in one pass (`Alias.resolve` walks the
  // whole document on every call).
  const anchors = resolveAliases(doc);
  const active = new Set<unknown>();
  let expanded = 0;
  let fatal: WorkflowIssue | undefined;
  let aliasDepth = 0;
  let outerAlias = 0;
  const convert = (node: unknown, path: string, fallback: number): LNode => {
    const at = (node as YNode | null)?.range?.[0] ?? fallback;
    const stop = (message: string): LNode => {
      fatal ??= locator.at(at, message);
      return { kind: "scalar", value: null, start: at, end: at, path };
    };
    if (fatal) return stop("");
    if (active.size >= MAX_YAML_DEPTH) {
      return stop(TOO_DEEP);
    }
    if (aliasDepth > 0 && ++expanded > MAX_ALIAS_NODES) {
      // Shown at the alias whose expansion ran out of budget, not somewhere inside it.
      fatal ??= locator.at(
        outerAlias,
        `aliases expand to more than ${MAX_ALIAS_NODES} nodes (a YAML alias bomb?)`,
      );
      return stop("");
    }
    if (isAlias(node)) {
      if (aliasDepth === 0) outerAlias = at;
      const target = anchors.get(node);
      if (target === undefined) return stop(`alias *${node.source} names no anchor before it`);
      if (active.has(target)) return stop(`alias *${node.source} is inside its own anchor`);
      aliasDepth++;
      try {
        return convert(target, path, fallback);
      } finally {
        aliasDepth--;
      }
    }
    active.add(node);
    try {
      return convertNode(node, path, fallback);
    } finally {
      active.delete(node);
    }
  };
  const convertNode = (node: unknown, path: string, fallback: number): LNode => {
    if (isMap(node)) {
      const entries: LEntry[] = [];
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode = pair.key as YNode | null;
        const key = keyNode === null
          ? ""
          : isScalar(keyNode)
          ? String((keyNode as Scalar).value)
          : String(keyNode.toJSON());
        const keyStart = keyNode?.range?.[0] ?? fallback;
        if (seen.has(key)) {
          const first = locator.at(seen.get(key)!, "").line;
          issues.push(locator.at(keyStart, `duplicate key "${key}"`, {
            hint: `first given on line ${first}`,
            end: keyNode?.range?.[1] ?? keyStart + key.length,
          }));
          continue;
        }
        seen.set(key, keyStart);
        const after = keyNode?.range?.[1] ?? fallback;
        entries.push({
          key,
          keyStart,
          keyEnd: after,
          value: convert(pair.value, childPath(path, key), after),
        });
      }
      const value: Record<string, unknown> = {};
      for (const e of entries) value[e.key] = e.value.value;
      return {
        kind: "map",
        value,
        entries,
        start: node.range?.[0] ?? fallback,
        end: node.range?.[1] ?? fallback,
        path,
      };
    }
    if (isSeq(node)) {
      const items = node.items.map((item, i) =>
        convert(item, childPath(path, i), node.range?.[0] ?? fallback)
      );
      return {
        kind: "seq",
        value: items.map((i) => i.value),
        items,
        start: node.range?.[0] ?? fallback,
        end: node.range?.[1] ?? fallback,
        path,
      };
    }
    if (isScalar(node)) {
      return {
        kind: "scalar",
        value: node.value ?? null,
        start: node.range?.[0] ?? fallback,
        end: node.range?.[1] ?? fallback,
        path,
      };
    }
    return { kind: "scalar", value: null, start: fallback, end: fallback, path };
  };
  const root = convert(doc.contents, "", 0);
  if (fatal) return { issues: [...issues, fatal], locator };
  return { root, issues, locator };
}

/** How deep mappings and sequences may nest (the tree is walked recursively). */
const MAX_YAML_DEPTH = 200;

const TOO_DEEP = `nested too deeply (more than ${MAX_YAML_DEPTH} levels)`;

/** How many nodes aliases may add to the tree in all (the anchors' copies). */
const MAX_ALIAS_NODES = 10_000;

/** Each alias of the document and the anchor it names (the last one before it). */
function resolveAliases(doc: ReturnType<typeof parseDocument>): Map<unknown, YNode> {
  const last = new Map<string, YNode>();
  const found = new Map<unknown, YNode>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = last.get(node.source);
        if (target) found.set(node, target);
      } else if (node.anchor) {
        last.set(node.anchor, node);
      }
    },
  });
  return found;
}

function lowerFirst(s: string): string {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
