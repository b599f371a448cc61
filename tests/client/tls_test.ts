// TLS options: CA as path or PEM, client certificate (mTLS), verification off with a warning.
// @bun
// @node
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../harness.ts";
import { AppMeshClient, AppMeshConnectionError } from "../../src/client/mod.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

test("CA given as a path and as PEM text both verify the server", async () => {
  const server = await startDevServer();
  try {
    for (const ca of [server.caFile!, server.caPem!]) {
      const c = new AppMeshClient({ baseUrl: server.urls[0], ca });
      await c.login("admin", "admin123");
      assert.equal((await c.getCurrentUser()).name, "admin");
      await c.close();
    }
  } finally {
    await server.close();
  }
});

test("mTLS: refused without a client certificate, accepted with one (path or PEM)", async () => {
  const server = await startDevServer({ verifyClient: true });
  try {
    const bare = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
    await assert.rejects(bare.login("admin", "admin123"), AppMeshConnectionError);
    await bare.close();
    const byPath = new AppMeshClient({
      baseUrl: server.urls[0],
      ca: server.caFile,
      cert: server.clientCertFile,
      key: server.clientKeyFile,
    });
    await byPath.login("admin", "admin123");
    assert.equal((await byPath.getCurrentUser()).name, "admin");
    await byPath.close();
    const byPem = new AppMeshClient({
      baseUrl: server.urls[0],
      ca: server.caPem,
      cert: await readFile(server.clientCertFile!, "utf8"),
      key: await readFile(server.clientKeyFile!, "utf8"),
    });
    await byPem.login("admin", "admin123");
    await byPem.close();
  } finally {
    await server.close();
  }
});

test("verify: false talks to an unknown CA and warns once through the logger", async () => {
  const server = await startDevServer();
  try {
    const warnings: string[] = [];
    const c = new AppMeshClient({
      baseUrl: server.urls[0],
      verify: false,
      logger: { warn: (m) => warnings.push(m) },
    });
    await c.login("admin", "admin123");
    await c.listApps();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /verification is OFF/);
    await c.close();
  } finally {
    await server.close();
  }
});
