/**
 * Located workflow errors: every issue of a file at once, each printed as
 * `file:line:col: error: message (hint)` with the source line and a caret under the spot.
 *
 * @module
 */

/** One problem found in a workflow, with where it is. */
export interface WorkflowIssue {
  /** The file, when the workflow came from one. */
  file?: string;
  /** 1-based line; 0 when unknown (a workflow built in code). */
  line: number;
  /** 1-based column; 0 when unknown. */
  col: number;
  /** What is wrong, one stable sentence without a trailing period. */
  message: string;
  /** What to do about it, e.g. `did you mean "command"?`. */
  hint?: string;
  /**
   * The source line (secret values already replaced by `***`); a long line is cut to a window
   * around the column, marked with `…`.
   */
  source?: string;
  /** The 1-based column within `source` when it is a cut window (else `col` applies). */
  sourceCol?: number;
  /** How many characters the caret line underlines (default 1). */
  length?: number;
  /** Where in the object the issue is (`steps[2].add_app.comand`), for workflows built in code. */
  path?: string;
}

/** Options of {@linkcode WorkflowError.format}. */
export interface FormatOptions {
  /** ANSI colours (default false). */
  color?: boolean;
}

const RED = "\x1b[31;1m";
const BOLD = "\x1b[1m";
const CYAN = "\x1b[36m";
const RESET = "\x1b[0m";

/**
 * Control characters (and the line breaks and bidirectional overrides that reorder or split
 * what a terminal shows) written as `\u001b`: a hostile file's names and values are quoted in
 * messages and its lines are shown, and an escape sequence in them must not reach the terminal.
 * Tabs stay (they line the caret up).
 */
// deno-lint-ignore no-control-regex
const UNSEEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const visible = (s: string) =>
  s.replace(UNSEEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** The first line of an issue: `file:line:col: error: message (hint)`. */
function issueHeading(issue: WorkflowIssue, options: FormatOptions = {}): string {
  const file = visible(issue.file ?? "<workflow>");
  let where = issue.line > 0 ? `${file}:${issue.line}:${issue.col}` : file;
  if (issue.line <= 0 && issue.path) where += `: ${visible(issue.path)}`;
  const hint = issue.hint ? ` (${visible(issue.hint)})` : "";
  const message = visible(issue.message);
  if (!options.color) return `${where}: error: ${message}${hint}`;
  return `${BOLD}${where}:${RESET} ${RED}error:${RESET} ${BOLD}${message}${RESET}${hint}`;
}

/** One issue with its source line and caret line. */
function formatIssue(issue: WorkflowIssue, options: FormatOptions = {}): string {
  const lines = [issueHeading(issue, options)];
  if (issue.source !== undefined && issue.line > 0) {
    const num = String(issue.line);
    const gutter = " ".repeat(num.length);
    // Keep tabs so the caret lines up under a tab-indented line.
    const col = issue.sourceCol ?? issue.col;
    const before = visible(issue.source.slice(0, Math.max(0, col - 1)));
    const source = visible(issue.source);
    const pad = before.replace(/[^\t]/g, " ");
    const room = Math.max(1, source.length - before.length);
    const caret = "^".repeat(Math.max(1, Math.min(issue.length ?? 1, room)));
    const bar = options.color ? `${CYAN}|${RESET}` : "|";
    lines.push(` ${num} ${bar} ${source}`.trimEnd());
    lines.push(` ${gutter} ${bar} ${pad}${options.color ? RED + caret + RESET : caret}`);
  }
  return lines.join("\n");
}

/** An error's message (never its stack), for reports, events and usage errors. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Sorts issues by file position (unknown positions first, then by line and column). */
function sortIssues(issues: readonly WorkflowIssue[]): WorkflowIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * A workflow that cannot be loaded: malformed YAML or failed validation. It holds every
 * issue found, not only the first.
 *
 * @example
 * ```ts
 * import { parseWorkflow } from "./load.ts";
 * import { WorkflowError } from "./errors.ts";
 * try {
 *   parseWorkflow("steps:\n  - add_ap: {}\n", { file: "x.yaml" });
 * } catch (e) {
 *   if (e instanceof WorkflowError) console.error(e.format());
 * }
 * ```
 */
export class WorkflowError extends Error {
  /** The issues, sorted by position: the first {@linkcode MAX_ISSUES} of them. */
  readonly issues: WorkflowIssue[];
  /** How many further issues were found and left out (a hostile file has thousands). */
  readonly omitted: number;

  /** Wraps the issues (sorted by position; those past {@linkcode MAX_ISSUES} are counted). */
  constructor(issues: readonly WorkflowIssue[]) {
    const sorted = sortIssues(issues);
    const kept = sorted.slice(0, MAX_ISSUES);
    const omitted = sorted.length - kept.length;
    super([...kept.map((i) => issueHeading(i)), ...moreLine(omitted)].join("\n"));
    this.name = "WorkflowError";
    this.issues = kept;
    this.omitted = omitted;
  }

  /** Every issue: heading, source line and caret line, one block after another. */
  format(options: FormatOptions = {}): string {
    return [...this.issues.map((i) => formatIssue(i, options)), ...moreLine(this.omitted)]
      .join("\n");
  }
}

/** The most issues a {@linkcode WorkflowError} keeps and shows. */
export const MAX_ISSUES = 100;

function moreLine(omitted: number): string[] {
  return omitted > 0 ? [`... and ${omitted} more error${omitted === 1 ? "" : "s"}`] : [];
}
