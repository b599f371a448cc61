/**
 * Authentication: login (with TOTP), token renewal under the cookie file's lock, logout,
 * authenticate, set a token. The session takes the token from the JSON body of every token
 * answer, because the daemon re-sends the cookie only when the request carried it.
 *
 * @module
 */
import { durationSeconds } from "../runtime/duration.ts";
import type { Core } from "./core.ts";
import { endpointPath } from "./endpoints.ts";
import { AppMeshAuthError, AppMeshHttpError, AppMeshResponseError } from "./errors.ts";
import { httpError, readJson } from "./answers.ts";
import { base64Utf8 } from "./encode.ts";
import { jwtTimes } from "./jwt.ts";
import { reuseDecision, TOKEN_COOKIE } from "./session.ts";
import type {
  AuthenticateOptions,
  AuthResult,
  CallOptions,
  ExpireOptions,
  LoginOptions,
  LoginOutcome,
} from "./types.ts";

const ONE_WEEK = "P1W";

/** A token answer of the server. */
interface TokenBody {
  access_token?: unknown;
  refresh_token?: unknown;
  totp_challenge?: unknown;
  message?: unknown;
}

/** Adopts the token (and refresh token) of a token answer. */
async function adopt(core: Core, body: TokenBody, url: string): Promise<void> {
  if (typeof body.access_token !== "string" || !body.access_token) {
    throw new AppMeshResponseError(url, "an access_token in the JSON body", "got none");
  }
  const refresh = typeof body.refresh_token === "string" ? body.refresh_token : undefined;
  await core.session.setToken(body.access_token, refresh);
}

function seconds(expire: number | string | undefined): string {
  return String(durationSeconds(expire ?? ONE_WEEK));
}

/**
 * `X-Expire-Seconds`: always outside a browser; in a browser only when asked, since the
 * daemon's default is the same week and a cross-origin request cannot carry the header.
 */
function expireHeader(core: Core, expire: number | string | undefined): string | undefined {
  return core.browser && expire === undefined ? undefined : seconds(expire);
}

/** `X-Set-Cookie`: outside a browser by default; in a browser only when asked. */
function cookieHeader(core: Core, asked: boolean | undefined): "true" | undefined {
  return (asked ?? !core.browser) ? "true" : undefined;
}

/** `login`: Basic auth, cookie mode; a 428 is a TOTP challenge. */
export async function login(
  core: Core,
  user: string,
  password: string,
  o: LoginOptions = {},
): Promise<string | undefined> {
  await core.ready();
  // As the Python client: a login starts a new session.
  core.session.replaceCookies([]);
  // Cross-origin, X-Totp-Code cannot be sent: the code answers the 428 challenge instead.
  const totpHeader = core.browser === "cross-origin" ? undefined : o.totpCode;
  const res = await core.request({
    endpoint: "login",
    anonymous: true,
    expect: [428, 404],
    headers: {
      authorization: `Basic ${base64Utf8(`${user}:${password}`)}`,
      "x-set-cookie": cookieHeader(core, o.setCookie),
      "x-expire-seconds": expireHeader(core, o.expire),
      "x-audience": o.audience,
      "x-totp-code": totpHeader,
      "x-refresh-token-request": core.refreshTokens ? "true" : undefined,
    },
    call: { signal: o.signal },
  });
  if (res.status === 404) {
    // The daemon's answer to an unknown user: a refused login, like a wrong password.
    throw await refused(res);
  }
  const body = await readJson<TokenBody>(res, res.url);
  if (res.status === 428) {
    if (typeof body.totp_challenge !== "string") {
      throw new AppMeshResponseError(res.url, "a totp_challenge in the 428 answer", "got none");
    }
    if (!o.totpCode) return body.totp_challenge;
    await validateTotp(core, user, body.totp_challenge, o.totpCode, o);
    return undefined;
  }
  await adopt(core, body, res.url);
  return undefined;
}

async function refused(res: Response): Promise<AppMeshAuthError> {
  const url = new URL(res.url);
  const e = await httpError(res, "POST", url);
  return new AppMeshAuthError({
    status: e.status,
    method: e.method,
    path: e.path,
    url: e.url,
    serverMessage: e.serverMessage,
    body: e.body,
    code: "LOGIN_REFUSED",
  });
}

/**
 * `loginIfNeeded`: logs in only when the session held (from the cookie file) is not a valid
 * one of `user`; renews a token past half its lifetime; a token of another user, an expired
 * or nearly expired one means a real login.
 */
export async function loginIfNeeded(
  core: Core,
  user: string,
  password: string,
  o: LoginOptions = {},
): Promise<LoginOutcome> {
  await core.ready();
  const expire = durationSeconds(o.expire ?? ONE_WEEK);
  const decision = reuseDecision(core.session.token, { user, audience: o.audience, expire });
  if (decision === "reuse") return "reused";
  if (decision === "renew") {
    try {
      await renewToken(core, { expire: o.expire, signal: o.signal });
      return "renewed";
    } catch (e) {
      // A revoked or expired token: log in instead.
      if (!(e instanceof AppMeshAuthError)) throw e;
    }
  }
  const challenge = await login(core, user, password, o);
  if (challenge !== undefined) {
    const path = endpointPath("login");
    const url = `${core.baseUrl}${path}`;
    throw new AppMeshAuthError({
      status: 428,
      method: "POST",
      path,
      url,
      serverMessage: `user ${user} has two-factor authentication: pass totpCode`,
      code: "TOTP_REQUIRED",
    });
  }
  return "performed";
}

