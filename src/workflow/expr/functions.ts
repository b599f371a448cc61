/**
 * Value rules and built-in functions of the expression language, as in GitHub Actions:
 *
 * - **Truthiness**: `false`, `0`, `-0`, `NaN`, `''` and `null` are false; everything else
 *   (including `[]` and `{}`) is true.
 * - **Loose equality** (`==`, `!=`): values of the same type compare directly (strings
 *   ignoring case, arrays and objects by identity); values of different types are both turned
 *   into numbers first (`null` → 0, `true` → 1, `''` → 0, a numeric string → its number, any
 *   other string, array or object → NaN, and NaN equals nothing).
 * - **Ordering** (`<` `<=` `>` `>=`): two strings compare ignoring case; anything else
 *   compares as numbers by the rule above.
 * - **To string** (embedded templates, `format`, `join`, `contains`): `null` → `''`,
 *   booleans → `true`/`false`, numbers in JavaScript's shortest form, arrays and objects as
 *   compact JSON.
 *
 * @module
 */

/** A value of the expression language (JSON values). */
export type Value = unknown;

/** The truthiness of a value. */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === "") return false;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  return true;
}

/** A value turned into a number by the loose-equality rule. */
function toNumber(v: Value): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "") return 0;
    if (/^[+-]?(0x[0-9a-f]+|0o[0-7]+)$/i.test(s)) {
      const sign = s.startsWith("-") ? -1 : 1;
      return sign * Number(s.replace(/^[+-]/, ""));
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s);
    return NaN;
  }
  return NaN;
}

/** A value turned into a string (see the module doc). */
export function toText(v: Value): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  return JSON.stringify(v);
}

function kind(v: Value): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** `a == b` by the loose-equality rule. */
export function looseEquals(a: Value, b: Value): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === kb) {
    if (ka === "string") return (a as string).toUpperCase() === (b as string).toUpperCase();
    if (ka === "null") return true;
    return a === b;
  }
  return toNumber(a) === toNumber(b);
}

/** Compares for `<` `<=` `>` `>=`: negative, zero, positive, or NaN when incomparable. */
export function compare(a: Value, b: Value): number {
  if (typeof a === "string" && typeof b === "string") {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return toNumber(a) - toNumber(b);
}

/** What a function may read besides its arguments. */
export interface FunctionScope {
  /** The node's status so far, for `success()` and `failure()`. */
  status: "success" | "failure";
}

/** A built-in function: its arity and what it does. Errors are thrown as plain `Error`s. */
export interface BuiltinFunction {
  /** Least number of arguments. */
  min: number;
  /** Most number of arguments (Infinity for `format`). */
  max: number;
  /** Computes the result. */
  call(args: Value[], scope: FunctionScope): Value;
}

function formatString(template: string, args: Value[]): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      out += "{";
      i++;
    } else if (c === "}" && template[i + 1] === "}") {
      out += "}";
      i++;
    } else if (c === "{") {
      const m = /^\{(\d+)\}/.exec(template.slice(i));
      if (!m) throw new Error('format: a lone "{" (write {{ for a brace)');
      const n = Number(m[1]);
      if (n >= args.length) throw new Error(`format: no argument for {${n}}`);
      out += toText(args[n]);
      i += m[0].length - 1;
    } else if (c === "}") {
      throw new Error('format: a lone "}" (write }} for a brace)');
    } else {
      out += c;
    }
  }
  return out;
}

/** The built-in functions by name (names match ignoring case, as in GitHub Actions). */
export const FUNCTIONS: Readonly<Record<string, BuiltinFunction>> = {
  success: { min: 0, max: 0, call: (_, scope) => scope.status === "success" },
  failure: { min: 0, max: 0, call: (_, scope) => scope.status === "failure" },
  always: { min: 0, max: 0, call: () => true },
  contains: {
    min: 2,
    max: 2,
    call: ([search, item]) =>
      Array.isArray(search)
        ? search.some((e) => looseEquals(e, item))
        : toText(search).toUpperCase().includes(toText(item).toUpperCase()),
  },
  startsWith: {
    min: 2,
    max: 2,
    call: ([s, prefix]) => toText(s).toUpperCase().startsWith(toText(prefix).toUpperCase()),
  },
  endsWith: {
    min: 2,
    max: 2,
    call: ([s, suffix]) => toText(s).toUpperCase().endsWith(toText(suffix).toUpperCase()),
  },
  format: { min: 1, max: Infinity, call: ([t, ...rest]) => formatString(toText(t), rest) },
  join: {
    min: 1,
    max: 2,
    call: ([list, sep]) =>
      Array.isArray(list)
        ? list.map(toText).join(sep === undefined ? "," : toText(sep))
        : toText(list),
  },
  toJSON: { min: 1, max: 1, call: ([v]) => JSON.stringify(v ?? null, null, 2) },
  fromJSON: {
    min: 1,
    max: 1,
    call: ([v]) => {
      try {
        return JSON.parse(toText(v));
      } catch {
        // Never echo the text: it may hold a secret.
        throw new Error("fromJSON: the argument is not valid JSON");
      }
    },
  },
};

/** The built-in function named `name` ignoring case, with its canonical name. */
export function lookupFunction(name: string): [string, BuiltinFunction] | undefined {
  const lower = name.toLowerCase();
  for (const [canonical, fn] of Object.entries(FUNCTIONS)) {
    if (canonical.toLowerCase() === lower) return [canonical, fn];
  }
  return undefined;
}
