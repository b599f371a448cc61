/**
 * `${{ }}` templates inside strings: splitting, and resolution of whole values and
 * embedded parts.
 *
 * @module
 */

import { ExprError } from "./lexer.ts";
import { evaluate, type ExprContext } from "./evaluate.ts";
import { toText } from "./functions.ts";

/** A piece of a template string. */
export type Segment =
  | { kind: "text"; value: string }
  | {
    kind: "expr";
    /** The inside of `${{ }}`. */
    source: string;
    /** Offset of `${{` in the string. */
    start: number;
    /** Offset of the inside (just after `${{`) in the string. */
    offset: number;
  };

/**
 * Splits a string into text and `${{ }}` parts. A `}}` inside a quoted string of the
 * expression does not close it. Throws {@linkcode ExprError} on a `${{` never closed.
 */
export function splitTemplate(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("${{", i);
    if (open < 0) {
      out.push({ kind: "text", value: text.slice(i) });
      break;
    }
    if (open > i) out.push({ kind: "text", value: text.slice(i, open) });
    let j = open + 3;
    let close = -1;
    while (j < text.length) {
      if (text[j] === "'") {
        j = text.indexOf("'", j + 1);
        if (j < 0) break;
        j++;
      } else if (text.startsWith("}}", j)) {
        close = j;
        break;
      } else {
        j++;
      }
    }
    if (close < 0) {
      throw new ExprError({
        reason: 'unterminated "${{" (missing "}}")',
        expression: text.slice(open + 3),
        offset: 0,
      });
    }
    out.push({ kind: "expr", source: text.slice(open + 3, close), start: open, offset: open + 3 });
    i = close + 2;
  }
  return out;
}

/**
 * Whether a value is a string holding a `${{` template.
 *
 * @example
 * ```ts
 * import { isExpression } from "./template.ts";
 * isExpression("backup-${{ run.id }}"); // true
 * isExpression(42); // false
 * ```
 */
export function isExpression(value: unknown): boolean {
  return typeof value === "string" && value.includes("${{");
}

/**
 * The inside of a string that is one `${{ }}` and nothing else (surrounding blanks aside),
 * or undefined.
 */
export function wholeExpression(text: string): string | undefined {
  if (!text.includes("${{")) return undefined;
  let parts: Segment[];
  try {
    parts = splitTemplate(text);
  } catch {
    return undefined;
  }
  return wholeOf(parts);
}

/** The source of the one `${{ }}` of `parts` when the rest is blank, else undefined. */
function wholeOf(parts: readonly Segment[]): string | undefined {
  const exprs = parts.filter((p) => p.kind === "expr");
  const blank = parts.every((p) => p.kind === "expr" || p.value.trim() === "");
  return exprs.length === 1 && blank ? (exprs[0] as { source: string }).source : undefined;
}

/**
 * The expression of an `if:`: a bare expression, or one `${{ }}`.
 *
 * @example
 * ```ts
 * import { conditionSource } from "./template.ts";
 * conditionSource("${{ failure() }}"); // " failure() "
 * conditionSource("failure()"); // "failure()"
 * ```
 */
export function conditionSource(value: string): string {
  return wholeExpression(value) ?? value;
}

/** Resolves one string: a whole-value template keeps its type, embedded ones stringify. */
function resolveString(text: string, ctx: ExprContext): unknown {
  if (!text.includes("${{")) return text;
  const parts = splitTemplate(text);
  const whole = wholeOf(parts);
  if (whole !== undefined) return evaluate(whole, ctx);
  return parts.map((p) => (p.kind === "text" ? p.value : toText(evaluate(p.source, ctx)))).join("");
}

/**
 * Resolves every `${{ }}` in a value, deeply (strings in arrays and object values; keys are
 * left alone). A string that is one whole template keeps the expression's type
 * (`"${{ inputs.n }}"` → 7); templates embedded in text are turned into strings.
 * Throws {@linkcode ExprError} on a reference to something that does not exist.
 *
 * @example
 * ```ts
 * import { resolveTemplates } from "./template.ts";
 * const ctx = {
 *   env: {}, secrets: {}, inputs: { n: 7 }, steps: {},
 *   run: { id: "r1", date: "2026-01-01", started: "2026-01-01T00:00:00Z" },
 *   job: { status: "success" as const },
 * };
 * resolveTemplates({ keep: "${{ inputs.n }}", name: "x-${{ inputs.n }}" }, ctx);
 * // { keep: 7, name: "x-7" }
 * ```
 */
export function resolveTemplates(value: unknown, ctx: ExprContext): unknown {
  if (typeof value === "string") return resolveString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, ctx));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplates(v, ctx);
    return out;
  }
  return value;
}
