/**
 * The `${{ }}` expression language of workflows: a parser of its own (never `eval`, never
 * `new Function`) with GitHub Actions semantics.
 *
 * - Contexts: `env`, `secrets`, `inputs`, `node` (`name`, `host`, `port`), `run` (`id`,
 *   `date`, `started`), `steps` (`steps.<id>.<output>`), `job` (`status`).
 * - Literals: `'single-quoted strings'` (`''` is a quote), numbers (`1`, `-2.5`, `0xff`,
 *   `1e3`), `true`, `false`, `null`.
 * - Operators, loosest first: `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, `!`, then `a.b`,
 *   `a['b']`, `a[0]` and calls; parentheses group. `&&` and `||` return one of their
 *   operands, as in JavaScript and GitHub Actions.
 * - Functions (names ignore case): `success()`, `failure()`, `always()`,
 *   `contains(search, item)`, `startsWith(s, prefix)`, `endsWith(s, suffix)`,
 *   `format('{0} {1}', a, b)`, `join(array, sep = ',')`, `toJSON(value)`, `fromJSON(text)`.
 * - Comparison, truthiness and string rules: see `functions.ts` (GitHub Actions' rules:
 *   strings compare ignoring case; mixed types compare as numbers).
 * - A reference to something that does not exist (an unset `env.X`, an undeclared input, a
 *   missing step output, a property of `null`) throws {@linkcode ExprError}; it never yields
 *   `null` or leaves the template as text.
 *
 * @example
 * ```ts
 * import { evaluate, resolveTemplates } from "./mod.ts";
 * const ctx = {
 *   env: { HOME: "/root" }, secrets: {}, inputs: { keep_days: 7 },
 *   steps: { done: { exit_code: 0 } },
 *   run: { id: "r1", date: "2026-01-01", started: "2026-01-01T00:00:00Z" },
 *   job: { status: "success" as const },
 * };
 * evaluate("steps.done.exit_code == 0", ctx); // true
 * resolveTemplates("${{ inputs.keep_days }}", ctx); // 7
 * resolveTemplates("keep ${{ inputs.keep_days }} days", ctx); // "keep 7 days"
 * ```
 *
 * @module
 */

export { ExprError } from "./lexer.ts";
export { collectReferences, type Expr, parse, type Reference } from "./parser.ts";
export {
  checkExpression,
  CONTEXT_FIELDS,
  CONTEXTS,
  evaluate,
  evaluateTree,
  type ExprContext,
} from "./evaluate.ts";
export {
  type BuiltinFunction,
  FUNCTIONS,
  type FunctionScope,
  looseEquals,
  toText,
  truthy,
  type Value,
} from "./functions.ts";
export {
  conditionSource,
  isExpression,
  resolveTemplates,
  type Segment,
  splitTemplate,
  wholeExpression,
} from "./template.ts";

import { parse } from "./parser.ts";
import { collectReferences } from "./parser.ts";
import { evaluate, type ExprContext } from "./evaluate.ts";
import { truthy } from "./functions.ts";
import { conditionSource } from "./template.ts";

/**
 * The context paths an expression reads, e.g. `[["steps", "job", "exit_code"]]`, for
 * validation and the dry-run plan. Throws {@linkcode ExprError} on a syntax error.
 *
 * @example
 * ```ts
 * import { referencedContexts } from "./mod.ts";
 * referencedContexts("steps.job.exit_code == 0 && env.X"); // [["steps","job","exit_code"], ["env","X"]]
 * ```
 */
export function referencedContexts(source: string): string[][] {
  return collectReferences(parse(source)).map((r) => r.path);
}

/**
 * Evaluates an `if:` (bare or wrapped in `${{ }}`) to a boolean by truthiness.
 *
 * @example
 * ```ts
 * import { evaluateCondition } from "./mod.ts";
 * const ctx = {
 *   env: {}, secrets: {}, inputs: {}, steps: {},
 *   run: { id: "r1", date: "2026-01-01", started: "2026-01-01T00:00:00Z" },
 *   job: { status: "failure" as const },
 * };
 * evaluateCondition("${{ failure() }}", ctx); // true
 * ```
 */
export function evaluateCondition(source: string, ctx: ExprContext): boolean {
  return truthy(evaluate(conditionSource(source), ctx));
}
