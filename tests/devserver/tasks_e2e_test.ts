// Tasks end to end: real curl and python workers fetch and answer tasks by their process key.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { body, harness, json, until } from "./_util.ts";

/** A worker in shell: fetches each task with curl and answers "done:<payload>". */
const SHELL_WORKER = `
task="$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY"
while true; do
  payload=$(curl -sf --cacert "$CA" "$task") || { sleep 0.1; continue; }
  printf 'done:%s' "$payload" | curl -sf --cacert "$CA" -X PUT --data-binary @- "$task"
done`;

/** The same in Python (standard library only). */
const PY_WORKER = `
import os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ["CA"])
url = "%s/appmesh/app/%s/task?process_key=%s" % (os.environ["URL"], os.environ["APP_MESH_APPLICATION_NAME"], os.environ["APP_MESH_PROCESS_KEY"])
while True:
    payload = urllib.request.urlopen(url, context=ctx).read()
    req = urllib.request.Request(url, data=payload.upper(), method="PUT")
    urllib.request.urlopen(req, context=ctx).read()
`;

test("tasks: a real curl worker fetches each task by its process key and answers it", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    const env = { URL: h.url, CA: h.server.caFile! };
    await h.call(t, "/appmesh/app/worker", {
      method: "PUT",
      ...json({ name: "worker", command: SHELL_WORKER, shell: true, env }),
    });
    await until(
      async () => (await (await h.call(t, "/appmesh/app/worker")).json()).task_status === "idle",
      "worker idle",
    );
    for (const payload of ["hello", '{"a":1}', "third"]) {
      const res = await h.call(t, "/appmesh/app/worker/task?timeout=20", {
        method: "POST",
        body: payload,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/octet-stream");
      assert.equal(await res.text(), `done:${payload}`);
    }
    const app = await (await h.call(t, "/appmesh/app/worker")).json();
    assert.equal(app.task_id, 3);
    // Nothing in flight: 208.
    const cancel = await h.call(t, "/appmesh/app/worker/task", { method: "DELETE" });
    assert.equal(cancel.status, 208);

    await h.call(t, "/appmesh/app/pyworker", {
      method: "PUT",
      ...json({ name: "pyworker", command: `python3 -u -c '${PY_WORKER}'`, shell: true, env }),
    });
    await until(
      async () => (await (await h.call(t, "/appmesh/app/pyworker")).json()).task_status === "idle",
      "python idle",
    );
    const [a, b] = await Promise.all([
      h.call(t, "/appmesh/app/pyworker/task", { method: "POST", body: "one" }),
      h.call(t, "/appmesh/app/pyworker/task", { method: "POST", body: "two" }),
    ]);
    assert.deepEqual([await a.text(), await b.text()], ["ONE", "TWO"]);
  } finally {
    await h.close();
  }
});

test("tasks: timeout 408, cancel 200 → client 417, no process 400, wrong key 412, missing app 404", async () => {
  const h = await harness();
  try {
    const t = await h.login();
    // A worker that takes its task and never answers.
    const env = { URL: h.url, CA: h.server.caFile! };
    const SILENT =
      `curl -sf --cacert "$CA" "$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY"; sleep 60`;
    await h.call(t, "/appmesh/app/silent", {
      method: "PUT",
      ...json({ name: "silent", command: SILENT, shell: true, env }),
    });
    await until(
      async () => (await (await h.call(t, "/appmesh/app/silent")).json()).task_status === "idle",
      "idle",
    );
    // The task in flight (fetched, unanswered) is cancelled: 200, and its client gets 417.
    const waiting = h.call(t, "/appmesh/app/silent/task?timeout=30", { method: "POST", body: "y" });
    await until(
      async () => (await (await h.call(t, "/appmesh/app/silent")).json()).task_status === "busy",
      "busy",
    );
    const cancel = await h.call(t, "/appmesh/app/silent/task", { method: "DELETE" });
    assert.equal(cancel.status, 200);
    assert.equal((await waiting).status, 417);
    assert.equal((await h.call(t, "/appmesh/app/silent/task", { method: "DELETE" })).status, 208);

    // Nobody fetches any more: the next task times out.
    const late = await h.call(t, "/appmesh/app/silent/task?timeout=1", {
      method: "POST",
      body: "x",
    });
    assert.equal(late.status, 408);
    assert.equal(await late.text(), "");

    // A client waiting when the process stops gets 417.
    const pending = h.call(t, "/appmesh/app/silent/task?timeout=30", { method: "POST", body: "z" });
    await until(
      async () => (await (await h.call(t, "/appmesh/app/silent")).json()).task_status === "busy",
      "queued",
    );
    await h.call(t, "/appmesh/app/silent/disable", { method: "POST" });
    assert.equal((await pending).status, 417);
    const noProc = await h.call(t, "/appmesh/app/silent/task", { method: "POST", body: "w" });
    assert.equal(noProc.status, 400);
    assert.deepEqual(await body(noProc), { message: "No process running" });

    const wrongKey = await h.fetch(`${h.url}/appmesh/app/silent/task?process_key=nope`);
    assert.equal(wrongKey.status, 412);
    assert.deepEqual(await body(wrongKey), { message: "Process key mismatch" });
    const missing = await h.call(t, "/appmesh/app/no-such-app/task", { method: "DELETE" });
    assert.equal(missing.status, 404);
    assert.deepEqual(await body(missing), { message: "No such application" });
    const mesh = await h.login("mesh", "mesh123");
    const denied = await h.call(mesh, "/appmesh/app/silent/task", { method: "POST", body: "v" });
    assert.equal(denied.status, 400);
  } finally {
    await h.close();
  }
});
