/**
 * Request authentication of the local server, as the daemon does it before a handler runs: the
 * token lookup (Bearer header or auth cookie), its verification, the permission-denied answer
 * and the CSRF checks the pipeline applies to every request. The authentication routes (login,
 * renew, TOTP, ...) are in `auth_routes.ts`.
 *
 * @module
 */
import type { NodeHandle } from "./context.ts";
import { HttpError } from "./http.ts";
import type { UserRecord } from "./identity.ts";
import { SERVICE_AUDIENCE } from "./jwt.ts";

/** Name of the auth cookie. */
export const AUTH_COOKIE = "appmesh_auth_token";
/** Name of the CSRF cookie of older daemons (`legacyCsrf`). */
export const CSRF_COOKIE = "appmesh_csrf_token";

/** Value of one cookie of the request, or "" (matching on the name boundary, as the daemon). */
export function cookieValue(req: Request, name: string): string {
  const header = req.headers.get("cookie");
  if (!header) return "";
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq >= 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return "";
}

/**
 * The token of a request: `Authorization` (with or without `Bearer `) first, else the auth
 * cookie (the daemon converts the cookie into an Authorization header). "" when none.
 */
export function tokenOf(req: Request): string {
  const auth = req.headers.get("authorization");
  if (auth !== null) return auth.replace(/^\s*Bearer\s+/i, "").trim();
  return cookieValue(req, AUTH_COOKIE);
}

/** Verifies the request's token; 401 `No authentication token provided` without one. */
export async function authenticate(
  node: NodeHandle,
  req: Request,
  audience = SERVICE_AUDIENCE,
): Promise<{ user: UserRecord; token: string }> {
  const token = tokenOf(req);
  if (!token) throw new HttpError(401, "No authentication token provided");
  const user = await node.shared.identity.tokens.verify(token, audience);
  return { user, token };
}

/** The daemon's permission-denied answer (400, whatever the OpenAPI file says). */
export function permissionDenied(user: string, permission: string): HttpError {
  return new HttpError(
    400,
    `Permission denied: user '${user}' lacks required permission '${permission}'`,
  );
}

/**
 * CSRF as the daemon checks it before anything else: a POST/PUT/DELETE carrying any Cookie
 * header and an Origin that is neither this host:port nor allow-listed → 403. With
 * `legacyCsrf`, cookie-authenticated writes must also echo the CSRF cookie in `X-CSRF-Token`.
 */
export function csrfViolation(
  node: NodeHandle,
  req: Request,
  allowedOrigins: readonly string[],
): HttpError | undefined {
  if (!["POST", "PUT", "DELETE"].includes(req.method)) return undefined;
  if (!req.headers.has("cookie")) return undefined;
  const origin = (req.headers.get("origin") ?? "").trim();
  if (origin && !allowedOrigins.includes(origin)) {
    const host = (req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? "").trim();
    const originHost = origin.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0];
    if (!host || originHost !== host) {
      return new HttpError(403, "CSRF validation failed: origin not allowed");
    }
  }
  if (node.shared.legacyCsrf && !req.headers.has("authorization")) {
    const cookie = cookieValue(req, AUTH_COOKIE);
    const expected = cookieValue(req, CSRF_COOKIE);
    if (cookie && (!expected || req.headers.get("x-csrf-token") !== expected)) {
      return new HttpError(403, "CSRF token validation failed");
    }
  }
  return undefined;
}
