// Applications, runs and tasks end to end.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { AppMeshAuthError, AppMeshError, AppMeshHttpError, AppRun } from "../../src/client/mod.ts";
import { fixture, shellWorker, uniq, until } from "./_helpers.ts";

test("apps: add, get, list, enable, disable, health, delete (false on 404)", async () => {
  const f = await fixture();
  try {
    const c = f.client;
    const added = await c.addApp({
      name: "sleeper",
      command: "sleep 30",
      behavior: { exit: "standby" },
    });
    assert.equal(added.name, "sleeper");
    assert.equal(added.owner, "admin");
    assert.equal((await c.getApp("sleeper")).command, "sleep 30");
    assert.ok((await c.listApps()).some((a) => a.name === "sleeper"));
    await c.disableApp("sleeper");
    assert.equal((await c.getApp("sleeper")).status, 0);
    await c.enableApp("sleeper");
    assert.equal((await c.getApp("sleeper")).status, 1);
    assert.equal(typeof await c.checkAppHealth("sleeper"), "boolean");
    assert.equal(await c.deleteApp("sleeper"), true);
    assert.equal(await c.deleteApp("sleeper"), false);
    await assert.rejects(c.getApp("sleeper"), (e: unknown) => {
      assert.ok(e instanceof AppMeshHttpError);
      assert.equal(e.status, 404);
      assert.equal(e.serverMessage, "No such application");
      assert.match(e.message, /GET \/appmesh\/app\/sleeper: HTTP 404 No such application/);
      return true;
    });
  } finally {
    await f.close();
  }
});

test("names with '/', '..', spaces and unicode are encoded into one path segment", async () => {
  const f = await fixture();
  try {
    const c = f.client;
    for (
      const name of ["a b", "ünï-cødé", "x/y", "../applications", "..%2Fz", "../../appmesh/labels"]
    ) {
      // The app endpoint answers (404 for the unknown app), never another endpoint.
      await assert.rejects(c.getApp(name), (e: unknown) => {
        assert.ok(e instanceof AppMeshHttpError);
        assert.equal(e.status, 404);
        assert.equal(e.serverMessage, "No such application");
        assert.equal(e.path, `/appmesh/app/${encodeURIComponent(name)}`);
        return true;
      });
      assert.equal(await c.deleteApp(name), false);
      await c.addLabel(name, "v w&x=y");
      assert.equal((await c.listLabels())[name], "v w&x=y");
      await c.deleteLabel(name);
      assert.equal((await c.listLabels())[name], undefined);
    }
    const invalid = (e: unknown) => e instanceof AppMeshError && e.code === "INVALID_NAME";
    await assert.rejects(c.getApp(".."), invalid);
    await assert.rejects(c.deleteApp("."), invalid);
  } finally {
    await f.close();
  }
});

test("runAppSync: exit code and text output; JSON-looking output stays text", async () => {
  const f = await fixture();
  try {
    const r = await f.client.runAppSync("echo out; echo err >&2; exit 7", { maxTime: 30 });
    assert.equal(r.exitCode, 7);
    assert.equal(r.output, "out\nerr\n");
    const j = await f.client.runAppSync({ command: `echo '{"a":1}'`, shell: true }, {
      maxTime: "PT30S",
    });
    assert.equal(j.output, '{"a":1}\n');
    assert.equal(j.exitCode, 0);
    // As App Mesh 2.2.1 reports it: a signal death on its own is exit code 0.
    const killed = await f.client.runAppSync("kill -9 $$", { maxTime: 30 });
    assert.equal(killed.exitCode, 0);
  } finally {
    await f.close();
  }
});

test("runAppAsync + wait: onOutput, exit code, run app deleted after the exit", async () => {
  const f = await fixture();
  try {
    const run = await f.client.runAppAsync("echo one; sleep 1; echo two; exit 3", {
      maxTime: 60,
      lifecycle: 120,
    });
    assert.ok(run instanceof AppRun);
    assert.equal(run.node, undefined);
    let seen = "";
    const code = await run.wait({ onOutput: (s) => (seen += s) });
    assert.equal(code, 3);
    assert.equal(seen, "one\ntwo\n");
    assert.ok(!(await f.client.listApps()).some((a) => a.name === run.appName));

    const killed = await f.client.runAppAsync("kill -9 $$");
    assert.equal(await killed.wait(), 0); // a signal death: 0 as the daemon reports it, no error

    const kept = await f.client.runAppAsync("exit 0");
    assert.equal(await f.client.waitForAsyncRun(kept, { deleteApp: false }), 0);
    assert.ok((await f.client.listApps()).some((a) => a.name === kept.appName));
  } finally {
    await f.close();
  }
});

test("wait: timeout resolves undefined and leaves the app; an AbortSignal cancels", async () => {
  const f = await fixture();
  try {
    const run = await f.client.runAppAsync("sleep 30");
    assert.equal(await run.wait({ timeout: 1500 }), undefined);
    assert.ok((await f.client.listApps()).some((a) => a.name === run.appName));
    // Cancelled while it waits: once its output long-poll is in flight at the server.
    const polls = async () => {
      const line = (await f.client.getMetrics()).split("\n").find((l) =>
        l.startsWith("appmesh_http_requests_in_flight{") && l.includes('method="GET"') &&
        l.includes('route="/appmesh/app/:param/output"')
      );
      return Number(line?.split(" ").pop() ?? 0);
    };
    const before = await polls();
    const ctl = new AbortController();
    const waiting = run.wait({ signal: ctl.signal });
    await until(async () => await polls() > before, "the wait's long-poll at the server");
    ctl.abort(new Error("stop waiting"));
    await assert.rejects(waiting, /stop waiting/);
    assert.ok((await f.client.listApps()).some((a) => a.name === run.appName));
  } finally {
    await f.close();
  }
});

