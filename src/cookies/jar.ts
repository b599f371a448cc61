/**
 * A cookie jar for `fetch`, which keeps none: RFC 6265 storage and matching as far as an App
 * Mesh client needs it (host-only and domain cookies, paths, `Secure`, `Max-Age` over
 * `Expires`, deletion by `Max-Age=0`). Pure: safe to import statically, also in a browser.
 *
 * Not implemented, on purpose: the public-suffix list (a client talks to the daemons it was
 * given), `SameSite` (there are no cross-site requests) and cookie prefixes.
 *
 * @module
 */

import { type Cookie, matches, nowSeconds, parseSetCookie, toUrl } from "./rules.ts";

export type { Cookie };
export { parseSetCookie };

/** The most `Cookie` headers a jar remembers (one per request URL: paths name apps). */
const HEADER_CACHE_MAX = 256;

function expired(c: Cookie, now: number): boolean {
  return c.expires !== undefined && c.expires <= now;
}

function sameIdentity(a: Cookie, b: Cookie): boolean {
  return a.name === b.name && a.domain === b.domain && a.path === b.path;
}

/**
 * Cookies of one client: fed from every `Set-Cookie` of every response, asked for the
 * `Cookie` header of every request.
 *
 * @example
 * ```ts
 * import { CookieJar } from "./jar.ts";
 * import assert from "node:assert/strict";
 * const jar = new CookieJar();
 * jar.setFromResponse("https://127.0.0.1:6060/appmesh/login", [
 *   "appmesh_auth_token=eyJ...; Path=/; Max-Age=3600; Secure; HttpOnly",
 * ]);
 * assert.equal(jar.header("https://127.0.0.1:6060/appmesh/applications"), "appmesh_auth_token=eyJ...");
 * assert.equal(jar.header("http://127.0.0.1:6060/"), undefined); // Secure: https only
 * ```
 */
export class CookieJar {
  #cookies: Cookie[] = [];
  /** `header()` answers per URL, valid until `#cacheUntil` (seconds) or the next change. */
  readonly #cache = new Map<string, string | undefined>();
  /** `get()` answers per name and URL, under the same rule. */
  readonly #found = new Map<string, Cookie | undefined>();
  #cacheUntil = -Infinity;
  /** See `version()`. */
  #version = 0;

  /**
   * Creates a jar.
   *
   * @param cookies cookies to start with (e.g. read from a cookie file)
   */
  constructor(cookies?: Iterable<Cookie>) {
    for (const c of cookies ?? []) this.set(c);
  }

