// Authentication end to end: login, TOTP, logout, authenticate, setToken, renew, refresh tokens, the 401/403/400 distinctions and the CSRF scheme of older daemons.
// @bun
// @node
import assert from "node:assert/strict";
import { TOTP } from "otpauth";
import { test } from "../harness.ts";
import { AppMeshAuthError, AppMeshClient } from "../../src/client/mod.ts";
import { fixture } from "./_helpers.ts";

test("login: token held, used, and refused with a wrong password (401 AppMeshAuthError)", async () => {
  const f = await fixture({ login: false });
  try {
    assert.equal(f.client.token, undefined);
    await assert.rejects(f.client.listApps(), (e: unknown) => {
      assert.ok(e instanceof AppMeshAuthError);
      assert.equal(e.status, 401);
      assert.equal(e.serverMessage, "No authentication token provided");
      assert.equal(e.method, "GET");
      assert.equal(e.path, "/appmesh/applications");
      return true;
    });
    await assert.rejects(f.client.login("admin", "wrong"), (e: unknown) => {
      assert.ok(e instanceof AppMeshAuthError);
      assert.equal(e.status, 401);
      assert.equal(e.serverMessage, "Authentication failed");
      assert.ok(!e.message.includes("wrong"));
      return true;
    });
    assert.equal(await f.client.login("admin", "admin123", { expire: "PT1H" }), undefined);
    assert.ok(f.client.token);
    const left = f.client.tokenExpiresAt!.getTime() - Date.now();
    assert.ok(left > 3_000_000 && left <= 3_600_000, `expires in ${left} ms`);
    assert.equal((await f.client.getCurrentUser()).name, "admin");
  } finally {
    await f.close();
  }
});

test("authorization: 400 permission denied and 401 are AppMeshAuthError told apart", async () => {
  const f = await fixture({ login: false });
  try {
    const mesh = f.newClient();
    await mesh.login("mesh", "mesh123");
    await assert.rejects(mesh.addLabel("x", "y"), (e: unknown) => {
      assert.ok(e instanceof AppMeshAuthError);
      assert.equal(e.status, 400);
      assert.equal(e.code, "PERMISSION_DENIED");
      assert.match(e.serverMessage!, /^Permission denied: user 'mesh' lacks required permission/);
      return true;
    });
    const stale = mesh.token!;
    assert.equal(await mesh.logout(), true);
    assert.equal(mesh.token, undefined);
    const other = f.newClient({ token: stale });
    await assert.rejects(other.listApps(), (e: unknown) => {
      assert.ok(e instanceof AppMeshAuthError);
      assert.equal(e.status, 401);
      assert.equal(e.serverMessage, "Token has been revoked");
      return true;
    });
    assert.equal(await mesh.logout(), false); // nothing to log out
  } finally {
    await f.close();
  }
});

test("authorization: a 403 (cookie + foreign Origin, the CSRF check) is AppMeshAuthError 403", async () => {
  const f = await fixture();
  try {
    // The client sends its token as a bearer, not also as a cookie: the cookie is given here.
    const cookie = `appmesh_auth_token=${f.client.token}`;
    await assert.rejects(
      f.client.addLabel("csrf", "x", {
        headers: { Origin: "https://evil.example", Cookie: cookie },
      }),
      (e: unknown) => {
        assert.ok(e instanceof AppMeshAuthError);
        assert.equal(e.status, 403);
        assert.equal(e.code, "FORBIDDEN");
        assert.equal(e.serverMessage, "CSRF validation failed: origin not allowed");
        return true;
      },
    );
    assert.equal((await f.client.listLabels()).csrf, undefined);
  } finally {
    await f.close();
  }
});

test("authenticate: verifies token and permission; adopts the token; failures are results", async () => {
  const f = await fixture();
  try {
    const token = f.client.token!;
    const fresh = f.newClient();
    assert.deepEqual(
      await fresh.authenticate(token, { permission: "app-view", updateSession: false }),
      {
        ok: true,
        status: 200,
        message: "Authentication succeeded",
      },
    );
    assert.equal(fresh.token, undefined);
    const r = await fresh.authenticate(token);
    assert.equal(r.ok, true);
    assert.equal(fresh.token, token);
    assert.ok(Array.isArray(await fresh.listApps()));

    const mesh = f.newClient();
    await mesh.login("mesh", "mesh123");
    const denied = await f.newClient().authenticate(mesh.token!, { permission: "label-set" });
    assert.equal(denied.ok, false);
    assert.equal(denied.status, 400);
    assert.match(denied.message, /Permission denied/);
    const garbage = await f.newClient().authenticate("garbage");
    assert.deepEqual(garbage, { ok: false, status: 400, message: "invalid token supplied" });
  } finally {
    await f.close();
  }
});

