/**
 * Reading a JWT's claims without verifying it: the session schedules renewals from `iat`/`exp`
 * and decides whether a held token is one of the user asked for. The server verifies tokens;
 * the client only looks.
 *
 * @module
 */

/** The claims of a JWT the session looks at. */
export interface JwtTimes {
  /** Issued at (unix seconds). */
  iat?: number;
  /** Expires at (unix seconds). */
  exp?: number;
}

/**
 * The payload of a JWT, decoded (UTF-8) without verifying it; undefined when it is not a JWT.
 *
 * @example
 * ```ts
 * import { jwtClaims } from "./jwt.ts";
 * jwtClaims(`e30.${btoa(JSON.stringify({ sub: "admin" }))}.sig`); // { sub: "admin" }
 * ```
 */
export function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const part = token?.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
    const claims = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))),
    );
    return claims && typeof claims === "object" ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads `iat`/`exp` of a JWT without verifying it; `{}` when it is not a JWT.
 *
 * @example
 * ```ts
 * import { jwtTimes } from "./jwt.ts";
 * const payload = btoa(JSON.stringify({ iat: 1, exp: 2 })).replace(/=+$/, "");
 * jwtTimes(`e30.${payload}.sig`); // { iat: 1, exp: 2 }
 * jwtTimes("not a token"); // {}
 * ```
 */
export function jwtTimes(token: string | undefined): JwtTimes {
  const claims = jwtClaims(token);
  if (!claims) return {};
  return {
    iat: typeof claims.iat === "number" ? claims.iat : undefined,
    exp: typeof claims.exp === "number" ? claims.exp : undefined,
  };
}
