// Real processes and the server's lifetime: close() kills every child (and its children).
// @bun
// @node
import assert from "node:assert/strict";
import process from "node:process";
import { test } from "../harness.ts";
import { harness, json } from "./_util.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("processes: close() kills running apps, their process trees and pending runs", async () => {
  const h = await harness();
  let pids: number[] = [];
  try {
    const t = await h.login();
    await h.call(t, "/appmesh/app/svc", {
      method: "PUT",
      ...json({ name: "svc", command: "sleep 300 & echo $! ; wait", shell: true }),
    });
    const run = await (await h.call(t, "/appmesh/app/run", {
      method: "POST",
      ...json({ command: "sleep 300" }),
    })).json();
    const out = await h.call(t, "/appmesh/app/svc/output?timeout=10");
    const child = Number((await out.text()).trim());
    const svc = await (await h.call(t, "/appmesh/app/svc")).json();
    const one = await (await h.call(t, `/appmesh/app/${run.name}`)).json();
    pids = [svc.pid, child, one.pid];
    assert.ok(pids.every((p) => Number.isInteger(p) && alive(p)), `${pids}`);
  } finally {
    await h.close();
  }
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(pids.filter(alive), []);
});
