/**
 * The session of a client and of every `forNode` view of it: the cookie jar (which holds the
 * access token, the CSRF cookie of older daemons and the refresh token), the cookie file, and
 * the auto-refresh timer.
 *
 * The cookie file code is loaded with `await import()` on first use, so that importing the
 * client never touches a file system API.
 *
 * @module
 */
import { type Cookie, CookieJar } from "../cookies/jar.ts";
import { belongsToHost } from "../cookies/rules.ts";
import type { SyncCookieWriter } from "../cookies/file.ts";
import { AppMeshAuthError } from "./errors.ts";
import { jwtClaims, jwtTimes } from "./jwt.ts";
import type { Logger } from "./types.ts";
import { unrefTimer } from "../runtime/timers.ts";

/** Cookie holding the access token (the daemon's name). */
export const TOKEN_COOKIE = "appmesh_auth_token";
/** CSRF cookie of older daemons, echoed as `X-CSRF-Token`. */
export const CSRF_COOKIE = "appmesh_csrf_token";
/** Our cookie for the refresh token, so that it survives in the cookie file. */
export const REFRESH_COOKIE = "appmesh_refresh_token";

/** A token with less than this left is never reused, whatever `expire` says. */
const MIN_REUSE_SECONDS = 60;
/** The default token lifetime asked for at login (P1W). */
const DEFAULT_EXPIRE_SECONDS = 7 * 24 * 3600;

/** What to do with the token held before logging in as `user`. */
export type ReuseDecision = "reuse" | "renew" | "login";

/**
 * Decides from the held token alone (no request) whether a login as `user` is needed: a token
 * of another user (or another audience) or one about to expire means log in; one past half of
 * the lifetime asked for (`expire`, in seconds) is renewed; otherwise it is reused. Shared by
 * `client.loginIfNeeded` and the workflow runner's `login` step.
 *
 * @example
 * ```ts
 * import { reuseDecision } from "./session.ts";
 * reuseDecision(undefined, { user: "admin" }); // "login"
 * ```
 */
export function reuseDecision(
  token: string | undefined,
  want: { user: string; audience?: string; expire?: number },
): ReuseDecision {
  const { exp } = jwtTimes(token);
  if (!token || exp === undefined) return "login";
  const claims = jwtClaims(token);
  if (claims) {
    const who = claims.sub ?? claims.name ?? claims.user;
    if (typeof who === "string" && who !== want.user) return "login";
    if (want.audience !== undefined && claims.aud !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(want.audience)) return "login";
    }
  }
  const left = exp - Date.now() / 1000;
  if (left <= 5) return "login";
  const wanted = want.expire ?? DEFAULT_EXPIRE_SECONDS;
  if (left >= Math.max(MIN_REUSE_SECONDS, wanted / 2)) return "reuse";
  return "renew";
}

/** How the session renews its token (the root client's `renewToken`). */
export type Renewer = () => Promise<void>;

/** Options of a session. */
export interface SessionOptions {
  /** The client's base URL (cookie domain). */
  baseUrl: string;
  /** The cookie file, if any. */
  cookieFile?: string;
  /** A token to start with (wins over the cookie file's). */
  token?: string;
  /** Run the auto-refresh timer. */
  autoRefresh?: boolean;
  /** Where to report. */
  logger?: Logger;
}

const POLL_SECONDS = 300;

/**
 * When `fraction` of a token's lifetime (from `iat`, else now, to `exp`) has passed, in unix
 * seconds; undefined for a token without `exp`.
 */
function renewalPoint(token: string | undefined, fraction: number): number | undefined {
  const { iat, exp } = jwtTimes(token);
  if (exp === undefined) return undefined;
  const start = iat ?? Date.now() / 1000;
  return start + Math.max(1, exp - start) * fraction;
}

/** Token state shared by a client and its views. */
export class Session {
  /** The cookies. */
  readonly jar: CookieJar = new CookieJar();
  /** The cookie file, if any. */
  readonly cookieFile: string | undefined;
  readonly #url: URL;
  readonly #logger: Logger;
  #initialToken: string | undefined;
  #loading: Promise<void> | undefined;
  #autoRefresh: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | undefined;
  #failures = 0;
  #lockDepth = 0;
  #closed = false;
  #writeNow: SyncCookieWriter | undefined;
  /** The cookie file's content while this session holds its lock (others' cookies kept). */
  #lockedFile: readonly Cookie[] | undefined;
  /** Set by the client: performs one renewal. */
  renewer: Renewer | undefined;

  /** @param options see {@linkcode SessionOptions} */
  constructor(options: SessionOptions) {
    this.#url = new URL(options.baseUrl);
    this.cookieFile = options.cookieFile;
    this.#logger = options.logger ?? {};
    this.#autoRefresh = options.autoRefresh ?? false;
    this.#initialToken = options.token;
    if (options.token) this.#store(options.token);
  }

