/**
 * The Mozilla/Netscape `cookies.txt` format, as Python's `http.cookiejar.MozillaCookieJar`
 * and `curl -b`/`-c` read and write it. Pure: safe to import statically.
 *
 * One line per cookie, seven tab-separated fields:
 * `domain  include-subdomains  path  secure  expires  name  value`. The two readers disagree
 * in places, so the writer keeps to what both accept:
 *
 * - the subdomain flag is `TRUE` exactly when the domain starts with a dot (Python asserts
 *   that); a host-only cookie is written as `127.0.0.1  FALSE`, which curl sends to that host
 *   only, as RFC 6265 wants;
 * - `HttpOnly` cookies get the `#HttpOnly_` prefix (curl writes and reads it; Python reads it
 *   since 3.10, older Pythons skip such a line as a comment);
 * - a session cookie is written with expires `0` (curl's convention; an empty field would make
 *   curl, which splits on runs of tabs, shift the name into the expires column). Python loads
 *   it with `ignore_expires=True`.
 *
 * The reader accepts both dialects, including Python's `""` expires and the empty-domain
 * cookie that the Python client's `set_token` writes (domain `""`: sent to any host).
 *
 * @module
 */
import type { Cookie } from "./jar.ts";

/** The first line of a cookie file; Python refuses a file without it. */
export const MOZILLA_HEADER = "# Netscape HTTP Cookie File";

const HTTPONLY_PREFIX = "#HttpOnly_";

/** Options of {@linkcode CookieFileError}. */
export interface CookieFileErrorOptions {
  /** The file (as given by the caller). */
  file?: string;
  /** 1-based line number, when the problem is on a line. */
  line?: number;
  /** The underlying error (for an unreadable file). */
  cause?: unknown;
}

/**
 * A cookie file that cannot be read or is not in the Mozilla format. The message names the file
 * and line (`cookies.txt:3: expected 7 tab-separated fields, got 5`) and never a cookie value.
 *
 * @example
 * ```ts
 * import { CookieFileError, parseMozilla } from "./mozilla.ts";
 * import assert from "node:assert/strict";
 * try {
 *   parseMozilla("# Netscape HTTP Cookie File\nnot a cookie\n", "cookies.txt");
 *   assert.fail("no error");
 * } catch (e) {
 *   assert.ok(e instanceof CookieFileError);
 *   assert.equal(e.line, 2);
 *   assert.equal(e.message, "cookies.txt:2: expected 7 tab-separated fields, got 1");
 * }
 * ```
 */
export class CookieFileError extends Error {
  /** Stable error code. */
  readonly code = "COOKIE_FILE_INVALID";
  /** The file, when known. */
  readonly file: string | undefined;
  /** The 1-based line, when the problem is on a line. */
  readonly line: number | undefined;

