/**
 * Authentication routes of the local server, as the daemon's RestHandler answers them: Basic
 * login (`X-Set-Cookie`, `X-Expire-Seconds`, `X-Audience`, `X-Totp-Code`,
 * `X-Refresh-Token-Request`), the 428 TOTP challenge, `/appmesh/totp/*`, `/appmesh/auth`,
 * renew (with refresh-token rotation), logoff.
 *
 * @module
 */
import { decodeJwt } from "jose";
import {
  AUTH_COOKIE,
  authenticate,
  cookieValue,
  CSRF_COOKIE,
  permissionDenied,
  tokenOf,
} from "./auth.ts";
import type { NodeHandle, RequestContext, Route } from "./context.ts";
import { base64Text, HttpError, json } from "./http.ts";
import type { Identity, UserRecord } from "./identity.ts";
import {
  AUDIENCES,
  FILE_AUDIENCE,
  MAX_TOKEN_SECONDS,
  parseTokenLifetime,
  REFRESH_AUDIENCE,
  SERVICE_AUDIENCE,
} from "./jwt.ts";
/** Token + permission check in the daemon's order (RestBase::permissionCheck). */
async function permissionCheck(
  ctx: RequestContext,
  permission: string,
  audience = SERVICE_AUDIENCE,
): Promise<{ user: UserRecord; token: string }> {
  const found = await authenticate(ctx.node, ctx.req, audience);
  if (permission && !ctx.node.shared.identity.permissionsOf(found.user.name).has(permission)) {
    throw permissionDenied(found.user.name, permission);
  }
  return found;
}

function authCookie(node: NodeHandle, token: string, maxAge: number): string {
  const secure = node.shared.tls ? "; Secure" : "";
  return `${AUTH_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}` +
    (maxAge > 0 ? `; Max-Age=${maxAge}` : "");
}

function wantsCookie(req: Request): boolean {
  const v = (req.headers.get("x-set-cookie") ?? "").trim().toLowerCase();
  return v === "true" || v === "1";
}

function wantsRefresh(req: Request): boolean {
  return req.headers.get("x-refresh-token-request") === "true";
}

interface TokenBody {
  user: UserRecord;
  group: string;
  lifetime: number;
  audience?: string;
  token?: string;
  refresh?: boolean;
}

/** The daemon's token answer (createJwtResponse), keys in nlohmann::json's sorted order. */
async function tokenBody(identity: Identity, o: TokenBody): Promise<Record<string, unknown>> {
  const now = Math.floor(Date.now() / 1000);
  const tokens = identity.tokens;
  const access = o.token ??
    await tokens.issue({ user: o.user, audience: o.audience, lifetimeSeconds: o.lifetime });
  const body: Record<string, unknown> = {
    access_token: access,
    expire_time: now + o.lifetime,
    expires_in: o.lifetime,
    issued_at: now,
    profile: { auth_time: now, group: o.group, name: o.user.name },
  };
  if (o.refresh) {
    // As the daemon: the refresh token outlives the access token by 2x, at least one hour.
    const seconds = Math.min(MAX_TOKEN_SECONDS, Math.max(o.lifetime * 2, o.lifetime + 3600));
    body.refresh_token = await tokens.issue({
      user: o.user,
      audience: REFRESH_AUDIENCE,
      lifetimeSeconds: seconds,
    });
  }
  body.token_type = "Bearer";
  return body;
}

