// client.loginIfNeeded: a login only when the cookie file holds no valid session of that user.
// (try/finally rather than `await using`: Node 22's type stripping does not parse it.)
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../mod.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

test("client: loginIfNeeded reuses, renews or logs in, and says which", async () => {
  const logins: string[] = [];
  const server = await startDevServer({
    logger: (line) => {
      if (/ POST \/appmesh\/(login|token\/renew) /.test(line)) logins.push(line.split(" ")[2]);
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "appmesh-login-if-needed-"));
  const options = { baseUrl: server.urls[0], ca: server.caFile, cookieFile: join(dir, "c.txt") };
  const session = async (fn: (c: AppMeshClient) => Promise<string>) => {
    const client = new AppMeshClient(options);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };
  try {
    assert.equal(await session((c) => c.loginIfNeeded("admin", "admin123")), "performed");
    assert.equal(await session((c) => c.loginIfNeeded("admin", "admin123")), "reused");
    assert.deepEqual(logins, ["/appmesh/login"]);
    // Another user's token is not reused.
    assert.equal(await session((c) => c.loginIfNeeded("mesh", "mesh123")), "performed");
    assert.equal(await session((c) => c.loginIfNeeded("mesh", "mesh123")), "reused");
    // A token past half of the lifetime asked for is renewed, not replaced by a login.
    await session(async (c) => {
      await c.login("admin", "admin123", { expire: 600 });
      return "";
    });
    assert.equal(
      await session((c) => c.loginIfNeeded("admin", "admin123", { expire: "P1D" })),
      "renewed",
    );
    assert.deepEqual(logins, [
      "/appmesh/login",
      "/appmesh/login",
      "/appmesh/login",
      "/appmesh/token/renew",
    ]);
    // The renewed session works, and a next run reuses it.
    const apps = await session(async (c) => {
      assert.equal(await c.loginIfNeeded("admin", "admin123", { expire: "P1D" }), "reused");
      return String((await c.listApps()).length);
    });
    assert.match(apps, /^\d+$/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