  /**
   * Creates the error; the message is `file:line: reason`.
   *
   * @param reason what is wrong (without file and line: they are prefixed)
   * @param options file, line and cause
   */
  constructor(reason: string, options: CookieFileErrorOptions = {}) {
    const where = options.line === undefined
      ? (options.file ?? "cookie file")
      : `${options.file ?? "cookie file"}:${options.line}`;
    super(
      `${where}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "CookieFileError";
    this.file = options.file;
    this.line = options.line;
  }
}

function flag(value: string, what: string, fail: (why: string) => never): boolean {
  const v = value.trim().toUpperCase();
  if (v === "TRUE") return true;
  if (v === "FALSE") return false;
  return fail(`${what} must be TRUE or FALSE, got ${JSON.stringify(value.slice(0, 20))}`);
}

/**
 * Reads a `cookies.txt` text. Comments, blank lines and the header are skipped; `#HttpOnly_`
 * lines are cookies with `httpOnly: true`; expires `0` or empty is a session cookie. Expired
 * cookies are returned too (the caller decides; {@linkcode CookieJar} drops them).
 *
 * @param text the file's contents
 * @param file the file name, for error messages
 * @returns the cookies, in file order
 * @throws {CookieFileError} naming file and line for a line that is not a cookie
 *
 * @example
 * ```ts
 * import { parseMozilla } from "./mozilla.ts";
 * import assert from "node:assert/strict";
 * const [c] = parseMozilla(
 *   "# Netscape HTTP Cookie File\n#HttpOnly_127.0.0.1\tFALSE\t/\tTRUE\t0\tappmesh_auth_token\teyJ...\n",
 * );
 * assert.deepEqual(c, { name: "appmesh_auth_token", value: "eyJ...", domain: "127.0.0.1",
 *   hostOnly: true, path: "/", secure: true, httpOnly: true, expires: undefined });
 * ```
 */
export function parseMozilla(text: string, file?: string): Cookie[] {
  const cookies: Cookie[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const fail = (why: string): never => {
      throw new CookieFileError(why, { file, line: n + 1 });
    };
    let line = lines[n].endsWith("\r") ? lines[n].slice(0, -1) : lines[n];
    let httpOnly = false;
    if (line.startsWith(HTTPONLY_PREFIX)) {
      httpOnly = true;
      line = line.slice(HTTPONLY_PREFIX.length);
    } else if (/^\s*(#|\$|$)/.test(line)) {
      continue;
    }
    if (n === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    const fields = line.split("\t");
    // curl accepts a line whose empty value lost its trailing tab.
    if (fields.length === 6) fields.push("");
    if (fields.length !== 7) {
      fail(`expected 7 tab-separated fields, got ${fields.length}`);
    }
    const [rawDomain, sub, rawPath, rawSecure, rawExpires, name, value] = fields;
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) fail("control character in a cookie line");
    let domain = rawDomain.trim().toLowerCase();
    const dotted = domain.startsWith(".");
    if (dotted) domain = domain.slice(1);
    domain = domain.replace(/^\[(.*)\]$/, "$1");
    if (/[\s/]/.test(domain)) fail(`bad domain ${JSON.stringify(rawDomain.slice(0, 40))}`);
    const includeSubdomains = flag(sub, "field 2 (include subdomains)", fail);
    const path = rawPath.trim() || "/";
    if (!path.startsWith("/")) {
      fail(`path must start with "/", got ${JSON.stringify(rawPath.slice(0, 40))}`);
    }
    const secure = flag(rawSecure, "field 4 (secure)", fail);
    const exp = rawExpires.trim();
    if (exp !== "" && !/^\d+(\.\d*)?$/.test(exp)) {
      fail(`field 5 (expires) must be unix seconds, got ${JSON.stringify(exp.slice(0, 20))}`);
    }
    const expires = exp === "" ? undefined : Math.floor(Number(exp)) || undefined;
    cookies.push({
      name,
      value,
      domain,
      hostOnly: domain === "" ? true : !(includeSubdomains || dotted),
      path,
      secure,
      httpOnly,
      expires,
    });
  }
  return cookies;
}

/**
 * Writes cookies as a `cookies.txt` text that Python's `MozillaCookieJar` (loaded with
 * `ignore_discard=True, ignore_expires=True`) and `curl -b` both read.
 *
 * @param cookies the cookies to write (a jar's {@linkcode CookieJar.all})
 * @returns the file's text, header first, one line per cookie, ending in a newline
 * @throws {TypeError} for a name or value containing a tab or line break (never shown)
 *
 * @example
 * ```ts
 * import { formatMozilla } from "./mozilla.ts";
 * import assert from "node:assert/strict";
 * const text = formatMozilla([{ name: "appmesh_auth_token", value: "eyJ...", domain: "127.0.0.1",
 *   hostOnly: true, path: "/", secure: true, httpOnly: true, expires: 1900000000 }]);
 * assert.ok(text.startsWith("# Netscape HTTP Cookie File\n"));
 * assert.ok(text.endsWith(
 *   "#HttpOnly_127.0.0.1\tFALSE\t/\tTRUE\t1900000000\tappmesh_auth_token\teyJ...\n",
 * ));
 * ```
 */
export function formatMozilla(cookies: Cookie[]): string {
  const out = [
    MOZILLA_HEADER,
    "# Written by @appmesh/sdk; read by Python's MozillaCookieJar and curl -b. Edit with care.",
    "",
  ];
  for (const c of cookies) {
    // deno-lint-ignore no-control-regex
    const bad = /[\t\r\n\x00]/;
    if (bad.test(c.name) || bad.test(c.value) || bad.test(c.domain) || bad.test(c.path)) {
      throw new TypeError(
        `cookie ${
          JSON.stringify(c.name.replace(bad, "?"))
        } cannot be written to a cookies.txt file: ` +
          "a field contains a tab or line break",
      );
    }
    const domain = c.domain.toLowerCase().replace(/^\./, "");
    const sub = domain !== "" && !c.hostOnly;
    const expires = c.expires === undefined || c.expires <= 0 ? 0 : Math.floor(c.expires);
    out.push(
      (c.httpOnly ? HTTPONLY_PREFIX : "") +
        [
          sub ? `.${domain}` : domain,
          sub ? "TRUE" : "FALSE",
          c.path || "/",
          c.secure ? "TRUE" : "FALSE",
          String(expires),
          c.name,
          c.value,
        ].join("\t"),
    );
  }
  return out.join("\n") + "\n";
}