/** A 200 token answer, with the cookie(s) when `cookie` is set. */
function tokenAnswer(
  ctx: RequestContext,
  body: Record<string, unknown>,
  cookie: boolean,
  legacyCsrfCookie = false,
): Response {
  // The agent in front of a normal install marks token answers uncacheable.
  const res = json(200, body, { "Cache-Control": "no-store", Pragma: "no-cache" });
  if (cookie) {
    res.headers.append(
      "Set-Cookie",
      authCookie(ctx.node, String(body.access_token), Number(body.expires_in)),
    );
    if (legacyCsrfCookie && ctx.node.shared.legacyCsrf) {
      const secure = ctx.node.shared.tls ? "; Secure" : "";
      const csrf = Array.from(
        crypto.getRandomValues(new Uint8Array(16)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      res.headers.append("Set-Cookie", `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict${secure}`);
    }
  }
  return res;
}

function checkAudience(audience: string): void {
  if (audience === FILE_AUDIENCE || audience === REFRESH_AUDIENCE) {
    throw new HttpError(400, "illegal audience");
  }
  if (audience && !AUDIENCES.includes(audience)) {
    throw new HttpError(400, `Audience <${audience}> verification failed`);
  }
}

async function login(ctx: RequestContext): Promise<Response> {
  const identity = ctx.node.shared.identity;
  const h = ctx.req.headers;
  const authorization = h.get("authorization") ?? "";
  if (!authorization.startsWith("Basic ")) {
    throw new HttpError(400, "unrecognized authorization type");
  }
  let decoded = "";
  try {
    decoded = base64Text(authorization.slice(6).trim());
  } catch { /* not base64: no user name, so "user not found" below */ }
  const colon = decoded.indexOf(":");
  const name = colon >= 0 ? decoded.slice(0, colon) : "";
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  const totp = h.get("x-totp-code") ?? "";
  const audience = h.get("x-audience") ?? "";
  const lifetime = parseTokenLifetime(h.get("x-expire-seconds"));
  checkAudience(audience);
  const user = identity.user(name); // unknown user: 404 "user not found", as the daemon
  if (!await identity.verifyPassword(name, password)) {
    throw new HttpError(401, "Authentication failed");
  }
  const answer = async () =>
    tokenAnswer(
      ctx,
      await tokenBody(identity, {
        user,
        group: user.group,
        lifetime,
        audience: audience || undefined,
        refresh: wantsRefresh(ctx.req),
      }),
      wantsCookie(ctx.req),
      true,
    );
  if (!user.mfa_enabled) return await answer();
  if (!totp) {
    const challengeSeconds = 180;
    const token = await identity.tokens.issue({
      user,
      audience: audience || undefined,
      lifetimeSeconds: lifetime,
    });
    const challenge = await identity.newChallenge(user, token, challengeSeconds);
    return json(428, {
      algorithm: "SHA1",
      digits: 6,
      expires: Math.floor(Date.now() / 1000) + challengeSeconds,
      period: 30,
      status: "TOTP_CHALLENGE_REQUIRED",
      totp_challenge: challenge,
    }, { "WWW-Authenticate": 'TOTP realm="TOTP Authentication", qop="auth"' });
  }
  try {
    identity.checkTotp(user, totp);
  } catch {
    throw new HttpError(401, "Authentication failed");
  }
  return await answer();
}

async function logoff(ctx: RequestContext): Promise<Response> {
  const identity = ctx.node.shared.identity;
  const refresh = ctx.req.headers.get("x-refresh-token") ?? "";
  let authenticated = false;
  try {
    const { token } = await authenticate(ctx.node, ctx.req);
    identity.tokens.revoke(token);
    authenticated = true;
  } catch {
    // an expired access token must not strand the refresh token: try that next
  }
  if (refresh) {
    try {
      await identity.tokens.verifyRefresh(refresh);
      identity.tokens.revoke(refresh);
      authenticated = true;
    } catch {
      // reported below when nothing authenticated the logoff
    }
  }
  if (!authenticated) {
    throw new HttpError(401, "Logoff requires a valid access token or refresh token");
  }
  const res = new Response(null, { status: 200 });
  if (cookieValue(ctx.req, AUTH_COOKIE)) {
    const secure = ctx.node.shared.tls ? "; Secure" : "";
    res.headers.append(
      "Set-Cookie",
      `${AUTH_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`,
    );
  }
  return res;
}

async function auth(ctx: RequestContext): Promise<Response> {
  const identity = ctx.node.shared.identity;
  const permission = ctx.req.headers.get("x-permission") ?? "";
  const audience = ctx.req.headers.get("x-audience") || SERVICE_AUDIENCE;
  const { user, token } = await permissionCheck(ctx, permission, audience);
  const claims = decodeJwt(token);
  const remaining = Math.max(0, (claims.exp ?? 0) - Math.floor(Date.now() / 1000));
  return tokenAnswer(
    ctx,
    await tokenBody(identity, { user, group: "", lifetime: remaining, token }),
    wantsCookie(ctx.req),
    true,
  );
}

function tokenAudience(token: string): string {
  try {
    const aud = decodeJwt(token).aud;
    const first = Array.isArray(aud) ? aud[0] : aud;
    if (first && first !== FILE_AUDIENCE && first !== REFRESH_AUDIENCE) return first;
  } catch {
    // unreadable: default audience
  }
  return SERVICE_AUDIENCE;
}

async function renew(ctx: RequestContext): Promise<Response> {
  const identity = ctx.node.shared.identity;
  const lifetime = parseTokenLifetime(ctx.req.headers.get("x-expire-seconds"));
  const refresh = ctx.req.headers.get("x-refresh-token") ?? "";
  const cookie = cookieValue(ctx.req, AUTH_COOKIE) !== "";
  if (refresh) {
    // The refresh token alone authenticates: the access token may have expired already.
    const user = await identity.tokens.verifyRefresh(refresh);
    if (!identity.permissionsOf(user.name).has("user-token-renew")) {
      throw permissionDenied(user.name, "user-token-renew");
    }
    if (!identity.tokens.revokeOnce(refresh)) {
      throw new HttpError(401, "Refresh token has been revoked");
    }
    const body = await tokenBody(identity, {
      user,
      group: user.group,
      lifetime,
      audience: tokenAudience(tokenOf(ctx.req)),
      refresh: true,
    });
    return tokenAnswer(ctx, body, cookie);
  }
  const { user, token } = await permissionCheck(ctx, "user-token-renew");
  const body = await tokenBody(identity, {
    user,
    group: user.group,
    lifetime,
    audience: tokenAudience(token),
    refresh: wantsRefresh(ctx.req),
  });
  identity.tokens.revoke(token);
  return tokenAnswer(ctx, body, cookie);
}

async function totpSecret(ctx: RequestContext): Promise<Response> {
  const { user } = await permissionCheck(ctx, "user-totp-active");
  const secret = ctx.node.shared.identity.newTotpSecret(user);
  const uri = `otpauth://totp/${user.name}?secret=${secret}&issuer=AppMesh`;
  return json(200, { mfa_uri: btoa(uri) });
}

async function totpSetup(ctx: RequestContext): Promise<Response> {
  const { user } = await permissionCheck(ctx, "user-totp-active");
  if (!user.mfa_key) throw new HttpError(400, "please generate TOTP secret first");
  ctx.node.shared.identity.checkTotp(user, ctx.req.headers.get("x-totp-code") ?? "");
  user.mfa_enabled = true;
  return await renew(ctx);
}

async function totpValidate(ctx: RequestContext): Promise<Response> {
  const identity = ctx.node.shared.identity;
  const raw = await ctx.req.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, "Invalid JSON body");
  }
  if (!body || typeof body !== "object") throw new HttpError(400, "Invalid JSON body");
  const name = typeof body.user_name === "string" ? body.user_name : "";
  const code = typeof body.totp_code === "string" ? body.totp_code : "";
  const challenge = typeof body.totp_challenge === "string" ? body.totp_challenge : "";
  const expire = Number(body.expire_seconds ?? 0);
  const lifetime = parseTokenLifetime(
    Number.isFinite(expire) && expire !== 0 ? String(Math.trunc(expire)) : "",
  );
  const user = identity.user(name);
  if (!user.mfa_enabled) {
    throw new HttpError(400, "TOTP authentication not enabled for current user");
  }
  if (!code) throw new HttpError(400, "no TOTP key provided");
  // The proof of the password login. As the daemon, a challenge stays valid until it expires:
  // using it again answers 200 with a new token.
  const stored = identity.takeChallenge(user, challenge);
  identity.checkTotp(user, code);
  const token = user.challenge?.used ? undefined : stored;
  if (user.challenge) user.challenge.used = true;
  return tokenAnswer(
    ctx,
    await tokenBody(identity, {
      user,
      group: user.group,
      lifetime,
      token,
      refresh: wantsRefresh(ctx.req),
    }),
    wantsCookie(ctx.req),
    true,
  );
}

