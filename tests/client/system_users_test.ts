// System, labels, metrics, users and roles end to end.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { AppMeshAuthError } from "../../src/client/mod.ts";
import { fixture } from "./_helpers.ts";

test("system: host resources, config get/set, log level, metrics text, labels", async () => {
  const f = await fixture();
  try {
    const c = f.client;
    const res = await c.getHostResources();
    assert.ok(Object.keys(res).length > 0);
    const cfg = await c.getConfig();
    assert.ok(cfg.BaseConfig);
    const merged = await c.setConfig({ BaseConfig: { Description: "client-test" } });
    assert.equal((merged.BaseConfig as Record<string, unknown>).Description, "client-test");
    assert.equal(
      ((await c.getConfig()).BaseConfig as Record<string, unknown>).Description,
      "client-test",
    );
    assert.equal(await c.setLogLevel("WARN"), "WARN");
    assert.equal(await c.setLogLevel(), "DEBUG");
    const metrics = await c.getMetrics();
    assert.match(metrics, /^# HELP /m);
    await c.addLabel("zone", "eu-1");
    assert.equal((await c.listLabels()).zone, "eu-1");
    await c.deleteLabel("zone");
    assert.equal((await c.listLabels()).zone, undefined);
  } finally {
    await f.close();
  }
});

test("users: add, list, lock, unlock, password, delete; groups, permissions, roles", async () => {
  const f = await fixture();
  try {
    const c = f.client;
    await c.addUser("alice", { key: "alice-pw-1", group: "user", roles: ["view"], exec_user: "" });
    assert.ok("alice" in await c.listUsers());
    const alice = f.newClient();
    await alice.login("alice", "alice-pw-1");
    assert.equal((await alice.getCurrentUser()).name, "alice");
    assert.ok((await alice.getUserPermissions()).includes("app-view"));

    await c.lockUser("alice");
    assert.equal(((await c.listUsers()).alice as Record<string, unknown>).locked, true);
    await assert.rejects(f.newClient().login("alice", "alice-pw-1"), AppMeshAuthError);
    await c.unlockUser("alice");
    assert.equal(((await c.listUsers()).alice as Record<string, unknown>).locked, false);

    await alice.login("alice", "alice-pw-1");
    await alice.updatePassword("alice-pw-1", "alice-pw-2");
    await assert.rejects(f.newClient().login("alice", "alice-pw-1"), AppMeshAuthError);
    await f.newClient().login("alice", "alice-pw-2");
    // An administrator changes another user's password (passwd-change-user), with the old one.
    await c.updatePassword("alice-pw-2", "alice-pw-3", { user: "alice" });
    await assert.rejects(f.newClient().login("alice", "alice-pw-2"), AppMeshAuthError);
    await f.newClient().login("alice", "alice-pw-3");

    await c.deleteUser("alice");
    assert.ok(!("alice" in await c.listUsers()));

    assert.ok((await c.listGroups()).includes("admin"));
    const perms = await c.listPermissions();
    assert.ok(perms.includes("app-view") && perms.includes("label-set"));
    await c.updateRole("auditor", ["app-view", "label-view"]);
    assert.deepEqual((await c.listRoles()).auditor, ["app-view", "label-view"]);
    await c.deleteRole("auditor");
    assert.equal((await c.listRoles()).auditor, undefined);
  } finally {
    await f.close();
  }
});
