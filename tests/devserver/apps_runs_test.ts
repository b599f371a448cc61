// Runs over real HTTPS: syncrun, async run, output positions, long-poll, signals, lifecycle, history.
// @bun
// @node
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "../harness.ts";
import { body, harness, json, until } from "./_util.ts";

test("runs: syncrun answers 200 with merged output, X-Exit-Code 7 and X-Output-Position", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const res = await h.call(t, "/appmesh/app/syncrun?timeout=10", {
      method: "POST",
      ...json({ command: "echo out; echo err >&2; exit 7", shell: true }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("x-exit-code"), "7");
    assert.equal(res.headers.get("x-output-position"), "8");
    assert.equal(await res.text(), "out\nerr\n");
    // The run app is gone once answered.
    assert.deepEqual(await (await h.call(t, "/appmesh/applications")).json(), []);

    const killed = await h.call(t, "/appmesh/app/syncrun?timeout=10", {
      method: "POST",
      ...json({ command: "kill -9 $$", shell: true }),
    });
    // As the daemon: a process that dies of a signal on its own reports 0.
    assert.equal(killed.headers.get("x-exit-code"), "0");
    assert.equal(killed.headers.get("x-output-position"), "0");
    assert.equal(await killed.text(), "");

    // Not a shell: the line is split honouring quotes; env and working_dir apply.
    const argv = await h.call(t, "/appmesh/app/syncrun", {
      method: "POST",
      ...json({
        command:
          `python3 -c "import os,sys; print(sys.argv[1:], os.getcwd(), os.environ['GREETING'])" 'a b' c`,
        env: { GREETING: "hello" },
        working_dir: "/tmp",
      }),
    });
    assert.equal(await argv.text(), "['a b', 'c'] /tmp hello\n");

    // timeout kills the process: the daemon's own kill, reported as 9.
    const slow = await h.call(t, "/appmesh/app/syncrun?timeout=1", {
      method: "POST",
      ...json({ command: "echo begin; sleep 30", shell: true }),
    });
    assert.equal(slow.headers.get("x-exit-code"), "9");
    assert.equal(await slow.text(), "begin\n");

    const none = await h.call(t, "/appmesh/app/syncrun", {
      method: "POST",
      ...json({ shell: true }),
    });
    assert.equal(none.status, 400);
    assert.deepEqual(await body(none), { message: "Should specify command run application" });
  } finally {
    await h.close();
  }
});

test("runs: async run, output by position, long-poll held until the exit, wrong uuid 417", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const res = await h.call(t, "/appmesh/app/run?timeout=30&lifecycle=60", {
      method: "POST",
      ...json({
        command: "echo line1; read x < /dev/null; sleep 1; echo line2; exit 3",
        shell: true,
      }),
    });
    assert.equal(res.status, 200);
    const run = await res.json();
    assert.deepEqual(Object.keys(run), ["name", "process_uuid"]);
    const out = (q: string) =>
      h.call(t, `/appmesh/app/${run.name}/output?process_uuid=${run.process_uuid}${q}`);

    // Without timeout: what is there now (line1 once it is written), no exit code yet.
    let first: Response | undefined;
    const firstText = await until(async () => {
      first = await out("");
      return await first.text();
    }, "line1");
    assert.equal(firstText, "line1\n");
    assert.equal(first!.headers.get("x-output-position"), "6");
    assert.equal(first!.headers.get("x-exit-code"), null);

    // Long-poll from 0: as the daemon, held until the exit (not answered at the first line),
    // then answered once with everything since the position and the exit code.
    const r = await out("&timeout=20");
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "line1\nline2\n");
    assert.equal(r.headers.get("x-output-position"), "12");
    assert.equal(r.headers.get("x-exit-code"), "3");

    const wrong = await h.call(t, `/appmesh/app/${run.name}/output?process_uuid=nope`);
    assert.equal(wrong.status, 417);
    assert.equal(await wrong.text(), "");
    const wrongWait = await h.call(
      t,
      `/appmesh/app/${run.name}/output?process_uuid=nope&timeout=30`,
    );
    assert.equal(wrongWait.status, 417);
    const pastEnd = await out("&stdout_position=999");
    assert.equal(pastEnd.status, 417);

    // The run app stays listed after the exit until its lifecycle ends.
    const listed = await (await h.call(t, `/appmesh/app/${run.name}`)).json();
    assert.equal(listed.status, 2);
    assert.equal(listed.return_code, 3);
    assert.equal((await h.call(t, "/appmesh/app/no-app/output")).status, 404);
  } finally {
    await h.close();
  }
});

