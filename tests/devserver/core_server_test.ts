// The server core over real HTTPS: TLS, headers, 404s, persistence, concurrency, close, mTLS.
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { describeDevServer, startDevServer } from "../../src/devserver/mod.ts";
import { body, boundFetch, harness } from "./_util.ts";

const STANDARD = {
  "access-control-allow-headers": "Authorization, Content-Type",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-origin": "*",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
};

test("core: HTTPS verified with the generated CA, daemon headers and 404s", async () => {
  const h = await harness();
  try {
    assert.ok(h.url.startsWith("https://127.0.0.1:"));
    assert.equal(h.server.caFile, join(h.server.stateDir, "ca.pem"));
    const token = await h.login();
    const res = await h.call(token, "/appmesh/no/such/path");
    assert.equal(res.status, 404);
    for (const [k, v] of Object.entries(STANDARD)) assert.equal(res.headers.get(k), v, k);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(res.headers.get("content-length"), "54");
    assert.deepEqual(await body(res), { message: "Path not found GET:/appmesh/no/such/path" });

    // A method the daemon's REST layer does not take, on a known path.
    const patch = await h.call(token, "/appmesh/labels", { method: "PATCH" });
    assert.equal(patch.status, 404);
    assert.deepEqual(await body(patch), { error: "Route not found" });
    // A known method the path does not have.
    const del = await h.call(token, "/appmesh/labels", { method: "DELETE" });
    assert.equal(del.status, 404);
    assert.deepEqual(await body(del), { message: "Path not found DELETE:/appmesh/labels" });
    // OPTIONS: 200 with the CORS headers.
    const opt = await h.call("", "/appmesh/applications", { method: "OPTIONS" });
    assert.equal(opt.status, 200);
    assert.equal(opt.headers.get("access-control-allow-origin"), "*");
    await opt.body?.cancel();
    // Malformed JSON: 400 (the daemon says 500; documented difference).
    const bad = await h.call(token, "/appmesh/config", { method: "POST", body: '{"BaseConfig": ' });
    assert.equal(bad.status, 400);
    const badBody = (await body(bad)) as { message: string };
    assert.equal(typeof badBody.message, "string");
  } finally {
    await h.close();
  }
});

test("core: a client without the CA is rejected", async () => {
  const h = await harness();
  try {
    await assert.rejects(fetch(`${h.url}/appmesh/labels`));
  } finally {
    await h.close();
  }
});

test("core: certificates and JWT key persist in stateDir and are reused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "devserver-state-"));
  try {
    const a = await startDevServer({ stateDir: dir });
    const pem = a.caPem;
    const f = boundFetch(a.caPem);
    const login = await f(`${a.urls[0]}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
    });
    const { access_token } = await login.json();
    f.close();
    await a.close();
    const b = await startDevServer({ stateDir: dir });
    const g = boundFetch(b.caPem);
    try {
      assert.equal(b.caPem, pem);
      // Same JWT key: a token of the first run is still good.
      const res = await g(`${b.urls[0]}/appmesh/labels`, {
        headers: { Authorization: `Bearer ${access_token}` },
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      g.close();
      await b.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("core: many clients at once over keep-alive", async () => {
  const h = await harness();
  try {
    const token = await h.login();
    const results = await Promise.all(
      Array.from(
        { length: 60 },
        (_, i) =>
          h.call(token, i % 2 ? "/appmesh/labels" : "/appmesh/user/self").then((r) =>
            r.text().then(() => r.status)
          ),
      ),
    );
    assert.ok(results.every((s) => s === 200));
  } finally {
    await h.close();
  }
});

test("core: close() stops the listeners and removes the temp state dir", async () => {
  const server = await startDevServer({ nodes: 2 });
  const f = boundFetch(server.caPem);
  const res = await f(`${server.urls[1]}/appmesh/user/groups`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  f.close();
  await server.close();
  await server.close(); // idempotent
  const g = boundFetch(server.caPem);
  try {
    await assert.rejects(g(`${server.urls[0]}/appmesh/user/groups`));
    await assert.rejects(g(`${server.urls[1]}/appmesh/user/groups`));
  } finally {
    g.close();
  }
  const { existsSync } = await import("node:fs");
  assert.equal(existsSync(server.stateDir), false);
});

test("core: plain HTTP with tls:false, and describeDevServer", async () => {
  const server = await startDevServer({ tls: false, nodes: 2 });
  try {
    assert.ok(server.urls[0].startsWith("http://"));
    assert.equal(server.caFile, undefined);
    const res = await fetch(`${server.urls[0]}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("admin:admin123")}`, "X-Set-Cookie": "true" },
    });
    assert.equal(res.status, 200);
    // The agent sets Secure only over TLS.
    assert.ok(!res.headers.get("set-cookie")!.includes("Secure"));
    await res.body?.cancel();
    const text = describeDevServer(server);
    assert.ok(text.includes(server.urls[0]) && text.includes(server.urls[1]));
    assert.ok(text.includes("admin/admin123"));
    assert.ok(text.includes("curl"));
  } finally {
    await server.close();
  }
});

test("core: mTLS with verifyClient", async () => {
  const server = await startDevServer({ verifyClient: true });
  const { readFileSync } = await import("node:fs");
  const cert = readFileSync(server.clientCertFile!, "utf8");
  const key = readFileSync(server.clientKeyFile!, "utf8");
  const withCert = boundFetch(server.caPem, { cert, key });
  const without = boundFetch(server.caPem);
  try {
    const res = await withCert(`${server.urls[0]}/appmesh/user/groups`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), ["admin", "user"]);
    await assert.rejects(async () => {
      const r = await without(`${server.urls[0]}/appmesh/user/groups`);
      await r.text();
    });
  } finally {
    withCert.close();
    without.close();
    await server.close();
  }
});

test("core: a slow request never blocks the others", async () => {
  const h = await harness();
  try {
    const token = await h.login();
    h.server.setFaults({ latencyMs: 3_000, paths: ["/appmesh/config"] });
    const order: string[] = [];
    const slow = h.call(token, "/appmesh/config").then(async (r) => {
      await r.body?.cancel();
      order.push("slow");
    });
    for (let i = 0; i < 5; i++) {
      const r = await h.call(token, "/appmesh/labels");
      assert.equal(r.status, 200);
      await r.body?.cancel();
      order.push("fast");
    }
    await slow;
    assert.deepEqual(order, ["fast", "fast", "fast", "fast", "fast", "slow"]);
  } finally {
    await h.close();
  }
});
