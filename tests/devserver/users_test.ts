// Users, roles, groups and permissions routes, with each permission check.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { body, harness } from "./_util.ts";

const b64 = (s: string) => btoa(s);

test("users: self, permissions, groups, users, roles, permission list", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const self = await h.call(admin, "/appmesh/user/self");
    const sb = await self.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(sb), [
      "audience",
      "email",
      "exec_user",
      "group",
      "locked",
      "mfa_enabled",
      "name",
      "roles",
    ]);
    assert.deepEqual(sb.audience, ["appmesh-service"]);
    assert.equal(sb.name, "admin");
    assert.equal(sb.email, "admin@appmesh.com");
    const perms = await (await h.call(admin, "/appmesh/user/permissions")).json();
    assert.equal(perms.length, 32);
    assert.deepEqual(perms, [...perms].sort());
    const groups = await h.fetch(`${h.url}/appmesh/user/groups`); // the daemon checks no token
    assert.deepEqual(await groups.json(), ["admin", "user"]);
    const users = await (await h.call(admin, "/appmesh/users")).json();
    assert.deepEqual(Object.keys(users), ["admin", "mesh", "test"]);
    assert.equal(users.mesh.key, undefined);
    assert.equal(users.mesh.mfa_key, undefined);
    assert.deepEqual(users.mesh.roles, ["view"]);
    const roles = await (await h.call(admin, "/appmesh/roles")).json();
    assert.deepEqual(Object.keys(roles), ["manage", "shell", "usermgr", "view"]);
    assert.deepEqual(roles.shell, ["app-run-async", "app-run-sync", "app-run-task"]);
    const all = await (await h.call(admin, "/appmesh/permissions")).json();
    assert.deepEqual(all, perms);

    const mesh = await h.login("mesh", "mesh123");
    assert.deepEqual(
      (await (await h.call(mesh, "/appmesh/user/permissions")).json()).length,
      12,
    );
    const test = await h.login("test", "test123");
    const denied = await h.call(test, "/appmesh/users");
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'test' lacks required permission 'user-list'",
    });
  } finally {
    await h.close();
  }
});

test("users: add, update, password change revokes tokens, delete; roles set/delete", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const add = await h.call(admin, "/appmesh/user/alice", {
      method: "PUT",
      body: JSON.stringify({ key: "alice-pw1", group: "dev", roles: ["view"], email: "a@x" }),
    });
    assert.equal(add.status, 200);
    assert.deepEqual(await add.json(), { message: "User add success" });
    const alice = await h.login("alice", "alice-pw1");
    assert.deepEqual(await (await h.fetch(`${h.url}/appmesh/user/groups`)).json(), [
      "admin",
      "dev",
      "user",
    ]);
    // Update keeps the password.
    const upd = await h.call(admin, "/appmesh/user/alice", {
      method: "PUT",
      body: JSON.stringify({ group: "ops", roles: ["view", "shell"] }),
    });
    assert.equal(upd.status, 200);
    await upd.body?.cancel();
    const alice2 = await h.login("alice", "alice-pw1");
    const self = await (await h.call(alice2, "/appmesh/user/self")).json();
    assert.equal(self.group, "ops");
    assert.deepEqual(self.roles, ["view", "shell"]);
    const noPw = await h.call(admin, "/appmesh/user/bob", {
      method: "PUT",
      body: JSON.stringify({ group: "x" }),
    });
    assert.equal(noPw.status, 400);
    assert.deepEqual(await noPw.json(), { message: "no password provided" });

    // Change own password: old tokens die.
    const wrongOld = await h.call(alice2, "/appmesh/user/self/passwd", {
      method: "POST",
      body: JSON.stringify({ old_password: b64("nope"), new_password: b64("alice-pw2") }),
    });
    assert.equal(wrongOld.status, 400);
    assert.deepEqual(await wrongOld.json(), {
      message: "old password for user <alice> is incorrect",
    });
    const pw = await h.call(alice2, "/appmesh/user/self/passwd", {
      method: "POST",
      body: JSON.stringify({ old_password: b64("alice-pw1"), new_password: b64("alice-pw2") }),
    });
    assert.deepEqual(await body(pw), { message: "password changed success" });
    for (const t of [alice, alice2]) {
      const r = await h.call(t, "/appmesh/labels");
      assert.equal(r.status, 401);
      assert.deepEqual(await r.json(), { message: "Token has been revoked" });
    }
    await assert.rejects(h.login("alice", "alice-pw1"), /401/);
    const alice3 = await h.login("alice", "alice-pw2");
    // Another user's password needs passwd-change-user.
    const other = await h.call(alice3, "/appmesh/user/mesh/passwd", {
      method: "POST",
      body: JSON.stringify({ old_password: b64("mesh123"), new_password: b64("x") }),
    });
    assert.equal(other.status, 400);
    assert.deepEqual(await other.json(), {
      message: "Permission denied: user 'alice' lacks required permission 'passwd-change-user'",
    });

    // Lock rules.
    const lockAdmin = await h.call(admin, "/appmesh/user/admin/lock", { method: "POST" });
    assert.equal(lockAdmin.status, 400);
    assert.deepEqual(await lockAdmin.json(), { message: "User admin can not be locked" });
    const lockMissing = await h.call(admin, "/appmesh/user/nobody/lock", { method: "POST" });
    assert.equal(lockMissing.status, 404);
    assert.deepEqual(await lockMissing.json(), { message: "user not found" });

    // Roles.
    const role = await h.call(admin, "/appmesh/role/auditor", {
      method: "POST",
      body: JSON.stringify(["label-view", "config-view"]),
    });
    assert.deepEqual(await body(role), { message: "Role update success" });
    const roles = await (await h.call(admin, "/appmesh/roles")).json();
    assert.deepEqual(roles.auditor, ["config-view", "label-view"]);
    const badRole = await h.call(admin, "/appmesh/role/auditor", {
      method: "POST",
      body: JSON.stringify({ not: "a list" }),
    });
    assert.equal(badRole.status, 400);
    await badRole.body?.cancel();
    const delRole = await h.call(admin, "/appmesh/role/auditor", { method: "DELETE" });
    assert.deepEqual(await body(delRole), { message: "Role delete success" });
    assert.equal((await (await h.call(admin, "/appmesh/roles")).json()).auditor, undefined);

    // Delete.
    const del = await h.call(admin, "/appmesh/user/alice", { method: "DELETE" });
    assert.deepEqual(await body(del), { message: "User delete success" });
    const gone = await h.call(admin, "/appmesh/user/alice", { method: "DELETE" });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
    const token = await h.call(alice3, "/appmesh/labels");
    assert.equal(token.status, 404);
    assert.deepEqual(await token.json(), { message: "user not found" });
  } finally {
    await h.close();
  }
});