test("runs: a long-poll parked on a silent process returns when it is killed from outside (0)", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const run = await (await h.call(t, "/appmesh/app/run", {
      method: "POST",
      ...json({ command: "sleep 60" }),
    })).json();
    const app = await until(async () => {
      const a = await (await h.call(t, `/appmesh/app/${run.name}`)).json();
      return a.pid ? a : undefined;
    }, "pid");
    const poll = h.call(
      t,
      `/appmesh/app/${run.name}/output?process_uuid=${run.process_uuid}&timeout=60`,
    );
    // Other requests are served while the long-poll waits.
    assert.equal((await h.call(t, "/appmesh/applications")).status, 200);
    process.kill(app.pid, "SIGTERM");
    const r = await poll;
    // As the daemon: a signal death from outside reports 0.
    assert.equal(r.headers.get("x-exit-code"), "0");
    assert.equal(r.headers.get("x-output-position"), null);
    assert.equal(await r.text(), "");
  } finally {
    await h.close();
  }
});

test("runs: lifecycle removes the run app; running an existing app by name makes name_1", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const run = await (await h.call(t, "/appmesh/app/run?timeout=1&lifecycle=1", {
      method: "POST",
      ...json({ command: "true" }),
    })).json();
    assert.equal((await h.call(t, `/appmesh/app/${run.name}`)).status, 200);
    await until(
      async () => (await h.call(t, `/appmesh/app/${run.name}`)).status === 404,
      "lifecycle end",
    );

    await h.call(t, "/appmesh/app/base", {
      method: "PUT",
      ...json({ name: "base", command: "sh -c 'echo $WHO'", env: { WHO: "base" }, status: 0 }),
    });
    const copy = await h.call(t, "/appmesh/app/syncrun", {
      method: "POST",
      ...json({ name: "base", env: { WHO: "copy" } }),
    });
    assert.equal(await copy.text(), "copy\n");
    const r2 =
      await (await h.call(t, "/appmesh/app/run", { method: "POST", ...json({ name: "base" }) }))
        .json();
    assert.match(r2.name, /^base_\d+$/);
    const withCmd = await h.call(t, "/appmesh/app/run", {
      method: "POST",
      ...json({ name: "base", command: "ls" }),
    });
    assert.equal(withCmd.status, 400);
    assert.deepEqual(await withCmd.json(), {
      message: "Should not specify command for an existing application <base>",
    });
    const zero = await h.call(t, "/appmesh/app/run?timeout=0&lifecycle=0", {
      method: "POST",
      ...json({ command: "true" }),
    });
    assert.equal(zero.status, 400);
  } finally {
    await h.close();
  }
});

test("runs: stdout_cache_num keeps previous runs at stdout_index 1, 2; stdout_maxsize bounds a read", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    await h.call(t, "/appmesh/app/hist", {
      method: "PUT",
      ...json({
        name: "hist",
        command: `python3 -c "import time; print('run', int(time.time()*1000)); print('x'*3000)"`,
        stdout_cache_num: 2,
      }),
    });
    const exited = (starts: number) =>
      until(async () => {
        const a = await (await h.call(t, "/appmesh/app/hist")).json();
        return a.starts === starts && a.return_code === 0 && !a.pid ? a : undefined;
      }, `run ${starts} to exit`);
    await exited(1);
    for (const n of [2, 3, 4]) {
      // A standby app runs again when disabled and enabled.
      await h.call(t, "/appmesh/app/hist/disable", { method: "POST" });
      await h.call(t, "/appmesh/app/hist/enable", { method: "POST" });
      await exited(n);
    }
    const app = await (await h.call(t, "/appmesh/app/hist")).json();
    assert.equal(app.stdout_cache_size, 3);
    const read = async (index: number) => {
      const r = await h.call(t, `/appmesh/app/hist/output?stdout_index=${index}`);
      return { status: r.status, text: await r.text() };
    };
    const runs = [];
    for (const i of [0, 1, 2]) {
      const r = await read(i);
      assert.equal(r.status, 200, `index ${i}`);
      runs.push(Number(/^run (\d+)/.exec(r.text)![1]));
    }
    assert.ok(runs[0] > runs[1] && runs[1] > runs[2], `newest first: ${runs}`);
    assert.equal((await read(3)).status, 417);
    const small = await h.call(t, "/appmesh/app/hist/output?stdout_index=1&stdout_maxsize=1024");
    assert.equal((await small.arrayBuffer()).byteLength, 1024);
    assert.equal(small.headers.get("x-output-position"), "1024");
  } finally {
    await h.close();
  }
});
