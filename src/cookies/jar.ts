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

/** One cookie, as the jar and the Mozilla `cookies.txt` file hold it. */
export interface Cookie {
  /** Cookie name. */
  name: string;
  /** Cookie value (kept as sent, no decoding). */
  value: string;
  /** Lower-case host or domain, without a leading dot; `""` matches any host. */
  domain: string;
  /** True: sent to exactly `domain`; false: also to its subdomains. */
  hostOnly: boolean;
  /** Path prefix the cookie is sent to (`/` for all). */
  path: string;
  /** Sent over https only. */
  secure: boolean;
  /** Set by the server with `HttpOnly` (kept for the cookie file; no meaning to a client). */
  httpOnly: boolean;
  /** Expiry in unix seconds; `undefined` for a session cookie. */
  expires?: number;
}

const nowSeconds = (): number => Date.now() / 1000;

/** Latest expiry we store (year 9999), so that a huge `Max-Age` stays a finite number. */
const MAX_EXPIRES = 253_402_300_799;

/** The most `Cookie` headers a jar remembers (one per request URL: paths name apps). */
const HEADER_CACHE_MAX = 256;

function toUrl(url: string | URL): URL {
  return typeof url === "string" ? new URL(url) : url;
}

/** The request host as cookies see it: lower case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
}

function isIp(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** RFC 6265 5.1.3; an IP address matches only itself. */
function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true;
  return !isIp(host) && host.endsWith(`.${domain}`);
}

/** RFC 6265 5.1.4. */
function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** RFC 6265 5.1.4 default-path. */
function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith("/")) return "/";
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function expired(c: Cookie, now: number): boolean {
  return c.expires !== undefined && c.expires <= now;
}

/** True when the cookie would be sent to `url` (ignoring expiry). */
function matches(c: Cookie, url: URL): boolean {
  const host = hostOf(url);
  if (c.domain !== "") {
    if (c.hostOnly ? host !== c.domain : !domainMatch(host, c.domain)) return false;
  }
  if (!pathMatch(url.pathname || "/", c.path)) return false;
  return !c.secure || url.protocol === "https:" || url.protocol === "wss:";
}

function sameIdentity(a: Cookie, b: Cookie): boolean {
  return a.name === b.name && a.domain === b.domain && a.path === b.path;
}

/**
 * Parses one `Set-Cookie` header (RFC 6265 5.2, 5.3) received from `url`. Returns the cookie
 * (already expired when it asks for deletion), or undefined when the header must be ignored
 * (no `name=`, or a `Domain` the host does not belong to).
 *
 * @param url the URL the response came from
 * @param header one `Set-Cookie` value
 * @param now the current time in unix seconds (for `Max-Age`)
 *
 * @example
 * ```ts
 * import { parseSetCookie } from "./jar.ts";
 * import assert from "node:assert/strict";
 * const c = parseSetCookie("https://127.0.0.1:6060/appmesh/login", "t=v; Max-Age=60; Secure", 1000);
 * assert.deepEqual(c, { name: "t", value: "v", domain: "127.0.0.1", hostOnly: true,
 *   path: "/appmesh", secure: true, httpOnly: false, expires: 1060 });
 * ```
 */
export function parseSetCookie(
  url: string | URL,
  header: string,
  now: number = nowSeconds(),
): Cookie | undefined {
  const u = toUrl(url);
  const [pair, ...attrs] = header.split(";");
  const eq = pair.indexOf("=");
  if (eq < 0) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (!name) return undefined;
  let maxAge: number | undefined;
  let expires: number | undefined;
  let domain: string | undefined;
  let path: string | undefined;
  let secure = false;
  let httpOnly = false;
  for (const attr of attrs) {
    const i = attr.indexOf("=");
    const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
    const val = i < 0 ? "" : attr.slice(i + 1).trim();
    switch (key) {
      case "max-age":
        if (/^-?\d+$/.test(val)) maxAge = Number(val);
        break;
      case "expires": {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = Math.floor(t / 1000);
        break;
      }
      case "domain":
        if (val) domain = val.replace(/^\./, "").toLowerCase();
        break;
      case "path":
        path = val.startsWith("/") ? val : undefined;
        break;
      case "secure":
        secure = true;
        break;
      case "httponly":
        httpOnly = true;
        break;
    }
  }
  const host = hostOf(u);
  let hostOnly = true;
  if (domain !== undefined && domain !== host) {
    if (!domainMatch(host, domain)) return undefined; // another site's cookie: ignored
    hostOnly = false;
  }
  // Max-Age wins over Expires (RFC 6265 5.3 step 3).
  let at: number | undefined = expires;
  if (maxAge !== undefined) at = maxAge <= 0 ? 0 : Math.floor(now) + maxAge;
  if (at !== undefined) at = Math.min(at, MAX_EXPIRES);
  return {
    name,
    value,
    domain: hostOnly ? host : domain!,
    hostOnly,
    path: path ?? defaultPath(u),
    secure,
    httpOnly,
    expires: at,
  };
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
   * ```
   */
  header(url: string | URL): string | undefined {
    // Every request asks, and the answer changes only when the jar does or a cookie expires:
    // remembered per URL until then (the lookup below costs more than the request's own work).
    const key = typeof url === "string" ? url : url.href;
    const now = nowSeconds();
    if (now >= this.#cacheUntil) this.#renew(now);
    if (this.#cache.has(key)) return this.#cache.get(key);
    const value = this.#header(toUrl(url), now);
    if (this.#cache.size >= HEADER_CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, value);
    return value;
  }

  #header(u: URL, now: number): string | undefined {
    const list = this.#cookies
      .filter((c) => !expired(c, now) && matches(c, u))
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
   * Removes every cookie named `name`; true when there was one.
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
  delete(name: string): boolean {
    this.#forget();
    const before = this.#cookies.length;
    this.#cookies = this.#cookies.filter((c) => c.name !== name);
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
    this.#cache.clear();
    this.#found.clear();
    this.#cacheUntil = -Infinity;
  }

  /** Starts a new set of remembered headers, valid until the next cookie expires. */
  #renew(now: number): void {
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