/** `validateTotp`: answers a login's TOTP challenge. */
export async function validateTotp(
  core: Core,
  user: string,
  challenge: string,
  code: string,
  o: ExpireOptions & { setCookie?: boolean } = {},
): Promise<void> {
  const res = await core.request({
    endpoint: "validateTotp",
    anonymous: true,
    headers: {
      "x-set-cookie": cookieHeader(core, o.setCookie),
      "x-refresh-token-request": core.refreshTokens ? "true" : undefined,
    },
    json: {
      user_name: user,
      totp_code: code,
      totp_challenge: challenge,
      expire_seconds: Number(seconds(o.expire)),
    },
    call: { signal: o.signal },
  });
  await adopt(core, await readJson<TokenBody>(res, res.url), res.url);
}

/** `getTotpSecret`: the base32 secret from the server's `otpauth://` URI. */
export async function getTotpSecret(core: Core, o: CallOptions = {}): Promise<string> {
  const res = await core.request({ endpoint: "getTotpSecret", call: o });
  const body = await readJson<{ mfa_uri?: unknown }>(res, res.url);
  let secret: string | null = null;
  try {
    const bin = atob(String(body.mfa_uri ?? ""));
    const uri = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    secret = new URL(uri).searchParams.get("secret");
  } catch {
    // reported below
  }
  if (!secret) {
    throw new AppMeshResponseError(res.url, "a base64 otpauth:// URI with a secret", "got none");
  }
  return secret;
}

/** `enableTotp`: the server answers with a new token, which is adopted. */
export async function enableTotp(core: Core, code: string, o: CallOptions = {}): Promise<void> {
  const res = await core.request({
    endpoint: "enableTotp",
    headers: { "x-totp-code": code },
    call: o,
  });
  await adopt(core, await readJson<TokenBody>(res, res.url), res.url);
}

/** `logout`: true when the server logged off; the session is cleared then. */
export async function logout(core: Core, o: CallOptions = {}): Promise<boolean> {
  await core.ready();
  const s = core.session;
  if (!s.token && !s.refreshToken) return false;
  try {
    await core.text({
      endpoint: "logout",
      headers: { "x-refresh-token": s.refreshToken },
      call: o,
    });
  } catch (e) {
    if (!(e instanceof AppMeshHttpError)) throw e;
    core.logger.warn?.(`logout failed: ${e.message}`);
    return false;
  }
  await s.clear();
  return true;
}

/** `authenticate`: verifies a token (and permission); adopts it when `updateSession`. */
export async function authenticate(
  core: Core,
  token: string,
  o: AuthenticateOptions = {},
): Promise<AuthResult> {
  const update = o.updateSession ?? true;
  let res: Response;
  try {
    res = await core.request({
      endpoint: "authenticate",
      headers: {
        authorization: `Bearer ${token}`,
        "x-permission": o.permission,
        "x-audience": o.audience,
        "x-set-cookie": update ? cookieHeader(core, undefined) : undefined,
      },
      call: { signal: o.signal },
    });
  } catch (e) {
    if (!(e instanceof AppMeshHttpError)) throw e;
    return { ok: false, status: e.status, message: e.serverMessage ?? "" };
  }
  const body = await readJson<TokenBody>(res, res.url);
  if (update) await adopt(core, { ...body, access_token: body.access_token ?? token }, res.url);
  return { ok: true, status: res.status, message: "Authentication succeeded" };
}

/** `setToken`: adopt a token without asking the server. */
export async function setToken(core: Core, token: string): Promise<void> {
  await core.ready();
  await core.session.setToken(token);
}

/** `renewToken`: one renewal at a time; under the cookie file's lock, adopting a newer token. */
export function renewToken(core: Core, o: ExpireOptions = {}): Promise<void> {
  return core.session.renewOnce(() => renewNow(core, o));
}

async function renewNow(core: Core, o: ExpireOptions): Promise<void> {
  await core.ready();
  const s = core.session;
  const path = endpointPath("renewToken");
  const url = `${core.baseUrl}${path}`;
  const held = s.token;
  if (!held && !s.refreshToken) {
    throw new AppMeshAuthError({
      status: 0,
      method: "POST",
      path,
      url,
      serverMessage: "No token to renew",
    });
  }
  await s.underFileLock(async (current) => {
    const now = Date.now() / 1000;
    const inFile = current.find((c) =>
      c.name === TOKEN_COOKIE && c.value &&
      (c.expires === undefined || c.expires === 0 || c.expires > now)
    );
    const fileExp = jwtTimes(inFile?.value).exp;
    if (inFile && inFile.value !== held && (fileExp === undefined || fileExp > now)) {
      // Another process renewed (and so revoked ours): use its token instead.
      s.replaceCookies(current);
      return;
    }
    let res: Response;
    try {
      res = await core.request({
        endpoint: "renewToken",
        headers: {
          "x-expire-seconds": expireHeader(core, o.expire),
          "x-refresh-token": s.refreshToken,
        },
        call: { signal: o.signal },
      });
    } catch (e) {
      if (e instanceof AppMeshAuthError && e.status === 401) await s.dropRefreshToken();
      throw e;
    }
    await adopt(core, await readJson<TokenBody>(res, res.url), res.url);
  });
}
