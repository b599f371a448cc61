// App definitions checked, echoed and scheduled as App Mesh 2.2.1 does (see
// ../shared/docs/http-facts.md, "More facts"), and the daemon's exit codes.
// @bun
// @node
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "../harness.ts";
import { body, harness, json, until } from "./_util.ts";

test("definitions: times, daily_limitation and durations checked as the daemon checks them", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const put = (def: Record<string, unknown>) =>
      h.call(t, `/appmesh/app/${def.name}`, {
        method: "PUT",
        ...json({ command: "true", ...def }),
      });
    const refused = async (def: Record<string, unknown>, status: number, message: string) => {
      const r = await put(def);
      assert.deepEqual([r.status, await body(r)], [status, { message }], JSON.stringify(def));
      assert.equal((await h.call(t, `/appmesh/app/${def.name}`)).status, 404);
    };
    const internal = "Internal server error";
    await refused(
      { name: "d1", daily_limitation: { daily_start: "09:00:00", daily_end: "17:00:00" } },
      500,
      internal,
    );
    await refused(
      { name: "d2", daily_limitation: { daily_start: 3600 } },
      400,
      "should both have daily_start and daily_end parameter",
    );
    await refused({ name: "d3", start_time: "2030-01-01T00:00:00Z" }, 500, internal);
    await refused({ name: "d4", end_time: "2030-01-01T00:00:00Z" }, 500, internal);
    await refused(
      { name: "d5", start_time: 2_000_000_000, end_time: 1_900_000_000 },
      400,
      "end_time should greater than the start_time",
    );
    await refused(
      { name: "d6", start_interval_seconds: "every minute" },
      400,
      "invalid ISO8601 duration format",
    );
    // A cron expression needs cron: true.
    await refused(
      { name: "d7", start_interval_seconds: "*/30 * * * * *" },
      400,
      "invalid ISO8601 duration format",
    );
    await refused({ name: "d8", retention: "a while" }, 400, "invalid ISO8601 duration format");
    const badCron = await put({ name: "d9", cron: true, start_interval_seconds: "now and then" });
    assert.equal(badCron.status, 412);

    // Integers of the day come back with their _TEXT (the local time of that second).
    const daily = await put({
      name: "daily",
      command: "sleep 30",
      daily_limitation: { daily_start: 3600, daily_end: 86400 + 7200 },
      start_time: 1_900_000_000,
      end_time: 2_000_000_000,
    });
    assert.equal(daily.status, 200);
    const d = await daily.json();
    assert.equal(d.daily_limitation.daily_start, 3600);
    assert.equal(d.daily_limitation.daily_end, 7200); // modulo a day, as the daemon
    assert.match(d.daily_limitation.daily_start_TEXT, /^\d\d:\d\d:\d\d[+-]\d\d/);
    assert.equal(d.start_time, 1_900_000_000);
    assert.equal(d.end_time, 2_000_000_000);
    assert.match(d.start_time_TEXT, /^20\d\d-\d\d-\d\dT/);
    assert.equal(typeof d.end_time_TEXT, "string");
  } finally {
    await h.close();
  }
});

test("periodic apps: string echoes, next_start_time, not started at registration, then on time", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const put = async (def: Record<string, unknown>) => {
      const r = await h.call(t, `/appmesh/app/${def.name}`, { method: "PUT", ...json(def) });
      assert.equal(r.status, 200);
      return await r.json();
    };
    const before = Math.floor(Date.now() / 1000);
    const p = await put({
      name: "every2",
      command: "echo tick",
      shell: true,
      start_interval_seconds: 2,
      retention: 60,
    });
    assert.equal(p.start_interval_seconds, "2");
    assert.equal(p.retention, "60");
    assert.equal(p.pid, undefined, "not started at registration");
    assert.equal(p.starts, 0);
    assert.ok(p.start_time >= before + 1, "start_time defaults to a second after registration");
    assert.equal(p.next_start_time, p.start_time);
    assert.equal(typeof p.next_start_time_TEXT, "string");

    const ran = await until(async () => {
      const a = await (await h.call(t, "/appmesh/app/every2")).json();
      return a.starts >= 2 && a.last_exit_time ? a : undefined;
    }, "two periodic runs");
    assert.ok(ran.last_start_time >= p.start_time);
    assert.ok(ran.next_start_time > ran.last_start_time);
    assert.equal((ran.next_start_time - p.start_time) % 2, 0, "on the interval's grid");
    assert.equal(await (await h.call(t, "/appmesh/app/every2/output")).text(), "tick\n");

    const iso = await put({ name: "iso", command: "true", start_interval_seconds: "PT1H" });
    assert.equal(iso.start_interval_seconds, "PT1H");
    const noRetention = await put({ name: "nr", command: "true", status: 0, retention: "0" });
    assert.equal(noRetention.retention, undefined, "a zero retention is not echoed");

    const cron = await put({
      name: "cron",
      command: "true",
      cron: true,
      start_interval_seconds: "0 0 3 * * *",
    });
    assert.equal(cron.cron, true);
    assert.equal(cron.start_interval_seconds, "0 0 3 * * *");
    assert.equal(cron.pid, undefined);
    const next = new Date(cron.next_start_time * 1000);
    assert.deepEqual([next.getHours(), next.getMinutes(), next.getSeconds()], [3, 0, 0]);
    assert.ok(cron.next_start_time > Date.now() / 1000);

    // Disabling stops the timer; enabling schedules again, without a start now.
    await h.call(t, "/appmesh/app/iso/disable", { method: "POST" });
    const off = await (await h.call(t, "/appmesh/app/iso")).json();
    assert.equal(off.next_start_time, undefined);
    await h.call(t, "/appmesh/app/iso/enable", { method: "POST" });
    const on = await (await h.call(t, "/appmesh/app/iso")).json();
    assert.equal(on.pid, undefined);
    assert.equal(typeof on.next_start_time, "number");
  } finally {
    await h.close();
  }
});