test("users: every write needs its permission (mesh gets the daemon's 400; no token 401)", async () => {
  const h = await harness();
  try {
    const mesh = await h.login("mesh", "mesh123");
    const cases: [string, string, string, string?][] = [
      ["PUT", "/appmesh/user/x", "user-add", '{"key":"x"}'],
      ["DELETE", "/appmesh/user/test", "user-delete"],
      ["POST", "/appmesh/user/test/lock", "user-lock"],
      ["POST", "/appmesh/user/test/unlock", "user-unlock"],
      ["POST", "/appmesh/user/test/passwd", "passwd-change-user", "{}"],
      ["POST", "/appmesh/role/r", "role-set", '["app-view"]'],
      ["DELETE", "/appmesh/role/view", "role-delete"],
    ];
    for (const [method, path, perm, data] of cases) {
      const none = await h.call("", path, { method, body: data });
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.deepEqual(await none.json(), { message: "No authentication token provided" });
      const res = await h.call(mesh, path, { method, body: data });
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.deepEqual(await res.json(), {
        message: `Permission denied: user 'mesh' lacks required permission '${perm}'`,
      });
    }
    for (
      const path of [
        "/appmesh/user/self",
        "/appmesh/users",
        "/appmesh/roles",
        "/appmesh/user/permissions",
        "/appmesh/permissions",
      ]
    ) {
      const none = await h.call("", path);
      assert.equal(none.status, 401, path);
      await none.body?.cancel();
      const ok = await h.call(mesh, path);
      assert.equal(ok.status, 200, path);
      await ok.body?.cancel();
    }
  } finally {
    await h.close();
  }
});

test("users: a security.yaml-shaped file (plain and hashed keys) replaces the defaults", async () => {
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "devserver-sec-"));
  const file = join(dir, "security.yaml");
  await writeFile(
    file,
    [
      "EncryptKey: true",
      "Users:",
      "  ci:",
      "    key: ci-pass",
      "    group: robots",
      "    roles: [reader]",
      "  mesh:",
      "    key: $pbkdf2$100000$805b5735085f625281e076d773a08610$f56efc9d5e244cc8b32cbbbb3956ef3271d3866eb02469c51c6daa5d10207e04",
      "    roles: []",
      "Roles:",
      "  reader: [label-view, config-view]",
      "",
    ].join("\n"),
  );
  const h = await harness({ security: file, stateDir: join(dir, "state") });
  try {
    const ci = await h.login("ci", "ci-pass");
    const perms = await (await h.call(ci, "/appmesh/user/permissions")).json();
    assert.deepEqual(perms, ["config-view", "label-view"]);
    assert.ok(await h.login("mesh", "mesh123"));
    const admin = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
    });
    assert.equal(admin.status, 404); // the daemon's getUserInfo: "user not found"
    assert.deepEqual(await admin.json(), { message: "user not found" });
  } finally {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});
