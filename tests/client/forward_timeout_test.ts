// Forwarded requests (X-Target-Host) have a finite timeout of their own: a node that never
// answers fails the call, and a workflow step on it, instead of hanging them.
// @bun
// @node
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { test } from "../harness.ts";
import {
  AppMeshClient,
  AppMeshTimeoutError,
  DEFAULT_FORWARD_TIMEOUT,
  requestTimeout,
} from "../../src/client/mod.ts";
import { parseWorkflow, runWorkflow } from "../../src/workflow/mod.ts";

/** A server that accepts connections and never answers (nor completes a TLS handshake). */
async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("forward timeout: the default, bounded by timeout, plus the wait the request asks", () => {
  assert.equal(DEFAULT_FORWARD_TIMEOUT, 60_000);
  assert.equal(requestTimeout({ timeout: 300_000, forwarded: true }), 60_000);
  assert.equal(requestTimeout({ timeout: 300_000, forwarded: false }), 300_000);
  assert.equal(requestTimeout({ timeout: 10_000, forwarded: true }), 10_000);
  assert.equal(
    requestTimeout({ timeout: 300_000, forwardTimeout: 5_000, forwarded: true, wait: 7_000 }),
    12_000,
  );
});

test("forward timeout: a forwarded call to a node that never answers times out", async () => {
  const hole = await blackHole();
  const client = new AppMeshClient({
    baseUrl: hole.url,
    token: "x.y.z",
    timeout: 120_000,
    forwardTimeout: 400,
  });
  try {
    const t0 = Date.now();
    await assert.rejects(
      client.forNode("127.0.0.1:1").getApp("anything"),
      (e: unknown) => e instanceof AppMeshTimeoutError,
    );
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 300 && elapsed < 30_000, `timed out after ${elapsed} ms`);
    // The same client with X-Target-Host from the options is a forwarded call too.
    const fwd = new AppMeshClient({
      baseUrl: hole.url,
      token: "x.y.z",
      timeout: 120_000,
      forwardTo: "127.0.0.1:1",
      forwardTimeout: 400,
    });
    await assert.rejects(fwd.getApp("anything"), (e: unknown) => e instanceof AppMeshTimeoutError);
    await fwd.close();
    // A call to the base URL's own node is not forwarded: the client's timeout governs it.
    const direct = new AppMeshClient({
      baseUrl: hole.url,
      token: "x.y.z",
      timeout: 1_500,
      forwardTimeout: 100,
    });
    const t1 = Date.now();
    await assert.rejects(
      direct.getApp("anything"),
      (e: unknown) => e instanceof AppMeshTimeoutError,
    );
    assert.ok(Date.now() - t1 >= 1_400, `timed out after ${Date.now() - t1} ms, not 1 500`);
    await direct.close();
  } finally {
    await client.close();
    await hole.close();
  }
});

test("forward timeout: a workflow step on a node that never answers fails, it does not hang", async () => {
  const hole = await blackHole();
  const client = new AppMeshClient({ baseUrl: hole.url, token: "x.y.z", forwardTimeout: 400 });
  try {
    const wf = parseWorkflow(`
name: unreachable
steps:
  - id: look
    get_app: { name: anything }
`);
    const t0 = Date.now();
    const report = await runWorkflow(wf, { client, nodes: ["127.0.0.1:1"] });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 30_000, `the run took ${elapsed} ms`);
    const step = report.nodes[0].steps.find((s) => s.id === "look")!;
    assert.equal(step.status, "failure");
    assert.match(step.error ?? "", /time/i);
  } finally {
    await client.close();
    await hole.close();
  }
});
