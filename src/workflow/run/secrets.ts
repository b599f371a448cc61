/**
 * Secrets of a run: loading `--secrets-file` (dotenv or YAML) and masking every secret value
 * as `***` in whatever the runner prints or writes.
 *
 * @module
 */

/** What replaces a secret. */
export const MASK = "***";

// A JWT (three base64url parts, the first a JSON header): masked even when not registered.
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;

/**
 * Replaces registered secret values (and anything shaped like a JWT) by `***`, in the forms a
 * value takes on its way out: as given, URL-encoded (a name in a request path, a query or a
 * form) and JSON-escaped (a value inside a JSON report or error body).
 *
 * @example
 * ```ts
 * import { Masker } from "./secrets.ts";
 * const masker = new Masker(["s3cr3t", "p/w +&%ü"]);
 * masker.mask("password=s3cr3t"); // "password=***"
 * masker.mask("DELETE /appmesh/app/p%2Fw%20%2B%26%25%C3%BC"); // "DELETE /appmesh/app/***"
 * masker.maskDeep({ a: ["s3cr3t!"] }); // { a: ["***!"] }
 * ```
 */
export class Masker {
  #values = new Set<string>();
  #forms = new Set<string>();
  #pattern: RegExp | undefined;
  #dirty = false;

  /** Starts with these values. */
  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  /**
   * Registers a secret value. Empty strings are ignored; a multi-line value is also
   * registered line by line (output may be split at line breaks).
   */
  add(value: string | undefined | null): void {
    if (typeof value !== "string") return;
    const v = value.trim() === value ? value : value.trim();
    if (v === "" || this.#values.has(v)) return;
    this.#values.add(v);
    this.#register(v);
    if (v.includes("\n")) {
      for (const line of v.split(/\r?\n/)) if (line.trim() !== "") this.#register(line.trim());
    }
    this.#dirty = true;
  }

  /** Whether `value` is a registered secret. */
  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** The value and its encoded forms, each masked on its own. */
  #register(v: string): void {
    for (const form of encodedForms(v)) this.#forms.add(form);
  }

