/**
 * Where issues sit: offsets of a workflow file turned into line, column and the source line
 * shown under an issue, with literal secrets masked out of those lines.
 *
 * @module
 */

import { LineCounter } from "yaml";
import type { WorkflowIssue } from "./errors.ts";
import { childPath, type LEntry, type LNode } from "./tree.ts";

/** Options of {@linkcode Locator.issue}. */
export interface IssueOptions {
  /** A did-you-mean or advice. */
  hint?: string;
  /** Characters to underline (default: the node's text on its line, or the key). */
  length?: number;
  /** Replace the node's text by `***` in the shown source line (a literal secret). */
  mask?: boolean;
}

/**
 * Turns offsets into issues with file, line, column and the source line.
 *
 * @example
 * ```ts
 * import { Locator } from "./locator.ts";
 * const loc = new Locator({ file: "x.yaml", text: "name: a\nsteps: 1\n" });
 * loc.at(14, "wrong type").line; // 2
 * ```
 */
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
const MAX_SNIPPET = 160;

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