async function totpDisable(ctx: RequestContext): Promise<Response> {
  const { user: caller } = await permissionCheck(ctx, "user-totp-disable");
  const target = ctx.params.user;
  const name = target === "self" ? caller.name : target;
  const user = ctx.node.shared.identity.user(name);
  // The daemon's check, bug included: only the target "admin" may be reset by someone else.
  if (user.name !== "admin" && target !== "self" && target !== caller.name) {
    throw new HttpError(400, "Only administrator have permission to deactive MFA for others");
  }
  user.mfa_key = "";
  user.mfa_enabled = false;
  return json(200, { message: "2FA deactive success" });
}

/** Routes of the authentication area (each checks its token itself, as the daemon). */
export const authRoutes: Route[] = [
  { method: "POST", path: "/appmesh/login", auth: false, handler: login },
  { method: "POST", path: "/appmesh/self/logoff", auth: false, handler: logoff },
  { method: "POST", path: "/appmesh/auth", auth: false, handler: auth },
  { method: "POST", path: "/appmesh/token/renew", auth: false, handler: renew },
  { method: "POST", path: "/appmesh/totp/secret", auth: false, handler: totpSecret },
  { method: "POST", path: "/appmesh/totp/setup", auth: false, handler: totpSetup },
  { method: "POST", path: "/appmesh/totp/validate", auth: false, handler: totpValidate },
  { method: "POST", path: "/appmesh/totp/:user/disable", auth: false, handler: totpDisable },
];