  /** `text` with every secret replaced by `***`. */
  mask(text: string): string {
    if (this.#dirty) this.#compile();
    let out = this.#pattern ? text.replace(this.#pattern, MASK) : text;
    if (out.includes("eyJ")) out = out.replace(JWT, MASK);
    return out;
  }

  /**
   * How much of `text` (a stream's pending output, more to come) can be masked and shown now
   * without showing part of a secret: everything but a tail that could be the start of one,
   * and never a cut through a secret that is already whole in `text` (the cut moves past it).
   *
   * @example
   * ```ts
   * import { Masker } from "./secrets.ts";
   * const masker = new Masker(["hunter2-secret"]);
   * const text = "pw=hunter2-secret and pw=hun";
   * const cut = masker.safeCut(text);
   * masker.mask(text.slice(0, cut)); // "pw=*** and pw=" ("hun" waits for more output)
   * ```
   */
  safeCut(text: string): number {
    if (this.#dirty) this.#compile();
    if (!this.#pattern) return text.length;
    // Hold back the longest tail that is the beginning of some secret's form.
    let held = 0;
    for (const form of this.#forms) {
      for (let k = Math.min(form.length - 1, text.length); k > held; k--) {
        if (text.endsWith(form.slice(0, k))) {
          held = k;
          break;
        }
      }
    }
    let cut = text.length - held;
    for (const m of text.matchAll(this.#pattern)) {
      const start = m.index ?? 0;
      if (start >= cut) break;
      // A whole secret across the cut: the cut moves past it (it is masked whole).
      if (start + m[0].length > cut) {
        cut = start + m[0].length;
        break;
      }
    }
    return cut;
  }

  /**
   * `text` masked, where `text` lost its beginning to a cap (the tail of a long output): a
   * leading piece that could be the end of a secret is masked too.
   *
   * @example
   * ```ts
   * import { Masker } from "./secrets.ts";
   * const masker = new Masker(["hunter2-secret"]);
   * masker.maskTruncated("ter2-secret and more"); // "*** and more"
   * ```
   */
  maskTruncated(text: string): string {
    if (this.#dirty) this.#compile();
    let held = 0;
    for (const form of this.#forms) {
      for (let k = Math.min(form.length - 1, text.length); k > held; k--) {
        if (text.startsWith(form.slice(form.length - k))) {
          held = k;
          break;
        }
      }
    }
    return held ? MASK + this.mask(text.slice(held)) : this.mask(text);
  }

  /** A deep copy of `value` with every string masked (object keys included). */
  maskDeep<T>(value: T): T {
    return this.#deep(value, 0) as T;
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.mask(value);
    if (value === null || typeof value !== "object" || depth > 32) return value;
    if (Array.isArray(value)) return value.map((v) => this.#deep(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.mask(k)] = this.#deep(v, depth + 1);
    return out;
  }

  #compile(): void {
    this.#dirty = false;
    if (this.#forms.size === 0) {
      this.#pattern = undefined;
      return;
    }
    // Longest first, so a secret containing another is masked whole.
    const forms = [...this.#forms].sort((a, b) => b.length - a.length);
    this.#pattern = new RegExp(forms.map(escape).join("|"), "g");
  }
}

/**
 * A value as it appears in a URL path or query (`%2F`, either hex case; `+` for a space in a
 * form), and inside a JSON string (`\"`, `\\`, `\n`, and `\u00fc` from encoders that escape
 * non-ASCII).
 */
function encodedForms(v: string): Set<string> {
  const forms = new Set<string>([v]);
  const add = (f: string | undefined) => {
    if (f) forms.add(f);
  };
  try {
    const component = encodeURIComponent(v);
    add(component);
    add(component.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    add(component.replace(/%20/g, "+"));
    add(new URLSearchParams({ v }).toString().slice(2));
    add(encodeURI(v));
  } catch {
    // A lone surrogate cannot be URL-encoded, so it cannot appear that way either.
  }
  const json = JSON.stringify(v).slice(1, -1);
  add(json);
  add(
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
  return forms;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Parses dotenv text: `NAME=value` lines, `export ` prefixes, `#` comments, single quotes
 * (literal), double quotes (with `\n`, `\t`, `\"`, `\\` escapes, may span lines), and
 * trailing ` # comments` after unquoted values.
 *
 * @example
 * ```ts
 * import { parseDotenv } from "./secrets.ts";
 * parseDotenv('A=1\nexport B="x y" # note\n'); // { A: "1", B: "x y" }
 * ```
 */
export function parseDotenv(text: string, file = "<secrets>"): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      // Never echo the line: it may hold a secret.
      throw new SecretsFileError(`${file}:${i + 1}: expected NAME=value`);
    }
    const [, name, rest] = m;
    let value: string;
    if (rest.startsWith('"')) {
      let body = rest.slice(1);
      const start = i;
      while (!closesDouble(body)) {
        if (++i >= lines.length) {
          throw new SecretsFileError(`${file}:${start + 1}: unterminated double quote`);
        }
        body += "\n" + lines[i];
      }
      const end = closingIndex(body);
      value = body.slice(0, end).replace(
        /\\([nrt"\\$])/g,
        (_, c: string) => c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
      );
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) throw new SecretsFileError(`${file}:${i + 1}: unterminated single quote`);
      value = rest.slice(1, end);
    } else {
      value = rest.replace(/\s+#.*$/, "").trim();
    }
    out[name] = value;
  }
  return out;
}

function closingIndex(body: string): number {
  for (let j = 0; j < body.length; j++) {
    if (body[j] === "\\") j++;
    else if (body[j] === '"') return j;
  }
  return -1;
}

function closesDouble(body: string): boolean {
  return closingIndex(body) >= 0;
}

/** A secrets file that cannot be read or parsed (the message never holds a value). */
export class SecretsFileError extends Error {
  /**
   * Creates the error.
   * @param message what is wrong and where (file and line), never a value
   */
  constructor(message: string) {
    super(message);
    this.name = "SecretsFileError";
  }
}

/**
 * Parses a secrets file's text: YAML (a mapping of names to scalars) when the name ends in
 * `.yaml`, `.yml` or `.json`, dotenv otherwise.
 *
 * @example
 * ```ts
 * import { parseSecrets } from "./secrets.ts";
 * await parseSecrets("APPMESH_PASSWORD: admin123\n", "s.yaml"); // { APPMESH_PASSWORD: "admin123" }
 * ```
 */
export async function parseSecrets(text: string, file: string): Promise<Record<string, string>> {
  if (!/\.(ya?ml|json)$/i.test(file)) return parseDotenv(text, file);
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    // The yaml package quotes the offending source; keep only the position.
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new SecretsFileError(
      `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML`,
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new SecretsFileError(`${file}: expected a mapping of NAME: value`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (v === null || typeof v === "object") {
      throw new SecretsFileError(`${file}: secret "${k}" must be a string, number or boolean`);
    }
    out[k] = String(v);
  }
  return out;
}

/**
 * Reads a `--secrets-file` (see {@linkcode parseSecrets}). A file readable by other users is
 * accepted, with a `warning` to show.
 *
 * @example
 * ```ts
 * import { loadSecretsFile } from "./secrets.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/secrets.env`, "APPMESH_PASSWORD=admin123\n", { mode: 0o600 });
 * const { secrets, warning } = await loadSecretsFile(`${dir}/secrets.env`);
 * if (warning) console.error(warning);
 * console.log(Object.keys(secrets)); // ["APPMESH_PASSWORD"]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSecretsFile(
  path: string,
): Promise<{ secrets: Record<string, string>; warning?: string }> {
  const fs = await import("node:fs/promises");
  let text: string;
  let mode = 0;
  try {
    text = await fs.readFile(path, "utf8");
    mode = (await fs.stat(path)).mode;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new SecretsFileError(`${path}: cannot read the secrets file (${code ?? "error"})`);
  }
  const secrets = await parseSecrets(text, path);
  const warning = (mode & 0o077) !== 0 && !isWindows()
    ? `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`
    : undefined;
  return warning ? { secrets, warning } : { secrets };
}

function isWindows(): boolean {
  const g = globalThis as { Deno?: { build?: { os?: string } }; process?: { platform?: string } };
  return g.Deno?.build?.os === "windows" || g.process?.platform === "win32";
}
