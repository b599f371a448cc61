// X-Target-Host forwarding between the nodes of one local server.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { harness } from "./_util.ts";

test("cluster: X-Target-Host forwards to another node with headers and a streamed body", async () => {
  const h = await harness({ nodes: 3 });
  try {
    const admin = await h.login(); // nodes share the JWT key and users
    const [n1, n2, n3] = h.server.nodes;
    assert.equal(n2.port !== n1.port && n3.port !== n2.port, true);
    const put = await h.call(admin, "/appmesh/label/where?value=node2", {
      method: "PUT",
      headers: { "X-Target-Host": n2.name },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), { message: "Add label success" });
    assert.equal(
      (await (await h.call(admin, "/appmesh/labels", { node: 1 })).json()).where,
      "node2",
    );
    assert.equal((await (await h.call(admin, "/appmesh/labels")).json()).where, undefined);

    // localhost:PORT names the same node.
    const viaLocalhost = await h.call(admin, "/appmesh/labels", {
      headers: { "X-Target-Host": `localhost:${n2.port}` },
    });
    assert.equal((await viaLocalhost.json()).where, "node2");

    // A ~2 MB JSON body travels through the forward (streamed request body).
    const labels: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) labels[`k${i}`] = "v".repeat(90);
    const big = await h.call(admin, "/appmesh/config", {
      method: "POST",
      headers: { "X-Target-Host": n3.name, "Content-Type": "application/json" },
      body: JSON.stringify({ Labels: labels, BaseConfig: { LogLevel: "WARN" } }),
    });
    assert.equal(big.status, 200);
    const conf = await big.json();
    assert.equal(conf.REST.RestListenPort, n3.port);
    assert.equal(conf.BaseConfig.LogLevel, "WARN");
    assert.equal(Object.keys(conf.Labels).length >= 20_000, true);
    const c1 = await (await h.call(admin, "/appmesh/config")).json();
    assert.equal(c1.BaseConfig.LogLevel, "DEBUG");

    // Auth errors come from the target as they would directly.
    const none = await h.call("", "/appmesh/labels", { headers: { "X-Target-Host": n2.name } });
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { message: "No authentication token provided" });
  } finally {
    await h.close();
  }
});

test("cluster: forwarding to itself is served locally; a bare host means this node's port", async () => {
  const h = await harness({ nodes: 2 });
  try {
    const admin = await h.login();
    await (await h.call(admin, "/appmesh/label/me?value=1", { method: "PUT" })).body?.cancel();
    for (const target of [h.server.nodes[0].name, "127.0.0.1", "localhost"]) {
      const res = await h.call(admin, "/appmesh/labels", { headers: { "X-Target-Host": target } });
      assert.equal(res.status, 200, target);
      assert.equal((await res.json()).me, "1", target);
    }
    const bare2 = await h.call(admin, "/appmesh/labels", {
      node: 1,
      headers: { "X-Target-Host": "127.0.0.1" },
    });
    assert.equal((await bare2.json()).me, undefined);
  } finally {
    await h.close();
  }
});

test("cluster: unknown targets get a prompt 502, never a connection", async () => {
  const h = await harness({ nodes: 2 });
  try {
    const admin = await h.login();
    const port = h.server.nodes[1].port;
    for (
      const target of [
        "127.0.0.1:1",
        `example.com:${port}`,
        `10.1.2.3:${port}`,
        "192.0.2.1",
        "not a host:::",
        "127.0.0.1:99999",
        "",
      ]
    ) {
      const res = await h.call(admin, "/appmesh/labels", {
        method: "GET",
        headers: { "X-Target-Host": target },
      });
      assert.equal(res.status, 502, target);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(await res.json(), "Failed to connect to forwarding host");
    }
    // The server still answers normally afterwards.
    const ok = await h.call(admin, "/appmesh/labels");
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await h.close();
  }
});

test("cluster: a same-origin cookie write forwarded to another node passes CSRF there", async () => {
  const h = await harness({ nodes: 2 });
  try {
    const admin = await h.login();
    const res = await h.fetch(`${h.url}/appmesh/label/viacookie?value=1`, {
      method: "PUT",
      headers: {
        Cookie: `appmesh_auth_token=${admin}`,
        Origin: h.url,
        "X-Target-Host": h.server.nodes[1].name,
      },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const foreign = await h.fetch(`${h.url}/appmesh/label/viacookie?value=1`, {
      method: "PUT",
      headers: {
        Cookie: `appmesh_auth_token=${admin}`,
        Origin: "https://evil.example",
        "X-Target-Host": h.server.nodes[1].name,
      },
    });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
    assert.equal(
      (await (await h.call(admin, "/appmesh/labels", { node: 1 })).json()).viacookie,
      "1",
    );
  } finally {
    await h.close();
  }
});
