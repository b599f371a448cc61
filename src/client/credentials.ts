/**
 * What a request carries from the session (the token as a bearer, the CSRF cookie's value, the
 * `Cookie` header), derived from the cookie jar once per URL and remembered until the jar
 * changes or one of its cookies expires: every request needs it, and deriving it (lookups,
 * copies, header checks over a long token) cost more than the rest of the client's work.
 *
 * @module
 */
import { type Session, TOKEN_COOKIE } from "./session.ts";

/** The session's part of a request to one URL. */
export interface RequestCredentials {
  /** The access token, if held. */
  readonly token: string | undefined;
  /** The CSRF cookie's value (older daemons), if held: sent as `X-CSRF-Token` instead. */
  readonly csrf: string | undefined;
  /** `Bearer <token>`, when a token is held. */
  readonly bearer: string | undefined;
  /** The `Cookie` header: every cookie for the URL. */
  readonly cookie: string | undefined;
  /**
   * The `Cookie` header beside our bearer: without the token cookie, whose value the
   * `Authorization` header already carries (the daemon reads the header first; sent twice, the
   * token only made every request ~350 bytes longer for both sides to handle).
   */
  readonly cookieBesideBearer: string | undefined;
  /** No value holds CR, LF or NUL (else the request path checks each header it sends). */
  readonly clean: boolean;
}

const BAD = /[\r\n\0]/;

/**
 * The session's part of each request, remembered per URL.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import { CredentialCache } from "./credentials.ts";
 *
 * const session = new Session({ baseUrl: "https://127.0.0.1:6060", token: "abc" });
 * const cache = new CredentialCache(session);
 * const c = cache.get("https://127.0.0.1:6060/appmesh/labels");
 * console.log(c.bearer, c.cookieBesideBearer); // "Bearer abc" undefined
 * session.close();
 * ```
 */
export class CredentialCache {
  readonly #session: Session;
  readonly #byUrl = new Map<string, RequestCredentials>();
  #version = NaN;

  /** @param session the session whose jar the credentials come from */
  constructor(session: Session) {
    this.#session = session;
  }

  /**
   * What a request to `url` carries from the session now.
   *
   * @param url the request URL
   */
  get(url: string): RequestCredentials {
    const version = this.#session.jar.version();
    if (version !== this.#version) {
      this.#byUrl.clear();
      this.#version = version;
    }
    // Cookies match on the path: a long-poll's changing query is the same entry.
    const q = url.indexOf("?");
    const key = q < 0 ? url : url.slice(0, q);
    let c = this.#byUrl.get(key);
    if (c === undefined) {
      c = this.#derive(key);
      if (this.#byUrl.size >= 256) this.#byUrl.clear();
      this.#byUrl.set(key, c);
    }
    return c;
  }

  #derive(url: string): RequestCredentials {
    const session = this.#session;
    const token = session.token;
    const csrf = session.csrfToken;
    const bearer = token ? `Bearer ${token}` : undefined;
    const cookie = session.jar.header(url);
    const cookieBesideBearer = session.jar.header(url, { omit: TOKEN_COOKIE });
    const values = [csrf, bearer, cookie, cookieBesideBearer];
    const clean = values.every((v) => v === undefined || !BAD.test(v));
    return { token, csrf, bearer, cookie, cookieBesideBearer, clean };
  }
}
