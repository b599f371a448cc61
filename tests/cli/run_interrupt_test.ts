/**
 * Ctrl-C at `deno task appmesh run -- sleep 30` as a person gives it: the whole process group
 * signalled, with the copies that `npx` and `deno task` pass on right behind it (sent here as a
 * second group signal, since whether `deno task` relays its own copy varies). They are one
 * interrupt: the run's temporary app is deleted from the server, exit 130; `appmesh devserver`
 * stops once, exit 0.
 */
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import { cliLogin, type Fixture, startFixture } from "./helpers.ts";
import { show, startGroup } from "./group_helpers.ts";

/** The names of the apps on the first node whose command is `command`. */
async function appsRunning(fx: Fixture, command: RegExp): Promise<string[]> {
  const admin = new AppMeshClient({ baseUrl: fx.server.urls[0], ca: fx.server.caFile });
  try {
    await admin.login("admin", "admin123");
    return (await admin.listApps())
      .filter((a) => command.test(String(a.command ?? "")))
      .map((a) => String(a.name));
  } finally {
    await admin.close();
  }
}

/** Resolves with the apps running `command` once there is one (or fails when `ended`). */
async function appearing(fx: Fixture, command: RegExp, ended: Promise<unknown>): Promise<string[]> {
  let over = false;
  ended.then(() => over = true);
  for (;;) {
    const apps = await appsRunning(fx, command);
    if (apps.length) return apps;
    if (over) throw new Error("the command ended before its app existed");
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  test(`interrupt: ${sig} to the process group of \`deno task appmesh run -- sleep 30\`: app deleted, exit ${code}`, async () => {
    const fx = await startFixture(1);
    try {
      await cliLogin(fx);
      const g = startGroup(["run", "--", "sleep", "30"], fx);
      const apps = await appearing(fx, /sleep 30/, g.status);
      assert.equal(apps.length, 1, apps.join(" "));
      // One Ctrl-C, as `npx` and `deno task` relay it: copies right behind the first.
      g.signal(sig);
      g.signal(sig);
      const status = await g.status;
      assert.equal(status.code, code, show(g));
      assert.equal(
        g.err.filter((l) => l.includes(`${sig}: stopped; app ${apps[0]} deleted`)).length,
        1,
        show(g),
      );
      assert.ok(!g.err.some((l) => /again|abandon|exiting/.test(l)), show(g));
      assert.deepEqual(
        await appsRunning(fx, /sleep 30/),
        [],
        "the run's app is left on the server",
      );
    } finally {
      await fx.close();
    }
  });
}

test("interrupt: SIGINT to the process group of `deno task appmesh devserver`: one stop, exit 0", async () => {
  const fx = await startFixture(1);
  try {
    const g = startGroup(["devserver", "--port", "0", "--state", `${fx.dir}/dev`], fx);
    await g.waitFor("out", /Press Ctrl-C to stop/);
    g.signal("SIGINT");
    g.signal("SIGINT");
    const status = await g.status;
    assert.equal(status.code, 0, show(g));
    assert.equal(g.out.filter((l) => /SIGINT: stopping the local server/.test(l)).length, 1);
    assert.ok(g.out.includes("stopped"), show(g));
    assert.ok(!g.err.some((l) => /again|abandon|exiting/.test(l)), show(g));
  } finally {
    await fx.close();
  }
});
