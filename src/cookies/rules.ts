/**
 * The RFC 6265 rules the cookie jar applies: what a cookie is, which requests it is sent to,
 * and how a `Set-Cookie` header becomes one. Pure: safe to import statically, also in a browser.
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

/**
 * The current time in unix seconds (fractional), as cookie expiry times are compared.
 *
 * @example
 * ```ts
 * import { nowSeconds } from "./rules.ts";
 * console.log(nowSeconds() > 1.7e9); // true
 * ```
 */
export const nowSeconds = (): number => Date.now() / 1000;

/** Latest expiry we store (year 9999), so that a huge `Max-Age` stays a finite number. */
const MAX_EXPIRES = 253_402_300_799;

/**
 * A URL given as text or as an object, as an object.
 *
 * @example
 * ```ts
 * import { toUrl } from "./rules.ts";
 * console.log(toUrl("https://h/x").pathname); // "/x"
 * ```
 */
export function toUrl(url: string | URL): URL {
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

/**
 * Whether a cookie belongs to the host of `url` (its domain only: not its path or `Secure`):
 * what one client may replace in a cookie file that other hosts' sessions share. A cookie
 * without a domain (Python's `set_token`) belongs to every host.
 *
 * @example
 * ```ts
 * import { belongsToHost } from "./rules.ts";
 * const c = { name: "t", value: "v", domain: "127.0.0.1", hostOnly: true, path: "/",
 *   secure: true, httpOnly: true };
 * belongsToHost(c, new URL("https://127.0.0.1:6061/")); // true (ports share cookies)
 * belongsToHost(c, new URL("https://localhost:6060/")); // false
 * ```
 */
export function belongsToHost(c: Cookie, url: URL): boolean {
  const domain = c.domain.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (domain === "") return true;
  const host = hostOf(url);
  return c.hostOnly ? host === domain : domainMatch(host, domain);
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

/**
 * True when the cookie would be sent to `url` (ignoring expiry): host or domain, path, `Secure`.
 *
 * @example
 * ```ts
 * import { matches } from "./rules.ts";
 * const c = { name: "a", value: "1", domain: "h", hostOnly: true, path: "/x", secure: false,
 *   httpOnly: false };
 * console.log(matches(c, new URL("http://h/x/y")), matches(c, new URL("http://h/z"))); // true false
 * ```
 */
export function matches(c: Cookie, url: URL): boolean {
  const host = hostOf(url);
  if (c.domain !== "") {
    if (c.hostOnly ? host !== c.domain : !domainMatch(host, c.domain)) return false;
  }
  if (!pathMatch(url.pathname || "/", c.path)) return false;
  return !c.secure || url.protocol === "https:" || url.protocol === "wss:";
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
 * import { parseSetCookie } from "./rules.ts";
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
