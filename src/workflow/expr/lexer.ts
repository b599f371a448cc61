/**
 * Tokens of the `${{ }}` expression language.
 *
 * @module
 */

/** An expression that cannot be parsed or evaluated. Never carries a secret value. */
export class ExprError extends Error {
  /** What is wrong, without the expression. */
  readonly reason: string;
  /** The expression source (the inside of `${{ }}`). */
  readonly expression: string;
  /** 0-based offset in `expression` of the offending part. */
  readonly offset: number;
  /** A did-you-mean or other advice, when there is one. */
  readonly hint?: string;

  /** `reason` says what is wrong; `offset` points into `expression`. */
  constructor(options: { reason: string; expression: string; offset: number; hint?: string }) {
    const hint = options.hint ? ` (${options.hint})` : "";
    super(`${options.reason}${hint} in \${{ ${options.expression.trim()} }}`);
    this.name = "ExprError";
    this.reason = options.reason;
    this.expression = options.expression;
    this.offset = options.offset;
    this.hint = options.hint;
  }
}

/** One token. `pos` is its 0-based offset in the expression. */
export interface Token {
  /** Token class. */
  type: "number" | "string" | "ident" | "op" | "eof";
  /** The operator or identifier text, the string's value, or the number. */
  value: string | number;
  /** Offset of its first character. */
  pos: number;
}

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ","];
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_-]/;
const NUMBER = /^-?(?:0x[0-9a-fA-F]+|0o[0-7]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/;

/** Splits an expression into tokens; throws {@linkcode ExprError} on a character it does not know. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (reason: string, offset: number, hint?: string): never => {
    throw new ExprError({ reason, expression, offset, hint });
  };
  while (i < expression.length) {
    const c = expression[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= expression.length) fail("unterminated string", i);
        if (expression[j] === "'") {
          // '' inside a string is one quote, as in GitHub Actions.
          if (expression[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += expression[j++];
      }
      tokens.push({ type: "string", value, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '"') fail("strings use single quotes", i, "write 'text', not \"text\"");
    const number = /[0-9.-]/.test(c) ? NUMBER.exec(expression.slice(i)) : null;
    if (number && !(c === "." && tokens.length && isValueEnd(tokens[tokens.length - 1]))) {
      const text = number[0];
      if (IDENT_PART.test(expression[i + text.length] ?? "")) {
        fail(`bad number "${text}${expression[i + text.length]}"`, i);
      }
      tokens.push({ type: "number", value: Number(text), pos: i });
      i += text.length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < expression.length && IDENT_PART.test(expression[j])) j++;
      tokens.push({ type: "ident", value: expression.slice(i, j), pos: i });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (op) {
      tokens.push({ type: "op", value: op, pos: i });
      i += op.length;
      continue;
    }
    if (c === "=") fail('unexpected "="', i, 'use "==" to compare');
    if (c === "&" || c === "|") fail(`unexpected "${c}"`, i, `use "${c}${c}"`);
    fail(`unexpected character "${c}"`, i);
  }
  tokens.push({ type: "eof", value: "", pos: expression.length });
  return tokens;
}

function isValueEnd(token: Token): boolean {
  return token.type === "ident" || token.type === "number" || token.type === "string" ||
    token.value === ")" || token.value === "]";
}
