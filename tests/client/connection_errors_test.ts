// A connection cut by the server (a reset, a restart mid-handshake) is a connection error, never
// a "TLS failure", and the error names the URL once. (try/finally rather than `await using`:
// Node 22's type stripping does not parse it.)
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import {
  AppMeshAuthError,
  AppMeshClient,
  AppMeshConnectionError,
  AppMeshTlsError,
} from "../../mod.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

test("client: a server that cuts every connection is a connection error, URL named once", async () => {
  const server = await startDevServer();
  // Accepts, then drops the connection: what a client sees while a server restarts.
  const cutter = createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve) => cutter.listen(0, "127.0.0.1", resolve));
    const port = (cutter.address() as { port: number }).port;
    for (const ca of [server.caFile, undefined]) {
      const client = new AppMeshClient({ baseUrl: `https://127.0.0.1:${port}`, ca });
      try {
        const e = await client.listApps().then(() => undefined, (e) => e);
        assert.ok(e instanceof AppMeshConnectionError, String(e));
        assert.ok(!(e instanceof AppMeshTlsError), `reported as a TLS failure: ${e.message}`);
        assert.equal(e.message.split(e.url).length - 1, 1, e.message);
      } finally {
        await client.close();
      }
    }
  } finally {
    if (cutter.listening) await new Promise((resolve) => cutter.close(resolve));
    await server.close();
  }
});

test("client: an untrusted certificate is a TLS error that says how to give the CA", async () => {
  const server = await startDevServer();
  const client = new AppMeshClient({ baseUrl: server.urls[0] });
  try {
    const e = await client.listApps().then(() => undefined, (e) => e);
    assert.ok(e instanceof AppMeshTlsError, String(e));
    assert.match(e.message, /--ca FILE or \$APPMESH_CA/);
  } finally {
    await client.close();
    await server.close();
  }
});

test("client: before any login, a cookie file in a folder not made yet gives the server's 401", async () => {
  const server = await startDevServer();
  const dir = await mkdtemp(join(tmpdir(), "appmesh-nofolder-"));
  const client = new AppMeshClient({
    baseUrl: server.urls[0],
    ca: server.caFile,
    cookieFile: join(dir, "not-yet", "cookies.txt"),
  });
  try {
    const e = await client.listApps().then(() => undefined, (e) => e);
    assert.ok(e instanceof AppMeshAuthError, String(e));
    assert.equal(e.status, 401);
  } finally {
    await client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