test("processes: a missing command file is a 400 and no process; a running one shows its usage", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const sync = await h.call(t, "/appmesh/app/syncrun", {
      method: "POST",
      ...json({ command: "/no/such/binary --flag" }),
    });
    assert.equal(sync.status, 400);
    assert.deepEqual(await body(sync), {
      message: "command file </no/such/binary> does not exist",
    });
    assert.deepEqual(await (await h.call(t, "/appmesh/applications")).json(), []);
    // Through a shell the line is the shell's business: exit 127, as before.
    const shell = await h.call(t, "/appmesh/app/syncrun", {
      method: "POST",
      ...json({ command: "/no/such/binary", shell: true }),
    });
    assert.equal(shell.headers.get("x-exit-code"), "127");

    // A registered app with a missing command file is kept, with the reason as last_error.
    const reg = await h.call(t, "/appmesh/app/missing", {
      method: "PUT",
      ...json({ name: "missing", command: "/no/such/binary" }),
    });
    assert.equal(reg.status, 200);
    const app = await reg.json();
    assert.equal(app.pid, undefined);
    assert.match(app.last_error, /command file <\/no\/such\/binary> does not exist/);

    // cpu, memory, fd and pstree of a running process tree.
    await h.call(t, "/appmesh/app/tree", {
      method: "PUT",
      ...json({ name: "tree", command: "sleep 30 & sleep 30; wait", shell: true }),
    });
    const running = await until(async () => {
      const a = await (await h.call(t, "/appmesh/app/tree")).json();
      // Both sleeps started: the shell forks them one after the other.
      return a.pid && (a.pstree?.match(/ sleep\b/g) ?? []).length >= 2 ? a : undefined;
    }, "the tree to run");
    assert.ok(running.memory > 0);
    assert.ok(running.fd >= 0);
    assert.ok(running.cpu >= 0);
    assert.match(running.pstree, new RegExp(`^${running.pid} `));
    assert.equal(running.pstree.split("\n").length, 3, running.pstree);
  } finally {
    await h.close();
  }
});

test("exit codes: posixExitCodes reports signal deaths as negative codes", async () => {
  const h = await harness({ posixExitCodes: true });
  try {
    const t = await h.login();
    const code = async (command: string, q = "") => {
      const r = await h.call(t, `/appmesh/app/syncrun${q}`, {
        method: "POST",
        ...json({ command, shell: true }),
      });
      await r.body?.cancel();
      return r.headers.get("x-exit-code");
    };
    assert.equal(await code("kill -9 $$"), "-9");
    assert.equal(await code("kill -TERM $$"), "-15");
    assert.equal(await code("sleep 30", "?timeout=1"), "-9");
    assert.equal(await code("exit 4"), "4");
    // A process killed from outside while an output long-poll waits.
    const run = await (await h.call(t, "/appmesh/app/run", {
      method: "POST",
      ...json({ command: "sleep 60" }),
    })).json();
    const app = await until(async () => {
      const a = await (await h.call(t, `/appmesh/app/${run.name}`)).json();
      return a.pid ? a : undefined;
    }, "pid");
    const poll = h.call(t, `/appmesh/app/${run.name}/output?timeout=60`);
    process.kill(app.pid, "SIGTERM");
    assert.equal((await poll).headers.get("x-exit-code"), "-15");
  } finally {
    await h.close();
  }
});