  /** Loads the cookie file once (and applies the constructor's token on top). */
  load(): Promise<void> {
    this.#loading ??= (async () => {
      if (this.cookieFile) {
        const { cookieFileWriter, readCookieFile } = await import("../cookies/file.ts");
        this.#writeNow = await cookieFileWriter();
        const read = await readCookieFile(this.cookieFile);
        if (read.warning) this.#logger.warn?.(read.warning);
        this.replaceCookies(read.cookies);
        if (this.#initialToken) {
          this.#store(this.#initialToken);
          await this.persist();
        }
      }
      this.#initialToken = undefined;
      this.scheduleRefresh();
    })().catch((e) => {
      this.#loading = undefined;
      throw e;
    });
    return this.#loading;
  }

  /** The access token, if one is held and not expired. */
  get token(): string | undefined {
    // Another host's token is never this session's (one cookie file serves several servers).
    const c = this.jar.get(TOKEN_COOKIE, this.#url) ?? this.#ownCookie(TOKEN_COOKIE);
    return c?.value || undefined;
  }

  /** This host's cookie of that name whatever its path or `Secure` (none of another host). */
  #ownCookie(name: string): Cookie | undefined {
    const first = this.jar.get(name);
    if (!first || this.#own(first)) return first;
    return this.jar.all().find((c) => c.name === name && this.#own(c));
  }

  /** Whether a cookie is this session's to replace (its host's, not another server's). */
  #own = (c: Cookie): boolean => belongsToHost(c, this.#url);

  /**
   * What the cookie file should hold: the other hosts' cookies as the file has them now (other
   * sessions may have changed them), and this host's as the jar has them.
   */
  #merged(current: readonly Cookie[]): Cookie[] {
    return [...current.filter((c) => !this.#own(c)), ...this.jar.all().filter(this.#own)];
  }

  /** The refresh token, if one is held. */
  get refreshToken(): string | undefined {
    return this.#ownCookie(REFRESH_COOKIE)?.value || undefined;
  }

  /** The CSRF cookie of older daemons, if held. */
  get csrfToken(): string | undefined {
    return this.jar.get(CSRF_COOKIE, this.#url)?.value || undefined;
  }

  #cookie(name: string, value: string, expires: number | undefined, path = "/"): Cookie {
    return {
      name,
      value,
      domain: this.#url.hostname,
      hostOnly: true,
      path,
      secure: this.#url.protocol === "https:",
      httpOnly: true,
      expires,
    };
  }

  /** Replaces the token cookie(s) by one canonical cookie (curl and Python read it). */
  #store(token: string): void {
    this.jar.delete(TOKEN_COOKIE, this.#own); // every one of this host (any path)
    this.jar.set(this.#cookie(TOKEN_COOKIE, token, jwtTimes(token).exp));
  }

  /**
   * Adopts a new token (and refresh token: a string rotates it, `null` drops it), persists it
   * and reschedules the refresh.
   */
  async setToken(token: string, refresh?: string | null): Promise<void> {
    this.#store(token);
    if (refresh === null) {
      this.jar.delete(REFRESH_COOKIE, this.#own);
    } else if (refresh) {
      this.jar.delete(REFRESH_COOKIE, this.#own);
      // Path-restricted: sent as a cookie only to the renew endpoint, never elsewhere.
      this.jar.set(this.#cookie(REFRESH_COOKIE, refresh, jwtTimes(refresh).exp, "/appmesh/token"));
    }
    this.#failures = 0;
    await this.changed();
  }

  /** Forgets the token, the refresh token and the CSRF cookie; persists. */
  async clear(): Promise<void> {
    for (const name of [TOKEN_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) {
      this.jar.delete(name, this.#own);
    }
    this.stopRefresh();
    await this.changed();
  }

  /** Drops the refresh token only (the server rejected it). */
  async dropRefreshToken(): Promise<void> {
    if (this.jar.delete(REFRESH_COOKIE, this.#own)) await this.changed();
  }

  /**
   * Reads the `Set-Cookie` headers of a response. Returns the new token when the response set
   * one, `null` when it deleted it, undefined when it did not touch it.
   */
  absorb(url: URL, setCookies: string[]): string | null | undefined {
    if (!setCookies.length) return undefined;
    let token: string | null | undefined;
    for (const line of setCookies) {
      const m = /^\s*appmesh_auth_token=([^;]*)/.exec(line);
      if (!m) continue;
      const deleted = !m[1] || /;\s*max-age=(0|-\d+)\s*(;|$)/i.test(line);
      token = deleted ? null : m[1].trim();
    }
    this.jar.setFromResponse(url, setCookies.filter((l) => !/^\s*appmesh_auth_token=/.test(l)));
    if (token) this.#store(token);
    else if (token === null) this.jar.delete(TOKEN_COOKIE, this.#own);
    return token;
  }

  /**
   * After a token change: write the cookie file. A renewal holds the file's lock: the server
   * has just revoked the old token, so the new one goes to the file at once, synchronously,
   * before anything else runs (a process killed from here on leaves a working token); the
   * locked write at the end of the renewal makes it durable.
   */
  async changed(): Promise<void> {
    if (this.cookieFile && this.#lockDepth > 0 && this.#writeNow) {
      try {
        this.#writeNow(this.cookieFile, this.#merged(this.#lockedFile ?? this.jar.all()));
      } catch {
        // the locked write that follows reports what is wrong with the file
      }
    }
    if (this.#autoRefresh) this.scheduleRefresh();
    if (this.cookieFile && this.#lockDepth === 0) await this.persist();
  }

  /** Writes the jar to the cookie file under its lock. */
  async persist(): Promise<void> {
    if (!this.cookieFile) return;
    const { updateCookieFile } = await import("../cookies/file.ts");
    await updateCookieFile(this.cookieFile, (current) => this.#merged(current));
  }

  /** Replaces every cookie by these. */
  replaceCookies(cookies: Iterable<Cookie>): void {
    this.jar.clear();
    for (const c of cookies) this.jar.set(c);
  }

  /** True while a renewal holds the cookie file's lock. */
  get locked(): boolean {
    return this.#lockDepth > 0;
  }

  /**
   * Re-reads the cookie file (under its lock); true when it holds another token. A file whose
   * token is gone (another process logged off) is no new token: false, and the jar follows
   * the file.
   */
  async reload(): Promise<boolean> {
    if (!this.cookieFile) return false;
    await this.load();
    const before = this.token;
    const file = this.cookieFile;
    // No file yet (never logged in): nothing newer to adopt, and no lock to take in a folder
    // that may not exist (the answer stays the server's 401, not an ENOENT of the lock file).
    const { exists } = await import("../runtime/fs.ts");
    if (!await exists(file)) return false;
    const { readCookieFile } = await import("../cookies/file.ts");
    const { withFileLock } = await import("../runtime/lock.ts");
    // Under the lock: a renewal running in another process finishes before we read.
    const read = this.#lockDepth > 0
      ? await readCookieFile(file)
      : await withFileLock(file, () => readCookieFile(file));
    this.replaceCookies(read.cookies);
    const changed = this.token !== undefined && this.token !== before;
    if (changed && this.#autoRefresh) this.scheduleRefresh();
    return changed;
  }

  /**
   * Runs `fn` holding the cookie file's lock, with the file's current cookies; the jar is
   * written back afterwards. Without a cookie file, just runs `fn([])`.
   */
  async underFileLock(fn: (current: Cookie[]) => Promise<void>): Promise<void> {
    if (!this.cookieFile) return await fn([]);
    const { updateCookieFile } = await import("../cookies/file.ts");
    await updateCookieFile(this.cookieFile, async (current: Cookie[]) => {
      this.#lockedFile = current;
      this.#lockDepth++;
      try {
        await fn(current);
      } finally {
        this.#lockDepth--;
        if (this.#lockDepth === 0) this.#lockedFile = undefined;
      }
      return this.#merged(current);
    });
  }

  /** One renewal at a time: concurrent callers share the running one. */
  renewOnce(run: () => Promise<void>): Promise<void> {
    if (this.#renewing) return this.#renewing;
    this.#renewing = run().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  /** Seconds until the next refresh attempt, or undefined when there is nothing to renew. */
  #delay(): number | undefined {
    const token = this.token;
    if (!token && !this.refreshToken) return undefined;
    // Renew at ~60% of the lifetime, with a little jitter so that processes sharing a file spread.
    const at = renewalPoint(token, 0.6 + Math.random() * 0.05);
    if (at === undefined) return POLL_SECONDS;
    return Math.min(POLL_SECONDS, Math.max(at - Date.now() / 1000, 0.5));
  }

  #due(): boolean {
    const at = renewalPoint(this.token, 0.6);
    if (at === undefined) return !this.token && !!this.refreshToken;
    return Date.now() / 1000 >= at;
  }

  /** (Re)arms the refresh timer; it never keeps the process alive. */
  scheduleRefresh(delaySeconds?: number): void {
    if (!this.#autoRefresh || this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const delay = delaySeconds ?? this.#delay();
    if (delay === undefined) return;
    this.#timer = setTimeout(() => this.#tick(), Math.round(delay * 1000));
    unrefTimer(this.#timer);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (!this.#due()) return this.scheduleRefresh();
    try {
      await this.renewer?.();
      this.#failures = 0;
      this.#logger.debug?.("token renewed");
      this.scheduleRefresh();
    } catch (e) {
      if (e instanceof AppMeshAuthError) {
        this.#logger.warn?.(`token auto-refresh stopped: ${(e as Error).message}`);
        this.stopRefresh();
        return;
      }
      this.#failures++;
      const backoff = Math.min(POLL_SECONDS, 2 ** Math.min(this.#failures, 9));
      this.#logger.warn?.(
        `token auto-refresh failed (retry in ${backoff} s): ${(e as Error)?.message ?? e}`,
      );
      this.scheduleRefresh(backoff);
    }
  }

  /** Stops the refresh timer (auto-refresh stays configured; a new token restarts it). */
  stopRefresh(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer for good. */
  close(): void {
    this.#closed = true;
    this.stopRefresh();
  }
}
