/**
 * The checks of `${{ }}` expressions in a workflow: syntax, names, and references to inputs
 * and earlier steps and their outputs, each issue located at the offending part of the
 * expression.
 *
 * @module
 */

import type { LNode } from "./tree.ts";
import { didYouMean } from "./suggest.ts";
import { varNames } from "../inventory/targets.ts";
import type { Checker, Scope } from "./checker.ts";
import {
  checkExpression as checkSyntax,
  collectReferences,
  CONTEXTS,
  type ExprError,
  parse,
  type Reference,
  splitTemplate,
} from "../expr/mod.ts";

function tokenLength(source: string, offset: number): number {
  const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(offset));
  return m ? m[0].length : 1;
}

/**
 * Checks every `${{ }}` of a string.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkExpressions } from "./check_expr.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({}), {});
 * const scope = { place: "env", contexts: ["env", "inputs"] };
 * checkExpressions(cx, fromPlain("${{ inputs.port }}"), "${{ inputs.port }}", scope);
 * cx.issues[0].message; // 'undefined input "port"'
 * ```
 */
export function checkExpressions(cx: Checker, node: LNode, text: string, scope: Scope): void {
  let segments;
  try {
    segments = splitTemplate(text);
  } catch (e) {
    const err = e as ExprError;
    const raw = cx.loc.raw(node);
    const at = raw?.lastIndexOf("${{") ?? -1;
    cx.issues.push(
      cx.loc.at(at >= 0 ? node.start + at : node.start, `bad expression: ${err.reason}`, {
        path: node.path,
      }),
    );
    return;
  }
  for (const seg of segments) {
    if (seg.kind === "expr") checkExpression(cx, node, text, seg, scope);
  }
}

/**
 * One expression: syntax, names and references. `seg.start` -1: a bare `if:`.
 *
 * @example
 * ```ts
 * import { Checker } from "./checker.ts";
 * import { checkExpression } from "./check_expr.ts";
 * import { Locator } from "./locator.ts";
 * import { fromPlain } from "./tree.ts";
 * const cx = new Checker(new Locator({}), {});
 * const seg = { source: "run.id == 1", start: -1, offset: 0 };
 * checkExpression(cx, fromPlain(seg.source), seg.source, seg, { place: "if", contexts: ["env"] });
 * cx.issues[0].message; // '"run" is not available in if'
 * ```
 */
export function checkExpression(
  cx: Checker,
  node: LNode,
  text: string,
  seg: { source: string; start: number; offset: number },
  scope: Scope,
): void {
  const where = (offset: number, length = 1) => {
    const raw = cx.loc.raw(node);
    if (raw === undefined) return { offset: -1, length };
    let base = -1;
    if (seg.start < 0) {
      base = raw.indexOf(seg.source);
    } else {
      const k = text.slice(0, seg.start).split("${{").length - 1;
      let r = -1;
      for (let i = 0; i <= k; i++) {
        r = raw.indexOf("${{", r + 1);
        if (r < 0) break;
      }
      if (r < 0) return { offset: node.start, length: 1 };
      base = raw.startsWith(seg.source, r + 3) ? r + 3 : -1;
      if (base < 0) return { offset: node.start + r, length: 3 };
    }
    return base < 0
      ? { offset: node.start, length: 1 }
      : { offset: node.start + base + offset, length };
  };
  const report = (message: string, offset: number, length?: number, hint?: string) => {
    const w = where(offset, length);
    cx.issues.push(
      cx.loc.at(w.offset, message, { hint, length: w.length, path: node.path }),
    );
  };
  let tree;
  try {
    tree = parse(seg.source);
  } catch (e) {
    const err = e as ExprError;
    report(`bad expression: ${err.reason}`, err.offset, 1, err.hint);
    return;
  }
  for (const err of checkSyntax(tree, seg.source)) {
    report(err.reason, err.offset, tokenLength(seg.source, err.offset), err.hint);
  }
  for (const ref of collectReferences(tree)) reference(cx, ref, scope, report);
}

/** One context path of an expression: available here, declared input, earlier step, known output. */
function reference(
  cx: Checker,
  ref: Reference,
  scope: Scope,
  report: (message: string, offset: number, length?: number, hint?: string) => void,
): void {
  const [root, a, b] = ref.path;
  if (!CONTEXTS.includes(root)) return; // reported by checkExpression
  if (!scope.contexts.includes(root)) {
    report(`"${root}" is not available in ${scope.place}`, ref.offsets[0], root.length);
    return;
  }
  if (root === "inputs" && a !== undefined && !cx.inputs.has(a)) {
    report(
      `undefined input "${a}"`,
      ref.offsets[1],
      a.length,
      didYouMean(a, cx.inputs) ?? `declare it under "inputs:"`,
    );
  }
  if (root === "node" && a === "vars" && b !== undefined && cx.inventory) {
    const names = varNames(cx.inventory);
    if (!names.includes(b)) {
      report(
        `no node of the inventory has the variable "${b}" (node.vars.${b})`,
        ref.offsets[2],
        b.length,
        didYouMean(b, names) ??
          (names.length ? `its variables: ${names.join(", ")}` : "its nodes have no vars:"),
      );
    }
  }
  if (root !== "steps" || a === undefined) return;
  if (a === scope.self) {
    report(`${scope.place} reads its own outputs (steps.${a})`, ref.offsets[1], a.length);
    return;
  }
  const info = scope.earlier?.get(a);
  if (!info) {
    const later = cx.ids.get(a);
    if (later) {
      const line = cx.loc.at(later.start, "").line;
      const what = later.list === scope.list || later.list === "finally"
        ? `defined later${line ? ` (line ${line})` : ""}`
        : "not before this one";
      report(
        `step "${a}" is ${what}; a step can only read the outputs of earlier steps`,
        ref.offsets[1],
        a.length,
      );
    } else {
      report(
        `undefined step "${a}"`,
        ref.offsets[1],
        a.length,
        didYouMean(a, [...(scope.earlier?.keys() ?? [])]),
      );
    }
    return;
  }
  const spec = info.type ? cx.registry[info.type] : undefined;
  if (b === undefined || !spec || spec.openOutputs) return;
  if (!(b in spec.outputs)) {
    const outs = Object.keys(spec.outputs);
    report(
      `step "${a}" (${spec.type}) has no output "${b}"`,
      ref.offsets[2],
      b.length,
      didYouMean(b, outs) ??
        (outs.length ? `its outputs: ${outs.join(", ")}` : `${spec.type} has no outputs`),
    );
  }
}