test("getAppOutput: positions, long-poll, exit code; raises on an unknown process", async () => {
  const f = await fixture();
  try {
    const run = await f.client.runAppAsync("echo line1; sleep 1; echo line2; exit 2");
    let pos = 0;
    let text = "";
    let exit: number | undefined;
    while (exit === undefined) {
      const out = await f.client.getAppOutput(run.appName, {
        stdoutPosition: pos,
        processUuid: run.processUuid,
        timeout: 5,
      });
      assert.equal(out.status, 200);
      text += out.output;
      pos = out.outPosition ?? pos;
      exit = out.exitCode;
    }
    assert.equal(text, "line1\nline2\n");
    assert.equal(exit, 2);
    await assert.rejects(
      f.client.getAppOutput(run.appName, { processUuid: "nope" }),
      (e: unknown) => e instanceof AppMeshHttpError && e.status === 417,
    );
  } finally {
    await f.close();
  }
});

test("runTask and cancelTask (false on 208)", async () => {
  const f = await fixture();
  try {
    const name = uniq("worker");
    const worker = shellWorker("done");
    await f.client.addApp({
      name,
      command: worker,
      shell: true,
      env: { URL: f.server.urls[0], CA: f.server.caFile! },
    });
    await until(async () => (await f.client.getApp(name)).task_status === "idle", "worker idle");
    assert.equal(await f.client.runTask(name, '{"a":1}', { timeout: 20 }), 'done:{"a":1}');
    assert.equal(await f.client.runTask(name, "plain", { timeout: "PT20S" }), "done:plain");
    assert.equal(await f.client.cancelTask(name), false);
    await assert.rejects(
      f.client.cancelTask(uniq("missing")),
      (e: unknown) => e instanceof AppMeshHttpError && e.status === 404,
    );
    await f.client.deleteApp(name);
  } finally {
    await f.close();
  }
});

test("runAppSync and getAppOutput raise on 401 and 5xx instead of returning an error page", async () => {
  const f = await fixture();
  try {
    const anon = f.newClient();
    await assert.rejects(
      anon.runAppSync("echo x"),
      (e: unknown) => e instanceof AppMeshAuthError && e.status === 401,
    );
    await assert.rejects(
      anon.getAppOutput("x"),
      (e: unknown) => e instanceof AppMeshAuthError && e.status === 401,
    );
    f.server.setFaults({ errorRate: 1, paths: ["/appmesh/app/syncrun", "/appmesh/app/x/output"] });
    // One call at a time: a second rejected promise nobody awaits yet is an unhandled rejection.
    for (const call of [() => f.client.runAppSync("echo x"), () => f.client.getAppOutput("x")]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof AppMeshHttpError && !(e instanceof AppMeshAuthError));
        assert.equal(e.status, 503);
        assert.equal(e.serverMessage, "Injected fault");
        return true;
      });
    }
  } finally {
    await f.close();
  }
});

test("wait: a failing best-effort deleteApp never hides the exit code", async () => {
  const f = await fixture();
  const { createFetch } = await import("../../src/runtime/tls.ts");
  const tls = await createFetch({ ca: f.server.caPem });
  try {
    // The network fails for DELETE only: the run's cleanup cannot succeed.
    const failingDelete: typeof fetch = (input, init) =>
      init?.method === "DELETE"
        ? Promise.reject(new TypeError("connection reset by peer"))
        : tls.fetch(input, init);
    const warnings: string[] = [];
    const c = f.newClient({
      fetch: failingDelete,
      token: f.client.token,
      logger: { warn: (m) => warnings.push(m) },
    });
    const run = await c.runAppAsync("exit 9");
    assert.equal(await run.wait(), 9);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /could not delete run app .*connection reset/);
    assert.ok((await f.client.listApps()).some((a) => a.name === run.appName));
  } finally {
    tls.close();
    await f.close();
  }
});

test("cancelTask: true when a task was pending (its runTask then fails)", async () => {
  const f = await fixture();
  try {
    const name = uniq("silent");
    const silent =
      `curl -sf --cacert "$CA" "$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY"; sleep 60`;
    await f.client.addApp({
      name,
      command: silent,
      shell: true,
      env: { URL: f.server.urls[0], CA: f.server.caFile! },
    });
    await until(async () => (await f.client.getApp(name)).task_status === "idle", "worker idle");
    const pending = f.client.runTask(name, "never answered", { timeout: 60 }).catch((e) => e);
    await until(async () => (await f.client.getApp(name)).task_status === "busy", "task in flight");
    assert.equal(await f.client.cancelTask(name), true);
    assert.ok((await pending) instanceof AppMeshHttpError);
    await f.client.deleteApp(name);
  } finally {
    await f.close();
  }
});
