/**
 * The parser of the `${{ }}` expression language: a recursive descent over the tokens,
 * precedence (loosest first) `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, `!`, then property
 * access, indexing and calls.
 *
 * @module
 */

import { ExprError, type Token, tokenize } from "./lexer.ts";

/** A node of the syntax tree; `pos` is the offset of its first character. */
export type Expr =
  | { kind: "literal"; value: null | boolean | number | string; pos: number }
  | { kind: "context"; name: string; pos: number }
  | { kind: "member"; object: Expr; name: string; pos: number; namePos: number }
  | { kind: "index"; object: Expr; index: Expr; pos: number }
  | { kind: "call"; name: string; args: Expr[]; pos: number }
  | { kind: "not"; operand: Expr; pos: number }
  | {
    kind: "binary";
    op: "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";
    left: Expr;
    right: Expr;
    pos: number;
  };

const LEVELS: readonly (readonly string[])[] = [["||"], ["&&"], ["==", "!="], [
  "<",
  "<=",
  ">",
  ">=",
]];

/**
 * How deep an expression may nest: parentheses, calls, indexes, `!`, and chains of operators
 * or property accesses all count. The checker and the evaluator walk the tree recursively, so
 * a deeper one (a hostile file: 10 000 parentheses, 100 000 `&&`) is refused at parse time
 * instead of overflowing the stack.
 */
export const MAX_DEPTH = 100;

const TOO_DEEP = `expression nested too deeply (more than ${MAX_DEPTH} levels)`;

/**
 * Parses the inside of `${{ }}`; throws {@linkcode ExprError} on a syntax error and on an
 * expression nested deeper than {@linkcode MAX_DEPTH}.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * parse("steps.done.exit_code == 0").kind; // "binary"
 * ```
 */
export function parse(expression: string): Expr {
  const tokens = tokenize(expression);
  let at = 0;
  // Depth of every node built so far, and of the recursion now running: both bounded, the
  // first for the tree's walkers, the second for this parser's own stack.
  const depths = new WeakMap<Expr, number>();
  let nesting = 0;
  const peek = (): Token => tokens[at];
  const fail = (reason: string, offset: number, hint?: string): never => {
    throw new ExprError({ reason, expression, offset, hint });
  };
  const describe = (t: Token): string =>
    t.type === "eof"
      ? "end of expression"
      : t.type === "string"
      ? `string '${t.value}'`
      : `"${t.value}"`;
  /** Records a new node's depth (one more than its deepest child); refuses too deep. */
  const made = <T extends Expr>(node: T, pos: number, children: Expr[]): T => {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, (depths.get(c) ?? 1) + 1);
    if (depth > MAX_DEPTH) fail(TOO_DEEP, pos);
    depths.set(node, depth);
    return node;
  };
  /** Runs a nested parse (inside parentheses, arguments, an index, after `!`), bounded. */
  const nested = <T>(pos: number, fn: () => T): T => {
    if (++nesting > MAX_DEPTH) fail(TOO_DEEP, pos);
    try {
      return fn();
    } finally {
      nesting--;
    }
  };
  const expectOp = (op: string, what: string): Token => {
    const t = peek();
    if (t.type !== "op" || t.value !== op) {
      fail(`expected "${op}" ${what}, found ${describe(t)}`, t.pos);
    }
    at++;
    return t;
  };

  const binary = (level: number): Expr => {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.type !== "op" || !LEVELS[level].includes(t.value as string)) return left;
      at++;
      const right = binary(level + 1);
      left = made(
        {
          kind: "binary",
          op: t.value as Extract<Expr, { kind: "binary" }>["op"],
          left,
          right,
          pos: left.pos,
        },
        t.pos,
        [left, right],
      );
    }
  };

  const unary = (): Expr => {
    const t = peek();
    if (t.type === "op" && t.value === "!") {
      at++;
      const operand = nested(t.pos, unary);
      return made({ kind: "not", operand, pos: t.pos }, t.pos, [operand]);
    }
    return postfix(primary());
  };

  const postfix = (object: Expr): Expr => {
    for (;;) {
      const t = peek();
      if (t.type === "op" && t.value === ".") {
        at++;
        const name = peek();
        if (name.type !== "ident") {
          fail(`expected a property name after ".", found ${describe(name)}`, name.pos);
        }
        at++;
        object = made(
          {
            kind: "member",
            object,
            name: name.value as string,
            pos: object.pos,
            namePos: name.pos,
          },
          t.pos,
          [object],
        );
      } else if (t.type === "op" && t.value === "[") {
        at++;
        const index = nested(t.pos, () => binary(0));
        expectOp("]", "to close the index");
        object = made({ kind: "index", object, index, pos: object.pos }, t.pos, [object, index]);
      } else if (t.type === "op" && t.value === "(") {
        fail("only functions can be called", t.pos);
      } else {
        return object;
      }
    }
  };

  const primary = (): Expr => {
    const t = peek();
    at++;
    if (t.type === "number" || t.type === "string") {
      return { kind: "literal", value: t.value, pos: t.pos };
    }
    if (t.type === "op" && t.value === "(") {
      const inner = nested(t.pos, () => binary(0));
      expectOp(")", "to close the parenthesis");
      return inner;
    }
    if (t.type === "ident") {
      const name = t.value as string;
      if (name === "true" || name === "false") {
        return { kind: "literal", value: name === "true", pos: t.pos };
      }
      if (name === "null") return { kind: "literal", value: null, pos: t.pos };
      const next = peek();
      if (next.type === "op" && next.value === "(") {
        at++;
        const args: Expr[] = [];
        if (!(peek().type === "op" && peek().value === ")")) {
          for (;;) {
            args.push(nested(next.pos, () => binary(0)));
            const sep = peek();
            if (sep.type === "op" && sep.value === ",") {
              at++;
              continue;
            }
            break;
          }
        }
        expectOp(")", `to close the arguments of ${name}()`);
        return made({ kind: "call", name, args, pos: t.pos }, t.pos, args);
      }
      return { kind: "context", name, pos: t.pos };
    }
    if (t.type === "eof") return fail("expression is incomplete", t.pos);
    return fail(`unexpected ${describe(t)}`, t.pos);
  };

  if (peek().type === "eof") fail("empty expression", 0);
  const tree = binary(0);
  const rest = peek();
  if (rest.type !== "eof") fail(`unexpected ${describe(rest)}`, rest.pos);
  return tree;
}

