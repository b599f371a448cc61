// Apps over real HTTPS: register, get, list, health, enable/disable, delete, permissions, behavior.exit.
// @bun
// @node
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import process from "node:process";
import { test } from "../harness.ts";
import { body, harness, json, until } from "./_util.ts";

test("apps: register (body names the app), get, list, health, disable, delete as the daemon", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const put = await h.call(t, "/appmesh/app/ignored-path", {
      method: "PUT",
      ...json({ name: "facts-app", command: "sleep 30", status: 0 }),
    });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get("content-type"), "application/json");
    const app = await put.json();
    assert.deepEqual(Object.keys(app), [
      "behavior",
      "command",
      "health",
      "name",
      "owner",
      "register_time",
      "register_time_TEXT",
      "starts",
      "status",
    ]);
    assert.deepEqual(app.behavior, { exit: "standby" });
    assert.equal(app.owner, "admin");
    assert.equal(app.status, 0);
    assert.equal(app.health, 1);
    assert.equal(app.starts, 0);
    assert.match(app.register_time_TEXT, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d(:\d\d)?$/);

    const got = await h.call(t, "/appmesh/app/facts-app");
    assert.deepEqual(await got.json(), app);
    const list = await (await h.call(t, "/appmesh/applications")).json();
    assert.deepEqual(list.map((a: { name: string }) => a.name), ["facts-app"]);

    const missing = await h.call(t, "/appmesh/app/no-such-app");
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { message: "No such application" });

    const health = await h.call(t, "/appmesh/app/facts-app/health");
    assert.equal(health.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await health.text(), "1");

    const en = await h.call(t, "/appmesh/app/facts-app/enable", { method: "POST" });
    assert.deepEqual(await en.json(), { message: "Enable <facts-app> success." });
    const running = await until(async () => {
      const a = await (await h.call(t, "/appmesh/app/facts-app")).json();
      return a.pid ? a : undefined;
    }, "facts-app to run");
    assert.equal(running.health, 0);
    assert.equal(running.starts, 1);
    assert.equal(await (await h.call(t, "/appmesh/app/facts-app/health")).text(), "0");
    process.kill(running.pid, 0); // really running

    const dis = await h.call(t, "/appmesh/app/facts-app/disable", { method: "POST" });
    assert.deepEqual(await dis.json(), { message: "Disable <facts-app> success." });
    await until(() => {
      try {
        process.kill(running.pid, 0);
        return Promise.resolve(false);
      } catch {
        return Promise.resolve(true);
      }
    }, "the process to be killed");
    const after = await (await h.call(t, "/appmesh/app/facts-app")).json();
    assert.equal(after.status, 0);
    assert.equal(after.health, 1);
    assert.equal(after.return_code, 9); // the daemon reports its own kill (disable) as 9

    const del = await h.call(t, "/appmesh/app/facts-app", { method: "DELETE" });
    assert.deepEqual(await del.json(), { message: "Application <facts-app> removed." });
    const del2 = await h.call(t, "/appmesh/app/facts-app", { method: "DELETE" });
    assert.equal(del2.status, 404);
    assert.equal(await del2.text(), "");
    assert.equal(del2.headers.get("content-type"), null);
  } finally {
    await h.close();
  }
});

test("apps: permissions, owner shortcut, 404 before permission on delete, bad definitions", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const mesh = await h.login("mesh", "mesh123");
    const denied = await h.call(mesh, "/appmesh/app/x", {
      method: "PUT",
      ...json({ name: "x", command: "true" }),
    });
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'app-reg'",
    });
    const noToken = await h.call("", "/appmesh/applications");
    assert.equal(noToken.status, 401);
    const gone = await h.call(mesh, "/appmesh/app/nothing-here", { method: "DELETE" });
    assert.equal(gone.status, 404);
    await h.call(admin, "/appmesh/app/a1", {
      method: "PUT",
      ...json({ name: "a1", command: "sleep 5", status: 0 }),
    });
    const meshDel = await h.call(mesh, "/appmesh/app/a1", { method: "DELETE" });
    assert.equal(meshDel.status, 400);
    assert.deepEqual(await meshDel.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'app-delete'",
    });
    const badName = await h.call(admin, "/appmesh/app/x", {
      method: "PUT",
      ...json({ name: "a b", command: "true" }),
    });
    assert.equal(badName.status, 400);
    const noCmd = await h.call(admin, "/appmesh/app/x", {
      method: "PUT",
      ...json({ name: "nocmd" }),
    });
    assert.equal(noCmd.status, 400);
    assert.deepEqual(await body(noCmd), { message: "no command line provide" });
    const badAction = await h.call(admin, "/appmesh/app/x", {
      method: "PUT",
      ...json({ name: "x", command: "true", behavior: { exit: "explode" } }),
    });
    assert.deepEqual(await body(badAction), { message: "invalid action input" });
    const malformed = await h.call(admin, "/appmesh/app/x", {
      method: "PUT",
      body: '{"command": ',
    });
    assert.equal(malformed.status, 400);
    // The app's permission digits: others (mesh is in group "user", admin in "admin") may not view.
    await h.call(admin, "/appmesh/app/private", {
      method: "PUT",
      ...json({ name: "private", command: "true", status: 0, permission: 11 }),
    });
    const peek = await h.call(mesh, "/appmesh/app/private");
    assert.equal(peek.status, 400);
    assert.deepEqual(await peek.json(), {
      message: "User <mesh> is not allowed to <VIEW> app <private>",
    });
    const seen = await (await h.call(mesh, "/appmesh/applications")).json();
    assert.deepEqual(seen.map((a: { name: string }) => a.name), ["a1"]);
  } finally {
    await h.close();
  }
});

test("apps: behavior.exit restart restarts, remove removes, standby stays", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const reg = (name: string, exit: string) =>
      h.call(t, `/appmesh/app/${name}`, {
        method: "PUT",
        ...json({ name, command: "echo started", shell: true, behavior: { exit } }),
      });
    await reg("again", "restart");
    await reg("gone", "remove");
    await reg("stays", "standby");
    await until(
      async () => (await (await h.call(t, "/appmesh/app/again")).json()).starts >= 2,
      "a restart",
    );
    await until(async () => (await h.call(t, "/appmesh/app/gone")).status === 404, "removal");
    const stays = await until(async () => {
      const a = await (await h.call(t, "/appmesh/app/stays")).json();
      return a.return_code === 0 ? a : undefined;
    }, "standby exit");
    assert.equal(stays.starts, 1);
    assert.equal(stays.health, 1);
    const out = await h.call(t, "/appmesh/app/stays/output");
    assert.equal(await out.text(), "started\n");
    assert.equal(out.headers.get("x-exit-code"), "0");
  } finally {
    await h.close();
  }
});

test("apps: health_check_cmd decides health (exit 0 healthy), checked every second", async () => {
  const h = await harness();
  const flag = `${h.server.stateDir}/healthy-flag`;
  try {
    const t = await h.login();
    await h.call(t, "/appmesh/app/checked", {
      method: "PUT",
      ...json({ name: "checked", command: "sleep 60", health_check_cmd: `test -f ${flag}` }),
    });
    const health = async () =>
      (await (await h.call(t, "/appmesh/app/checked/health")).text()).trim();
    await until(async () => (await health()) === "1", "unhealthy without the flag");
    await writeFile(flag, "");
    await until(async () => (await health()) === "0", "healthy with the flag");
    const app = await (await h.call(t, "/appmesh/app/checked")).json();
    assert.equal(app.health_check_cmd, `test -f ${flag}`);
  } finally {
    await h.close();
  }
});