  /**
   * Reads every `Set-Cookie` of a response (RFC 6265: Max-Age, Expires, Domain, Path, Secure,
   * HttpOnly; Max-Age=0 deletes). Returns true when anything changed.
   *
   * @param url the URL the response came from
   * @param setCookies `response.headers.getSetCookie()`
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * assert.equal(jar.setFromResponse("http://127.0.0.1:6060/", ["a=1; Path=/"]), true);
   * assert.equal(jar.setFromResponse("http://127.0.0.1:6060/", ["a=1; Max-Age=0"]), true);
   * assert.equal(jar.all().length, 0);
   * ```
   */
  setFromResponse(url: string | URL, setCookies: string[]): boolean {
    const u = toUrl(url);
    const now = nowSeconds();
    let changed = false;
    for (const line of setCookies) {
      const c = parseSetCookie(u, line, now);
      if (c && this.#put(c, now)) changed = true;
    }
    return changed;
  }

  /**
   * The `Cookie` header for a request to `url`, or undefined when no cookie applies. Longer
   * paths come first, then older cookies (RFC 6265 5.4).
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar([{ name: "a", value: "1", domain: "", hostOnly: true, path: "/",
   *   secure: false, httpOnly: false }]);
   * assert.equal(jar.header("http://any.host/x"), "a=1");
   * assert.equal(jar.header("http://any.host/x", { omit: "a" }), undefined);
   * ```
   *
   * @param url the request URL
   * @param options `omit`: leave the cookies of that name out (e.g. one whose value the request
   *   already carries in another header)
   */
  header(url: string | URL, options?: { omit?: string }): string | undefined {
    // Every request asks, and the answer changes only when the jar does or a cookie expires:
    // remembered per URL until then (the lookup below costs more than the request's own work).
    const omit = options?.omit;
    const href = typeof url === "string" ? url : url.href;
    const key = omit === undefined ? href : `${omit}\n${href}`;
    const now = nowSeconds();
    if (now >= this.#cacheUntil) this.#renew(now);
    if (this.#cache.has(key)) return this.#cache.get(key);
    const value = this.#header(toUrl(url), now, omit);
    if (this.#cache.size >= HEADER_CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, value);
    return value;
  }

  /**
   * A number that changes whenever what the jar would send or list may have changed (a cookie
   * stored, deleted or expired): lets a caller remember what it derived from the jar.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * const before = jar.version();
   * jar.setFromResponse("http://h/", ["a=1"]);
   * assert.notEqual(jar.version(), before);
   * ```
   */
  version(): number {
    const now = nowSeconds();
    if (now >= this.#cacheUntil) this.#renew(now);
    return this.#version;
  }

  #header(u: URL, now: number, omit: string | undefined): string | undefined {
    const list = this.#cookies
      .filter((c) => c.name !== omit && !expired(c, now) && matches(c, u))
      .map((c, i) => ({ c, i }))
      .sort((a, b) => b.c.path.length - a.c.path.length || a.i - b.i)
      .map(({ c }) => (c.name ? `${c.name}=${c.value}` : c.value));
    return list.length ? list.join("; ") : undefined;
  }

  /**
   * The first unexpired cookie named `name` (one that would be sent to `url` when given).
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * jar.setFromResponse("https://127.0.0.1:6060/", ["t=abc; Path=/; Secure"]);
   * assert.equal(jar.get("t")?.value, "abc");
   * assert.equal(jar.get("t", "https://127.0.0.2:6060/"), undefined);
   * ```
   */
  get(name: string, url?: string | URL): Cookie | undefined {
    // Asked for the token and the CSRF cookie on every request: remembered like `header()`.
    const key = `${name}\n${url === undefined ? "" : typeof url === "string" ? url : url.href}`;
    const now = nowSeconds();
    if (now >= this.#cacheUntil) this.#renew(now);
    let c = this.#found.get(key);
    if (c === undefined && !this.#found.has(key)) {
      const u = url === undefined ? undefined : toUrl(url);
      c = this.#cookies.find((c) =>
        c.name === name && !expired(c, now) && (u === undefined || matches(c, u))
      );
      if (this.#found.size >= HEADER_CACHE_MAX) this.#found.clear();
      this.#found.set(key, c);
    }
    return c && { ...c };
  }

  /**
   * Stores a cookie, replacing the one with the same name, domain and path. An already expired
   * cookie removes that one instead.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * jar.set({ name: "a", value: "1", domain: "127.0.0.1", hostOnly: true, path: "/",
   *   secure: false, httpOnly: false, expires: Math.floor(Date.now() / 1000) + 60 });
   * assert.equal(jar.header("http://127.0.0.1/"), "a=1");
   * ```
   */
  set(cookie: Cookie): void {
    this.#put(normalize(cookie), nowSeconds());
  }

  /**
   * Removes every cookie named `name` (of those, only the ones `where` accepts, when given);
   * true when there was one.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * jar.setFromResponse("http://h/", ["a=1", "b=2"]);
   * assert.equal(jar.delete("a"), true);
   * assert.equal(jar.delete("a"), false);
   * assert.equal(jar.header("http://h/"), "b=2");
   * ```
   */
  delete(name: string, where?: (c: Cookie) => boolean): boolean {
    this.#forget();
    const before = this.#cookies.length;
    this.#cookies = this.#cookies.filter((c) => c.name !== name || (where && !where(c)));
    return this.#cookies.length !== before;
  }

  /**
   * Removes every cookie.
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * jar.setFromResponse("http://h/", ["a=1"]);
   * jar.clear();
   * assert.deepEqual(jar.all(), []);
   * ```
   */
  clear(): void {
    this.#forget();
    this.#cookies = [];
  }

  /**
   * Copies of every unexpired cookie, oldest first (what a cookie file should hold).
   *
   * @example
   * ```ts
   * import { CookieJar } from "./jar.ts";
   * import assert from "node:assert/strict";
   * const jar = new CookieJar();
   * jar.setFromResponse("http://127.0.0.1/", ["a=1; Path=/"]);
   * assert.equal(jar.all()[0].domain, "127.0.0.1");
   * ```
   */
  all(): Cookie[] {
    const now = nowSeconds();
    return this.#cookies.filter((c) => !expired(c, now)).map((c) => ({ ...c }));
  }

  /** Drops the remembered headers (the jar changed). */
  #forget(): void {
    this.#version++;
    this.#cache.clear();
    this.#found.clear();
    this.#cacheUntil = -Infinity;
  }

  /** Starts a new set of remembered headers, valid until the next cookie expires. */
  #renew(now: number): void {
    this.#version++;
    this.#cache.clear();
    this.#found.clear();
    // Expired cookies are never sent nor listed: dropping them keeps the next expiry ahead.
    this.#cookies = this.#cookies.filter((c) => !expired(c, now));
    let until = Infinity;
    for (const c of this.#cookies) {
      if (c.expires !== undefined && c.expires < until) until = c.expires;
    }
    this.#cacheUntil = until;
  }

  /** Stores or (when expired) deletes; true when the jar changed. */
  #put(c: Cookie, now: number): boolean {
    this.#forget();
    const i = this.#cookies.findIndex((o) => sameIdentity(o, c));
    if (expired(c, now)) {
      if (i < 0) return false;
      this.#cookies.splice(i, 1);
      return true;
    }
    if (i < 0) {
      this.#cookies.push({ ...c });
      return true;
    }
    const old = this.#cookies[i];
    const same = old.value === c.value && old.hostOnly === c.hostOnly && old.secure === c.secure &&
      old.httpOnly === c.httpOnly && old.expires === c.expires;
    // Replaced in place: RFC 6265 keeps the creation time of the cookie it replaces.
    this.#cookies[i] = { ...c };
    return !same;
  }
}

function normalize(c: Cookie): Cookie {
  const domain = c.domain.toLowerCase().replace(/^\./, "").replace(/^\[(.*)\]$/, "$1");
  return {
    name: c.name,
    value: c.value,
    domain,
    hostOnly: c.hostOnly,
    path: c.path || "/",
    secure: c.secure,
    httpOnly: c.httpOnly,
    expires: c.expires,
  };
}