/** The expression text of a context path (`steps.job.exit_code`, `env['A B']`), for messages. */
export function pathText(node: Expr): string {
  switch (node.kind) {
    case "context":
      return node.name;
    case "member":
      return `${pathText(node.object)}.${node.name}`;
    case "index":
      return `${pathText(node.object)}[${
        node.index.kind === "literal"
          ? typeof node.index.value === "string"
            ? `'${node.index.value.replaceAll("'", "''")}'`
            : String(node.index.value)
          : "…"
      }]`;
    default:
      return "(…)";
  }
}

/** A context reference: its path segments and the offset of each segment. */
export interface Reference {
  /** `["steps", "job", "exit_code"]`. */
  path: string[];
  /** Offset of each segment in the expression. */
  offsets: number[];
}

/**
 * Every context path the expression reads, longest form only (`steps.job.exit_code`, not
 * also `steps.job`). An index by a computed value ends the path there.
 */
export function collectReferences(tree: Expr): Reference[] {
  const found: Reference[] = [];
  // `closed`: a computed index ended the path; later parts are not part of it.
  type Chain = Reference & { closed: boolean };
  const chain = (node: Expr): Chain | undefined => {
    if (node.kind === "context") return { path: [node.name], offsets: [node.pos], closed: false };
    if (node.kind !== "member" && node.kind !== "index") return undefined;
    const base = chain(node.object);
    if (!base || base.closed) return base;
    if (node.kind === "member") {
      return {
        path: [...base.path, node.name],
        offsets: [...base.offsets, node.namePos],
        closed: false,
      };
    }
    if (node.index.kind === "literal" && node.index.value !== null) {
      return {
        path: [...base.path, String(node.index.value)],
        offsets: [...base.offsets, node.index.pos],
        closed: false,
      };
    }
    return { ...base, closed: true };
  };
  const walk = (node: Expr): void => {
    switch (node.kind) {
      case "context":
      case "member":
      case "index": {
        const ref = chain(node);
        if (ref) found.push({ path: ref.path, offsets: ref.offsets });
        // Computed parts of the chain are expressions of their own.
        let cur: Expr = node;
        while (cur.kind === "member" || cur.kind === "index") {
          if (cur.kind === "index" && cur.index.kind !== "literal") walk(cur.index);
          cur = cur.object;
        }
        if (cur.kind !== "context") walk(cur);
        return;
      }
      case "call":
        node.args.forEach(walk);
        return;
      case "not":
        walk(node.operand);
        return;
      case "binary":
        walk(node.left);
        walk(node.right);
        return;
      case "literal":
        return;
    }
  };
  walk(tree);
  return found;
}
