/**
 * YAML with source positions: the `yaml` package's document turned into a small tree whose
 * every node knows where it starts, so that validation can point at the offending key or
 * value. Duplicate keys are reported here (the first one is kept); a workflow built as a plain
 * object gets the same tree without positions.
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

/** Options of {@linkcode Locator.issue}. */
export interface IssueOptions {
  /** A did-you-mean or advice. */
  hint?: string;
  /** Characters to underline (default: the node's text on its line, or the key). */
  length?: number;
  /** Replace the node's text by `***` in the shown source line (a literal secret). */
  mask?: boolean;
}

/** Turns offsets into issues with file, line, column and the source line. */
export class Locator {
  /** The file name shown in issues. */
  readonly file?: string;
  #text?: string;
  #lines: string[];
  #counter?: LineCounter;
  #secrets: [number, number][] = [];

  /** `text` is the file's content (absent for workflows built in code). */
  constructor(options: { file?: string; text?: string; counter?: LineCounter }) {
    this.file = options.file;
    this.#text = options.text;
    this.#lines = options.text?.split(/\r?\n/) ?? [];
    this.#counter = options.counter;
    if (this.#text !== undefined && !this.#counter) {
      const counter = new LineCounter();
      counter.addNewLine(0);
      for (let i = 0; i < this.#text.length; i++) {
        if (this.#text[i] === "\n") counter.addNewLine(i + 1);
      }
      this.#counter = counter;
    }
  }

  /** An issue at an offset (-1: unknown, then `path` says where). */
  at(
    offset: number,
    message: string,
    options: IssueOptions & { path?: string; end?: number } = {},
  ): WorkflowIssue {
    const issue: WorkflowIssue = { line: 0, col: 0, message: cut(message) };
    if (this.file !== undefined) issue.file = this.file;
    if (offset < 0 || !this.#counter || this.#text === undefined) {
      if (options.path) issue.path = options.path;
    } else {
      const { line, col } = this.#counter.linePos(Math.min(offset, this.#text.length));
      issue.line = line;
      issue.col = col;
      const source = this.#lines[line - 1] ?? "";
      const lineEnd = col - 1 + (source.length - (col - 1));
      const end = options.end !== undefined ? options.end - offset + col - 1 : undefined;
      const length = options.length ??
        (end !== undefined ? Math.min(end, lineEnd) - (col - 1) : 1);
      if (options.mask && options.end !== undefined) this.#secrets.push([offset, options.end]);
      setSnippet(issue, source, col);
      issue.length = Math.max(1, length);
    }
    if (options.hint) issue.hint = cut(options.hint);
    return issue;
  }

  /**
   * Replaces, in the source lines of the issues, every literal secret found (`mask`) and
   * every literal value of a key named like a secret (`password: x`, also on lines the YAML
   * parser rejected) by as many `*`, so that the carets still line up. Call it once all
   * issues are known: a secret found late may sit on the line of an earlier issue.
   */
  redact(issues: WorkflowIssue[]): void {
    // Many issues may sit on one (long) line: mask each line once.
    const done = new Map<number, string>();
    for (const issue of issues) {
      if (issue.line <= 0 || issue.source === undefined || !this.#counter) continue;
      let out = done.get(issue.line);
      if (out === undefined) {
        out = this.#masked(issue.line);
        done.set(issue.line, out);
      }
      setSnippet(issue, out, issue.col);
    }
  }

  /** A source line with its literal secrets replaced by `*`. */
  #masked(line: number): string {
    const lineStart = this.#counter!.lineStarts[line - 1] ?? 0;
    // Offsets are UTF-16 units, as string indexes are.
    const text = this.#lines[line - 1] ?? "";
    const masked = text.split("");
    for (const [start, end] of this.#secrets) {
      for (let i = Math.max(start, lineStart); i < Math.min(end, lineStart + text.length); i++) {
        masked[i - lineStart] = "*";
      }
    }
    return masked.join("").replace(
      SECRET_KEY_VALUE,
      (all, key: string, sep: string, value: string) => {
        if (value.startsWith("${{")) return all;
        // The value ends before trailing blanks (a ` #` comment starts after them).
        const kept = value.replace(/\s+$/, "");
        return `${key}${sep}${"*".repeat(kept.length)}${value.slice(kept.length)}`;
      },
    );
  }

  /** An issue pointing at a node (its whole text on its line). */
  issue(node: LNode, message: string, options: IssueOptions = {}): WorkflowIssue {
    return this.at(node.start, message, { ...options, path: node.path, end: node.end });
  }

  /** An issue pointing at a mapping key. */
  key(entry: LEntry, parent: LNode, message: string, options: IssueOptions = {}): WorkflowIssue {
    return this.at(entry.keyStart, message, {
      ...options,
      path: childPath(parent.path, entry.key),
      end: entry.keyEnd,
    });
  }

  /** The raw source text of a node, when it came from a file. */
  raw(node: LNode): string | undefined {
    return node.start < 0 || this.#text === undefined
      ? undefined
      : this.#text.slice(node.start, node.end);
  }
}

/**
 * A key named like a secret with a literal value, on one source line. The value runs up to
 * a `,`, `}` or `#` (greedy, so that matching stays linear on a hostile line); trailing blanks
 * are left unmasked by the caller.
 */
const SECRET_KEY_VALUE =
  /\b((?:password|passwd|totp_secret|totp_code|token|secret|api_key)["']?)(\s*:\s*)("[^"]*"|'[^']*'|[^\s,}#][^,}#]*)/gi;

/** The most characters of a message or hint (they quote keys, which may be any length). */
const MAX_MESSAGE = 300;

function cut(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE)}…`;
}

/** The most characters of a source line shown in an issue. */
export const MAX_SNIPPET = 160;

/**
 * The part of a source line shown under an issue: the whole line when short, else a window
 * around the column with `…` where it was cut (and `sourceCol`, the column within it).
 */
function setSnippet(issue: WorkflowIssue, line: string, col: number): void {
  const text = line.replace(/\s+$/, "");
  delete issue.sourceCol;
  if (text.length <= MAX_SNIPPET) {
    issue.source = text;
    return;
  }
  const from = Math.max(0, Math.min(col - 1 - 40, text.length - MAX_SNIPPET));
  const head = from > 0 ? "…" : "";
  const tail = from + MAX_SNIPPET < text.length ? "…" : "";
  issue.source = head + text.slice(from, from + MAX_SNIPPET) + tail;
  issue.sourceCol = col - from + head.length;
}

/** `parent.key` or `key` at the root. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return parent ? `${parent}.${part}` : part;
}

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
export const MAX_YAML_DEPTH = 200;

const TOO_DEEP = `nested too deeply (more than ${MAX_YAML_DEPTH} levels)`;

/** How many nodes aliases may add to the tree in all (the anchors' copies). */
export const MAX_ALIAS_NODES = 10_000;

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

/** The located tree of a plain value (no positions; paths only). */
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

/**
 * Offsets of every `${{` that stands unquoted inside a flow mapping or list (`{ }`, `[ ]`),
 * where YAML reads its braces as nested mappings, grouped by the outermost flow collection
 * they are in. A small scanner of its own: it runs only on a file the parser rejected, so it
 * knows quotes, comments and block scalars, not all of YAML.
 *
 * @example
 * ```ts
 * import { unquotedFlowExpressions } from "./yaml.ts";
 * unquotedFlowExpressions("env: { A: ${{ x }}, B: \"${{ y }}\", C: ${{ z }} }"); // [[10, 38]]
 * ```
 */
export function unquotedFlowExpressions(text: string): number[][] {
  const found: number[][] = [];
  let group: number[] = [];
  let depth = 0;
  let quote: string | undefined;
  let blockIndent = -1;
  let offset = 0;
  for (const line of text.split("\n")) {
    const start = offset;
    offset += line.length + 1;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === "" || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (
      depth === 0 && !quote &&
      /^\s*(?:-\s+)*(?:[^\s#][^#]*?:\s+)?[|>][-+0-9]*\s*(?:#.*)?$/.test(line)
    ) {
      blockIndent = indent;
      continue;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (quote === "'" && c === "'") {
          if (line[i + 1] === "'") i++;
          else quote = undefined;
        } else if (quote === '"') {
          if (c === "\\") i++;
          else if (c === '"') quote = undefined;
        }
        continue;
      }
      if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) break;
      if (c === " " || c === "\t") continue;
      // Is this the first character of a value (where quotes and flow collections begin)?
      let j = i - 1;
      while (j >= 0 && (line[j] === " " || line[j] === "\t")) j--;
      const prev = j < 0 ? "" : line[j];
      const valueStart = prev === "" || "[{,".includes(prev) ||
        (":-?".includes(prev) && j < i - 1 && (j === 0 || /[\s\w"'\]}]/.test(line[j - 1] ?? "")));
      if ((c === '"' || c === "'") && valueStart) {
        quote = c;
        continue;
      }
      if (depth === 0) {
        if ((c === "{" || c === "[") && valueStart) {
          depth++;
          group = [];
        }
        continue;
      }
      if (c === "$" && line.startsWith("${{", i)) {
        if (group.length === 0) found.push(group);
        group.push(start + i);
        const close = line.indexOf("}}", i + 3);
        i = close < 0 ? line.length : close + 1;
      } else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth = Math.max(0, depth - 1);
    }
  }
  return found;
}

function lowerFirst(s: string): string {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
