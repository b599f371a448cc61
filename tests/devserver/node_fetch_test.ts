// A node answers through its fetch pipeline alone, without a socket: login, a token-checked
// route, an app run, X-Target-Host forwarding to a node that has no listener, injected faults.
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { FaultState } from "../../src/devserver/faults.ts";
import { Identity } from "../../src/devserver/identity.ts";
import { createNodeState } from "../../src/devserver/node_state.ts";
import { type Mesh, type ServedNode, serveNode } from "../../src/devserver/pipeline.ts";
import { allRoutes, Router } from "../../src/devserver/routes.ts";

/** Two nodes on made-up ports, served in this process only. */
async function socketlessMesh(): Promise<
  { mesh: Mesh; nodes: ServedNode[]; close(): Promise<void> }
> {
  const stateDir = await mkdtemp(join(tmpdir(), "appmesh-node-fetch-"));
  const faults = new FaultState();
  const identity = await Identity.create({ jwtKey: crypto.getRandomValues(new Uint8Array(32)) });
  const shared = { identity, tls: false, legacyCsrf: false };
  const nodes: ServedNode[] = [];
  const mesh: Mesh = { router: new Router(allRoutes()), faults, nodes, bindHost: "127.0.0.1" };
  for (const port of [7101, 7102]) {
    const state = createNodeState(
      { name: `127.0.0.1:${port}`, port, stateDir },
      shared,
      { host: "127.0.0.1", issuer: identity.tokens.issuer, verifyClient: false },
    );
    nodes.push(serveNode(mesh, state));
  }
  return {
    mesh,
    nodes,
    close: async () => {
      faults.cancelAll();
      await Promise.allSettled(nodes.map((n) => n.state.apps.close()));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

test("node fetch: a node answers a Request with a Response, no listener involved", async () => {
  const { mesh, nodes: [first, second], close } = await socketlessMesh();
  try {
    const base = "http://127.0.0.1:7101";
    const login = await first.fetch(
      new Request(`${base}/appmesh/login`, {
        method: "POST",
        headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
      }),
    );
    assert.equal(login.status, 200);
    const { access_token: token } = await login.json() as { access_token: string };
    const auth = { Authorization: `Bearer ${token}` };

    const anonymous = await first.fetch(new Request(`${base}/appmesh/labels`));
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    const run = await first.fetch(
      new Request(`${base}/appmesh/app/syncrun?timeout=10`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ command: "echo hi", shell: true }),
      }),
    );
    assert.equal(run.status, 200);
    assert.equal(await run.text(), "hi\n");
    assert.equal(run.headers.get("x-exit-code"), "0");

    // Forwarded to the second node, which has no socket: its own labels change, not the first's.
    const put = await first.fetch(
      new Request(`${base}/appmesh/label/zone?value=b`, {
        method: "PUT",
        headers: { ...auth, "X-Target-Host": "127.0.0.1:7102" },
      }),
    );
    assert.equal(put.status, 200);
    await put.body?.cancel();
    assert.equal(second.state.system.labels.get("zone"), "b");
    assert.equal(first.state.system.labels.get("zone"), undefined);
    const gone = await first.fetch(
      new Request(`${base}/appmesh/labels`, {
        headers: { ...auth, "X-Target-Host": "127.0.0.1:7999" },
      }),
    );
    assert.equal(gone.status, 502);
    await gone.body?.cancel();

    // Faults belong to fetch; serve (what forwarding reaches) answers without them.
    mesh.faults.set({ errorRate: 1 });
    const failed = await first.fetch(new Request(`${base}/appmesh/labels`, { headers: auth }));
    assert.equal(failed.status, 503);
    assert.deepEqual(await failed.json(), { message: "Injected fault" });
    const direct = await first.serve(new Request(`${base}/appmesh/labels`, { headers: auth }));
    assert.equal(direct.status, 200);
    await direct.body?.cancel();
  } finally {
    await close();
  }
});
