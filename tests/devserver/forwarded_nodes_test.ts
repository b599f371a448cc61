// Nodes reached only through forwarding (startDevServer forwardedNodes).
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

test("forwarded-only nodes: reached through the entry node, each with its own apps", async () => {
  // try/finally rather than `await using`: Node 22's type stripping does not parse it.
  const server = await startDevServer({ forwardedNodes: 3, tls: false });
  try {
    assert.deepEqual(server.nodes.length, 1);
    assert.deepEqual(server.forwardedNodes.map((n) => n.name), [
      "127.0.0.1:61000",
      "127.0.0.1:61001",
      "127.0.0.1:61002",
    ]);
    const url = server.urls[0];
    const login = await fetch(`${url}/appmesh/login`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
    });
    const { access_token } = await login.json();
    const auth = { Authorization: `Bearer ${access_token}` };
    const put = await fetch(`${url}/appmesh/app/only-on-b`, {
      method: "PUT",
      headers: { ...auth, "X-Target-Host": "127.0.0.1:61001" },
      body: JSON.stringify({ name: "only-on-b", command: "sleep 30", status: 0 }),
    });
    assert.deepEqual(put.status, 200);
    await put.body?.cancel();
    const names = async (target?: string) => {
      const res = await fetch(`${url}/appmesh/applications`, {
        headers: target ? { ...auth, "X-Target-Host": target } : auth,
      });
      return ((await res.json()) as { name: string }[]).map((a) => a.name);
    };
    assert.deepEqual((await names("127.0.0.1:61001")).includes("only-on-b"), true);
    assert.deepEqual((await names("127.0.0.1:61000")).includes("only-on-b"), false);
    assert.deepEqual((await names()).includes("only-on-b"), false);
    const run = await fetch(`${url}/appmesh/app/syncrun?timeout=10`, {
      method: "POST",
      headers: { ...auth, "X-Target-Host": "127.0.0.1:61002" },
      body: JSON.stringify({ command: "echo hi", shell: true }),
    });
    assert.deepEqual((await run.text()).trim(), "hi");
    const nowhere = await fetch(`${url}/appmesh/applications`, {
      headers: { ...auth, "X-Target-Host": "127.0.0.1:61003" },
    });
    assert.deepEqual(nowhere.status, 502);
    await nowhere.body?.cancel();
  } finally {
    await server.close();
  }
});
