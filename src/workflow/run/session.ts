/**
 * The run's one session over the client and its cookie file: `login` reuses a token the
 * cookie file already holds (renewing it when close to expiry), and a 401 in the middle of a
 * run re-reads the cookie file once, then logs in again once when credentials are known.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import type { LoginOutcome as ClientLoginOutcome } from "../../client/types.ts";
import { type ReuseDecision, reuseDecision } from "../../client/session.ts";
import type { SessionControl } from "../language/spec.ts";
import type { Masker } from "./secrets.ts";

/** How the run's session was obtained (the client's `loginIfNeeded` outcomes). */
export type LoginOutcome = ClientLoginOutcome;

/** Options of `SessionControl.login`. */
export type LoginOptions = Parameters<SessionControl["login"]>[0];

/**
 * The session of one run. `login` and `logout` are the session steps' actions; `recover` is
 * what the engine calls on a 401.
 *
 * @example
 * ```ts ignore
 * import { AppMeshClient } from "../../client/client.ts";
 * import { RunSession } from "./session.ts";
 * import { Masker } from "./secrets.ts";
 * const client = new AppMeshClient({ cookieFile: "cookies.txt" });
 * const session = new RunSession(client, new Masker());
 * await session.login({ user: "admin", password: "admin123" }); // "performed" | "reused" | "renewed"
 * ```
 */
export class RunSession implements SessionControl {
  readonly #client: AppMeshClient;
  readonly #masker: Masker;
  #outcome: LoginOutcome | undefined;
  #credentials: LoginOptions | undefined;
  #recovering: Promise<boolean> | undefined;
  #relogins = 0;

  /** A session over `client`; every token and credential seen is registered with `masker`. */
  constructor(client: AppMeshClient, masker: Masker) {
    this.#client = client;
    this.#masker = masker;
  }

  /**
   * How the session was obtained: by a login step, or `reused` when the run had no login step
   * and worked on the token the cookie file held (`appmesh login` once, then cron); `none`
   * when no session was used.
   */
  get outcome(): LoginOutcome | "none" {
    return this.#outcome ?? (this.#client.token ? "reused" : "none");
  }

  /** Whether a re-login is possible (a login step gave credentials). */
  get canRelogin(): boolean {
    return this.#credentials?.password !== undefined;
  }

  /** See {@linkcode SessionControl.login}. */
  async login(options: LoginOptions): Promise<LoginOutcome> {
    const m = this.#masker;
    m.add(options.password);
    m.add(options.totpCode);
    m.add(options.totpSecret);
    this.#credentials = options;
    const client = this.#client;
    await client.ready();
    this.#watchToken();
    if (!options.force) {
      const reuse = this.#reusable(options);
      if (reuse === "reuse") return this.#done("reused");
      if (reuse === "renew") {
        try {
          await client.renewToken({ expire: options.expire });
          this.#watchToken();
          // renewToken adopts a newer token another process wrote; either way it is fresh.
          return this.#done("renewed");
        } catch (e) {
          // A revoked or expired token: fall through to a real login.
          if (!isAuthFailure(e)) throw e;
        }
      }
    }
    await this.#performLogin(options);
    return this.#done("performed");
  }

  /** See {@linkcode SessionControl.logout}. */
  async logout(): Promise<boolean> {
    await this.#client.ready();
    this.#watchToken();
    if (!this.#client.token) return false;
    return await this.#client.logout();
  }

  /**
   * After a 401: re-read the cookie file (another process may have renewed the token), else
   * log in again once with the login step's credentials. Resolves to whether the request is
   * worth repeating. `tokenBefore` is the token the failed request used: when the session
   * changed since, repeating is enough. Concurrent callers share one recovery.
   */
  recover(tokenBefore: string | undefined): Promise<boolean> {
    // Another token since: repeating is enough. No token at all (another process logged off
    // and the client followed the cookie file) is no new session: log in again.
    const now = this.#client.token;
    if (now !== undefined && now !== tokenBefore) return Promise.resolve(true);
    if (this.#recovering) return this.#recovering;
    this.#recovering = (async () => {
      try {
        if (await this.#client.reloadSession()) {
          this.#watchToken();
          if (this.#client.token && this.#client.token !== tokenBefore) return true;
        }
      } catch {
        // An unreadable cookie file: try the credentials.
      }
      if (!this.#credentials?.password || this.#relogins >= 1) return false;
      this.#relogins++;
      await this.#performLogin(this.#credentials);
      this.#outcome = "performed";
      return true;
    })().finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  #done(outcome: LoginOutcome): LoginOutcome {
    // The first login of the run decides what the report says.
    this.#outcome ??= outcome;
    if (this.#outcome !== "performed" && outcome === "performed") this.#outcome = outcome;
    return outcome;
  }

  #watchToken(): void {
    this.#masker.add(this.#client.token);
  }

  /** Decides from the held token alone (no request): the client's own rule. */
  #reusable(options: LoginOptions): ReuseDecision {
    return reuseDecision(this.#client.token, {
      user: options.user,
      audience: options.audience,
      expire: options.expire,
    });
  }

  async #performLogin(options: LoginOptions): Promise<void> {
    if (options.password === undefined) {
      throw new SessionError(
        `no valid token for user ${options.user} in the cookie file and no password to log in`,
      );
    }
    let code = options.totpCode;
    if (code === undefined && options.totpSecret !== undefined) {
      code = await totpNow(options.totpSecret);
      this.#masker.add(code);
    }
    const challenge = await this.#client.login(options.user, options.password, {
      totpCode: code,
      expire: options.expire,
      audience: options.audience,
    });
    this.#watchToken();
    if (challenge !== undefined) {
      throw new SessionError(
        `user ${options.user} has two-factor authentication: give totp_code or totp_secret`,
      );
    }
  }
}

/** A session that cannot be obtained (refused credentials are the client's auth errors). */
export class SessionError extends Error {
  /**
   * Creates the error.
   * @param message why (never a credential)
   */
  constructor(message: string) {
    super(message);
    this.name = "SessionError";
  }
}

function isAuthFailure(e: unknown): boolean {
  const err = e as { name?: string; status?: number } | null;
  return err?.name === "AppMeshAuthError" || err?.status === 401 || err?.status === 403;
}

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s, as App Mesh uses) of a base32 secret. */
export async function totpNow(secret: string): Promise<string> {
  const { TOTP, Secret } = await import("otpauth");
  const totp = new TOTP({
    secret: Secret.fromBase32(secret.replace(/\s+/g, "").toUpperCase()),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  return totp.generate();
}
