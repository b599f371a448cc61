// Each fault option: 503 share, latency, cut connections, early token expiry.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { harness } from "./_util.ts";

test("faults: errorRate answers 503 (never login), limited to paths, cleared at run time", async () => {
  const h = await harness({ faults: { errorRate: 1 } });
  try {
    const admin = await h.login(); // login is never failed
    const res = await h.call(admin, "/appmesh/labels");
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { message: "Injected fault" });
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    h.server.setFaults({ errorRate: 1, paths: ["/appmesh/config"] });
    const labels = await h.call(admin, "/appmesh/labels");
    assert.equal(labels.status, 200);
    await labels.body?.cancel();
    const config = await h.call(admin, "/appmesh/config");
    assert.equal(config.status, 503);
    await config.body?.cancel();
    h.server.setFaults(undefined);
    const again = await h.call(admin, "/appmesh/config");
    assert.equal(again.status, 200);
    await again.body?.cancel();
    assert.throws(() => h.server.setFaults({ errorRate: 2 }), RangeError);
  } finally {
    await h.close();
  }
});

test("faults: latency delays answers by at least latencyMs", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    h.server.setFaults({ latencyMs: 300 });
    const started = performance.now();
    const res = await h.call(admin, "/appmesh/labels");
    assert.equal(res.status, 200);
    await res.body?.cancel();
    // A lower bound only: a sleep never ends early.
    assert.ok(performance.now() - started >= 290);
  } finally {
    await h.close();
  }
});

test("faults: cutRate destroys the connection mid-body; the server keeps serving", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    h.server.setFaults({ cutRate: 1, paths: ["/appmesh/config"] });
    await assert.rejects(async () => {
      const res = await h.call(admin, "/appmesh/config");
      await res.text();
    });
    h.server.setFaults(undefined);
    const res = await h.call(admin, "/appmesh/config");
    assert.equal(res.status, 200);
    assert.equal(typeof (await res.json()).BaseConfig, "object");
  } finally {
    await h.close();
  }
});

test("faults: tokenLifetimeSeconds makes tokens expire early", async () => {
  const h = await harness({ faults: { tokenLifetimeSeconds: 1 } });
  try {
    const res = await h.fetch(`${h.url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
    });
    const b = await res.json();
    assert.equal(b.expires_in, 604800); // the body still says what was asked
    await new Promise((r) => setTimeout(r, 2_100));
    const late = await h.call(b.access_token, "/appmesh/labels");
    assert.equal(late.status, 401);
    assert.deepEqual(await late.json(), { message: "Authentication failed: token expired" });
    h.server.setFaults(undefined);
    const fresh = await h.login();
    const ok = await h.call(fresh, "/appmesh/labels");
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await h.close();
  }
});
