/**
 * The local server's tokens, as the daemon's `JwtToken` does them: HS256 issue and verification
 * via `jose`, the audiences and lifetimes the daemon accepts, token revocation (logoff, refresh
 * rotation) and the per-user revocation epoch (password change).
 *
 * One `TokenAuthority` is shared by every node of a server, as the nodes of a cluster share the
 * JWT key.
 *
 * @module
 */
import { hostname } from "node:os";
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { HttpError } from "./http.ts";

/** Audience of normal access tokens. */
export const SERVICE_AUDIENCE = "appmesh-service";
/** Audience of the daemon's file-service tokens (never issued on request). */
export const FILE_AUDIENCE = "appmesh-file-service";
/** Audience of refresh tokens. */
export const REFRESH_AUDIENCE = "appmesh-refresh";
/** Audiences a client may ask for (the daemon's `REST.JWT.Audience`). */
export const AUDIENCES = [FILE_AUDIENCE, SERVICE_AUDIENCE, "your-service-api"];
/** Default token lifetime: 7 days. */
export const DEFAULT_TOKEN_SECONDS = 7 * 86_400;
/** Longest token lifetime: 30 days. */
export const MAX_TOKEN_SECONDS = 30 * 86_400;

/** Parses an `X-Expire-Seconds`-style value as the daemon does (empty/0: default; capped). */
export function parseTokenLifetime(raw: string | null | undefined): number {
  if (!raw || raw === "0") return DEFAULT_TOKEN_SECONDS;
  if (!/^\d+$/.test(raw.trim())) throw new HttpError(400, "Invalid token expire seconds");
  const n = Number(raw.trim());
  if (!(n > 0)) throw new HttpError(400, "Invalid token expire seconds");
  return Math.min(n, MAX_TOKEN_SECONDS);
}

/** What tokens need of a user. */
export interface TokenSubject {
  /** User name (the `sub` claim). */
  name: string;
  /** Role names (the `resource_access` claim). */
  roles: string[];
  /** Locked: no login, tokens refused. */
  locked: boolean;
  /** Tokens issued at or before this second are revoked (password change). */
  tokenEpoch: number;
}

/** Claims this server puts in its tokens. */
export interface TokenOptions {
  /** Subject. */
  user: TokenSubject;
  /** Audience (default `appmesh-service`). */
  audience?: string;
  /** Lifetime in seconds (before the fault cap). */
  lifetimeSeconds: number;
}

/** Options of `TokenAuthority`. */
export interface TokenAuthorityOptions<U extends TokenSubject> {
  /** HS256 key shared by all nodes. */
  key: Uint8Array;
  /** The user a token names; throws (404 `user not found`) for an unknown one. */
  lookup: (name: string) => U;
  /** Caps every issued token's lifetime (the `tokenLifetimeSeconds` fault), if set. */
  lifetimeCap?: () => number | undefined;
}

/** Issues, verifies and revokes the tokens of one server. */
export class TokenAuthority<U extends TokenSubject> {
  /** JWT issuer: the host name, as the daemon's default. */
  readonly issuer: string = hostname() || "localhost";
  readonly #key: Uint8Array;
  readonly #lookup: (name: string) => U;
  readonly #cap: () => number | undefined;
  readonly #revoked = new Map<string, number>(); // token → exp (seconds), pruned lazily

  /** A token authority over the users `lookup` finds. */
  constructor(options: TokenAuthorityOptions<U>) {
    this.#key = options.key;
    this.#lookup = options.lookup;
    this.#cap = options.lifetimeCap ?? (() => undefined);
  }

  /** Issues an HS256 token (lifetime capped by the `tokenLifetimeSeconds` fault). */
  async issue(options: TokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    // As the daemon: a token minted in the revocation's own second would look revoked.
    const iat = Math.max(now, options.user.tokenEpoch + 1);
    const cap = this.#cap();
    const life = cap !== undefined
      ? Math.min(options.lifetimeSeconds, cap)
      : options.lifetimeSeconds;
    const roles = options.user.roles;
    return await new SignJWT({
      resource_access: roles.length ? { [SERVICE_AUDIENCE]: { roles } } : null,
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(this.issuer)
      .setSubject(options.user.name)
      .setAudience(options.audience ?? SERVICE_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(now + life)
      .setJti(crypto.randomUUID())
      .sign(this.#key);
  }

  /** Revokes a token until its expiry. */
  revoke(token: string): void {
    let exp = Math.floor(Date.now() / 1000) + MAX_TOKEN_SECONDS;
    try {
      exp = Number(decodeJwt(token).exp ?? exp);
    } catch {
      // not a JWT: remembered for the longest lifetime
    }
    this.#revoked.set(token, exp);
    if (this.#revoked.size > 10_000) {
      const now = Date.now() / 1000;
      for (const [t, e] of this.#revoked) if (e < now) this.#revoked.delete(t);
    }
  }

  /** Revokes a token once: false if it already was (refresh-token rotation). */
  revokeOnce(token: string): boolean {
    if (this.#revoked.has(token)) return false;
    this.revoke(token);
    return true;
  }

  /**
   * Verifies a token as the daemon's `JwtToken::verify` does, in its order: revoked, decodable,
   * subject, user exists and is not locked, revocation epoch, signature and claims.
   */
  async verify(token: string, audience = SERVICE_AUDIENCE): Promise<U> {
    return await this.#verify(token, audience, false);
  }

  /** Verifies a refresh token (`X-Refresh-Token`). */
  async verifyRefresh(token: string): Promise<U> {
    return await this.#verify(token, REFRESH_AUDIENCE, true);
  }

  async #verify(token: string, audience: string, refresh: boolean): Promise<U> {
    if (this.#revoked.has(token)) {
      throw new HttpError(
        401,
        refresh ? "Refresh token has been revoked" : "Token has been revoked",
      );
    }
    let claims;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new HttpError(400, "invalid token supplied");
    }
    if (!refresh && audience === REFRESH_AUDIENCE) {
      throw new HttpError(401, "Refresh token is not valid for API access");
    }
    if (!claims.sub) {
      throw new HttpError(401, refresh ? "No user info in refresh token" : "No user info in token");
    }
    const user = this.#lookup(claims.sub);
    if (user.locked) throw new HttpError(401, `User <${user.name}> was locked`);
    if (user.tokenEpoch && (claims.iat ?? 0) <= user.tokenEpoch) {
      throw new HttpError(401, "Token has been revoked");
    }
    try {
      await jwtVerify(token, this.#key, {
        algorithms: ["HS256"],
        issuer: this.issuer,
        audience,
        subject: user.name,
      });
    } catch (e) {
      throw new HttpError(401, `Authentication failed: ${joseReason(e)}`);
    }
    return user;
  }
}

function joseReason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return "token expired";
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "invalid signature";
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === "aud") return "token doesn't contain the required audience";
    return "claim value does not match expected value";
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return "wrong algorithm";
  return "invalid token";
}
