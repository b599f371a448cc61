// Login, tokens, renew, refresh tokens, logoff, CSRF and cookie rules over real HTTPS.
// @bun
// @node
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { test } from "../harness.ts";
import { body, harness } from "./_util.ts";

const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`;

test("auth: login answers the daemon's token body, cookie only with X-Set-Cookie", async () => {
  const h = await harness();
  try {
    const res = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: {
        Authorization: basic("admin", "admin123"),
        "X-Set-Cookie": "true",
        "X-Expire-Seconds": "3600",
      },
    });
    assert.equal(res.status, 200);
    const b = await res.json();
    assert.deepEqual(Object.keys(b), [
      "access_token",
      "expire_time",
      "expires_in",
      "issued_at",
      "profile",
      "token_type",
    ]);
    assert.equal(b.token_type, "Bearer");
    assert.equal(b.expires_in, 3600);
    assert.equal(b.expire_time - b.issued_at, 3600);
    assert.deepEqual(Object.keys(b.profile), ["auth_time", "group", "name"]);
    assert.equal(b.profile.name, "admin");
    assert.equal(b.profile.group, "admin");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("pragma"), "no-cache");
    const cookie = res.headers.get("set-cookie");
    assert.equal(
      cookie,
      `appmesh_auth_token=${b.access_token}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=3600`,
    );
    const claims = decodeJwt(b.access_token);
    assert.equal(claims.aud, "appmesh-service");
    assert.equal(claims.sub, "admin");
    assert.equal(typeof claims.iss, "string");
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.deepEqual(
      (claims.resource_access as Record<string, { roles: string[] }>)["appmesh-service"].roles
        .sort(),
      ["manage", "shell", "usermgr", "view"],
    );

    // Without X-Set-Cookie: no cookie, default lifetime 7 days.
    const plain = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("mesh", "mesh123") },
    });
    assert.equal(plain.headers.get("set-cookie"), null);
    const pb = await plain.json();
    assert.equal(pb.expires_in, 604800);
    assert.equal(pb.refresh_token, undefined);
    assert.equal(pb.profile.group, "user");

    // Bad password, unknown audience, illegal audience, bad lifetime.
    const bad = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "nope") },
    });
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { message: "Authentication failed" });
    const aud = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "admin123"), "X-Audience": "appmesh-file-service" },
    });
    assert.equal(aud.status, 400);
    assert.deepEqual(await aud.json(), { message: "illegal audience" });
    const custom = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "admin123"), "X-Audience": "your-service-api" },
    });
    assert.equal(decodeJwt((await custom.json()).access_token).aud, "your-service-api");
    const life = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "admin123"), "X-Expire-Seconds": "soon" },
    });
    assert.equal(life.status, 400);
    await life.body?.cancel();
    const noBasic = await h.fetch(`${h.url}/appmesh/login`, { method: "POST" });
    assert.equal(noBasic.status, 400);
    assert.deepEqual(await noBasic.json(), { message: "unrecognized authorization type" });
  } finally {
    await h.close();
  }
});

test("auth: no token 401, garbage 400, wrong signature 401, permission denied 400", async () => {
  const h = await harness();
  try {
    const none = await h.call("", "/appmesh/labels");
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { message: "No authentication token provided" });
    const garbage = await h.call("garbage", "/appmesh/labels");
    assert.equal(garbage.status, 400);
    assert.deepEqual(await garbage.json(), { message: "invalid token supplied" });
    const token = await h.login("mesh", "mesh123");
    const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    const f = await h.call(forged, "/appmesh/labels");
    assert.equal(f.status, 401);
    assert.match((await f.json()).message, /^Authentication failed/);
    const denied = await h.call(token, "/appmesh/label/x?value=1", { method: "PUT" });
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'label-set'",
    });
  } finally {
    await h.close();
  }
});

test("auth: /appmesh/auth with X-Permission, cookie on request", async () => {
  const h = await harness();
  try {
    const token = await h.login();
    const ok = await h.call(token, "/appmesh/auth", {
      method: "POST",
      headers: { "X-Permission": "app-view", "X-Set-Cookie": "true" },
    });
    assert.equal(ok.status, 200);
    const b = await ok.json();
    assert.equal(b.access_token, token);
    assert.equal(b.profile.group, "");
    assert.ok(b.expires_in > 604000);
    assert.ok(ok.headers.get("set-cookie")!.startsWith(`appmesh_auth_token=${token};`));
    const mesh = await h.login("mesh", "mesh123");
    const no = await h.call(mesh, "/appmesh/auth", {
      method: "POST",
      headers: { "X-Permission": "label-set" },
    });
    assert.equal(no.status, 400);
    assert.deepEqual(await no.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'label-set'",
    });
    const noToken = await h.call("", "/appmesh/auth", { method: "POST" });
    assert.equal(noToken.status, 401);
    await noToken.body?.cancel();
  } finally {
    await h.close();
  }
});

test("auth: renew revokes the old token; cookie re-sent only if the request had it", async () => {
  const h = await harness();
  try {
    const token = await h.login();
    const res = await h.call(token, "/appmesh/token/renew", {
      method: "POST",
      headers: { "X-Expire-Seconds": "600" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("set-cookie"), null);
    const b = await res.json();
    assert.equal(b.expires_in, 600);
    assert.notEqual(b.access_token, token);
    const old = await h.call(token, "/appmesh/labels");
    assert.equal(old.status, 401);
    assert.deepEqual(await old.json(), { message: "Token has been revoked" });
    const fresh = await h.call(b.access_token, "/appmesh/labels");
    assert.equal(fresh.status, 200);
    await fresh.body?.cancel();

    // Cookie mode: the renewed token comes back as a cookie.
    const c = await h.fetch(`${h.url}/appmesh/token/renew`, {
      method: "POST",
      headers: { Cookie: `appmesh_auth_token=${b.access_token}` },
    });
    assert.equal(c.status, 200);
    const cb = await c.json();
    assert.ok(c.headers.get("set-cookie")!.startsWith(`appmesh_auth_token=${cb.access_token};`));

    // The test user has no roles: renew is refused with the daemon's 400.
    const t = await h.login("test", "test123");
    const denied = await h.call(t, "/appmesh/token/renew", { method: "POST" });
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'test' lacks required permission 'user-token-renew'",
    });
  } finally {
    await h.close();
  }
});

test("auth: refresh tokens are opt-in, rotate on renew, and are revoked on logoff", async () => {
  const h = await harness();
  try {
    const login = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "admin123"), "X-Refresh-Token-Request": "true" },
    });
    const lb = await login.json();
    assert.equal(typeof lb.refresh_token, "string");
    assert.equal(decodeJwt(lb.refresh_token).aud, "appmesh-refresh");
    // A refresh token is not an access token.
    const misuse = await h.call(lb.refresh_token, "/appmesh/labels");
    assert.equal(misuse.status, 401);
    await misuse.body?.cancel();

    const r1 = await h.fetch(`${h.url}/appmesh/token/renew`, {
      method: "POST",
      headers: { "X-Refresh-Token": lb.refresh_token },
    });
    assert.equal(r1.status, 200);
    const b1 = await r1.json();
    assert.notEqual(b1.refresh_token, lb.refresh_token);
    // Replaying the rotated-away refresh token fails.
    const replay = await h.fetch(`${h.url}/appmesh/token/renew`, {
      method: "POST",
      headers: { "X-Refresh-Token": lb.refresh_token },
    });
    assert.equal(replay.status, 401);
    assert.deepEqual(await replay.json(), { message: "Refresh token has been revoked" });

    // Logoff with both: both die; the cookie is cleared because the request carried it.
    const off = await h.fetch(`${h.url}/appmesh/self/logoff`, {
      method: "POST",
      headers: {
        Cookie: `appmesh_auth_token=${b1.access_token}`,
        "X-Refresh-Token": b1.refresh_token,
      },
    });
    assert.equal(off.status, 200);
    assert.equal(await off.text(), "");
    assert.equal(
      off.headers.get("set-cookie"),
      "appmesh_auth_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
    );
    const after = await h.call(b1.access_token, "/appmesh/labels");
    assert.equal(after.status, 401);
    assert.deepEqual(await after.json(), { message: "Token has been revoked" });
    const renewAfter = await h.fetch(`${h.url}/appmesh/token/renew`, {
      method: "POST",
      headers: { "X-Refresh-Token": b1.refresh_token },
    });
    assert.equal(renewAfter.status, 401);
    await renewAfter.body?.cancel();
    // Logoff with nothing valid.
    const again = await h.call(b1.access_token, "/appmesh/self/logoff", { method: "POST" });
    assert.equal(again.status, 401);
    await again.body?.cancel();
  } finally {
    await h.close();
  }
});

test("auth: CSRF: cookie + foreign Origin on a write is 403; same origin and no origin pass", async () => {
  const h = await harness();
  try {
    const token = await h.login();
    const cookie = `appmesh_auth_token=${token}`;
    const foreign = await h.fetch(`${h.url}/appmesh/label/csrf?value=1`, {
      method: "PUT",
      headers: { Cookie: cookie, Origin: "https://evil.example" },
    });
    assert.equal(foreign.status, 403);
    assert.deepEqual(await foreign.json(), {
      message: "CSRF validation failed: origin not allowed",
    });
    const same = await h.fetch(`${h.url}/appmesh/label/csrf?value=2`, {
      method: "PUT",
      headers: { Cookie: cookie, Origin: h.url },
    });
    assert.equal(same.status, 200);
    await same.body?.cancel();
    const none = await h.fetch(`${h.url}/appmesh/label/csrf?value=3`, {
      method: "PUT",
      headers: { Cookie: cookie },
    });
    assert.equal(none.status, 200);
    await none.body?.cancel();
    // GET with a foreign origin is fine; Bearer without cookie is exempt.
    const get = await h.fetch(`${h.url}/appmesh/labels`, {
      headers: { Cookie: cookie, Origin: "https://evil.example" },
    });
    assert.equal((await get.json()).csrf, "3");
    const bearer = await h.call(token, "/appmesh/label/csrf?value=4", {
      method: "PUT",
      headers: { Origin: "https://evil.example" },
    });
    assert.equal(bearer.status, 200);
    await bearer.body?.cancel();
  } finally {
    await h.close();
  }
});

test("auth: legacyCsrf emulates the CSRF cookie + X-CSRF-Token of older daemons", async () => {
  const h = await harness({ legacyCsrf: true });
  try {
    const login = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: basic("admin", "admin123"), "X-Set-Cookie": "true" },
    });
    const cookies = login.headers.getSetCookie();
    await login.body?.cancel();
    assert.equal(cookies.length, 2);
    const jar = cookies.map((c) => c.split(";")[0]).join("; ");
    const csrf = cookies.find((c) => c.startsWith("appmesh_csrf_token="))!.split(";")[0].split(
      "=",
    )[1];
    const without = await h.fetch(`${h.url}/appmesh/label/x?value=1`, {
      method: "PUT",
      headers: { Cookie: jar },
    });
    assert.equal(without.status, 403);
    await without.body?.cancel();
    const withToken = await h.fetch(`${h.url}/appmesh/label/x?value=1`, {
      method: "PUT",
      headers: { Cookie: jar, "X-CSRF-Token": csrf },
    });
    assert.equal(withToken.status, 200);
    await withToken.body?.cancel();
    const read = await h.fetch(`${h.url}/appmesh/labels`, { headers: { Cookie: jar } });
    assert.equal(read.status, 200);
    await read.body?.cancel();
  } finally {
    await h.close();
  }
});

test("auth: locked users cannot log in and their tokens stop working", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const mesh = await h.login("mesh", "mesh123");
    const lock = await h.call(admin, "/appmesh/user/mesh/lock", { method: "POST" });
    assert.deepEqual(await body(lock), { message: "Lock user success" });
    const use = await h.call(mesh, "/appmesh/labels");
    assert.equal(use.status, 401);
    assert.deepEqual(await use.json(), { message: "User <mesh> was locked" });
    await assert.rejects(h.login("mesh", "mesh123"), /401/);
    const unlock = await h.call(admin, "/appmesh/user/mesh/unlock", { method: "POST" });
    assert.deepEqual(await body(unlock), { message: "Unlock user success" });
    assert.ok(await h.login("mesh", "mesh123"));
  } finally {
    await h.close();
  }
});