test("setToken uses a token without a request; renewToken replaces (and revokes) it", async () => {
  const f = await fixture();
  try {
    const c = f.newClient();
    await c.setToken(f.client.token!);
    assert.equal((await c.getCurrentUser()).name, "admin");
    const before = c.token!;
    await c.renewToken({ expire: 600 });
    assert.notEqual(c.token, before);
    const left = c.tokenExpiresAt!.getTime() - Date.now();
    assert.ok(left <= 600_000 && left > 500_000);
    assert.equal((await c.getCurrentUser()).name, "admin");
    await assert.rejects(f.newClient({ token: before }).listApps(), AppMeshAuthError);
    await assert.rejects(f.newClient().renewToken(), (e: unknown) => {
      assert.ok(e instanceof AppMeshAuthError);
      assert.equal(e.status, 0);
      assert.equal(e.code, "NO_TOKEN");
      return true;
    });
  } finally {
    await f.close();
  }
});

test("refresh tokens: opt-in, rotated on renew, sent on logoff, dropped on 401", async () => {
  const f = await fixture({ login: false });
  try {
    const c = f.newClient({ refreshToken: true });
    await c.login("admin", "admin123");
    const t1 = c.token!;
    await c.renewToken();
    const t2 = c.token!;
    assert.notEqual(t1, t2);
    await c.renewToken();
    assert.notEqual(c.token, t2);
    assert.equal(await c.logout(), true);
    assert.equal(c.token, undefined);

    // Without opting in, a renew with a revoked token is a 401 and nothing is left to renew with.
    const d = f.newClient({ refreshToken: true });
    await d.login("admin", "admin123");
    const other = f.newClient({ token: d.token });
    await other.renewToken(); // revokes d's access token (d keeps its refresh token)
    await d.renewToken(); // the refresh token alone renews
    assert.equal((await d.getCurrentUser()).name, "admin");
  } finally {
    await f.close();
  }
});

test("TOTP: secret, enable, 428 challenge, validate, login with code, disable", async () => {
  const f = await fixture();
  try {
    const secret = await f.client.getTotpSecret();
    assert.match(secret, /^[A-Z2-7]+=*$/);
    const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: "SHA1" });
    const before = f.client.token;
    await f.client.enableTotp(totp.generate());
    assert.notEqual(f.client.token, before);
    assert.equal((await f.client.getCurrentUser()).mfa_enabled, true);

    const c = f.newClient();
    const challenge = await c.login("admin", "admin123");
    assert.equal(typeof challenge, "string");
    assert.equal(c.token, undefined);
    await c.validateTotp("admin", challenge!, totp.generate(), { expire: "PT1H" });
    assert.equal((await c.getCurrentUser()).name, "admin");

    const d = f.newClient();
    assert.equal(await d.login("admin", "admin123", { totpCode: totp.generate() }), undefined);
    assert.ok(d.token);

    await d.disableTotp();
    assert.equal((await d.getCurrentUser()).mfa_enabled, false);
    const e = f.newClient();
    assert.equal(await e.login("admin", "admin123"), undefined);
    assert.ok(e.token);
  } finally {
    await f.close();
  }
});

test("older daemons' CSRF scheme: the CSRF cookie is echoed in X-CSRF-Token", async () => {
  const f = await fixture({ server: { legacyCsrf: true }, login: false });
  try {
    await f.client.login("admin", "admin123");
    await f.client.addLabel("legacy", "yes");
    assert.equal((await f.client.listLabels()).legacy, "yes");
    // A client without the CSRF cookie but with the token cookie alone would be refused;
    // an explicit Authorization header wins over the session and passes.
    await f.client.deleteLabel("legacy", {
      headers: { Authorization: `Bearer ${f.client.token}` },
    });
    assert.equal((await f.client.listLabels()).legacy, undefined);
  } finally {
    await f.close();
  }
});

test("login accepts unicode passwords (UTF-8 Basic auth) and never leaks them", async () => {
  const f = await fixture();
  try {
    await f.client.addUser("uni", {
      key: "pässwörd✓",
      group: "user",
      roles: ["view"],
      exec_user: "",
    });
    const c = f.newClient();
    await assert.rejects(c.login("uni", "nope"), (e: unknown) => e instanceof AppMeshAuthError);
    await c.login("uni", "pässwörd✓");
    assert.equal((await c.getCurrentUser()).name, "uni");
  } finally {
    await f.close();
  }
});

test("AppMeshClient constructor rejects a bad base URL at once", () => {
  assert.throws(() => new AppMeshClient({ baseUrl: "not a url" }), TypeError);
});
