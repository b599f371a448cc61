// Two nodes: forNode / forwardTo, AppRun remembering its node, no X-Target-Host to itself.
// @bun
// @node
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { test } from "../harness.ts";
import { AppMeshClient, AppMeshHttpError } from "../../src/client/mod.ts";
import { fixture, httpServer } from "./_helpers.ts";

test("forNode: a view on node 2 shares the session; labels land on node 2 only", async () => {
  const f = await fixture({ server: { nodes: 2 } });
  try {
    const [n1, n2] = f.server.nodes;
    const node2 = f.client.forNode(n2.name);
    assert.equal(node2.forwardTo, n2.name);
    assert.equal(f.client.forwardTo, undefined);
    await node2.addLabel("where", "node2");
    assert.equal((await node2.listLabels()).where, "node2");
    assert.equal((await f.client.listLabels()).where, undefined);
    // Port-less host: the base URL's port, i.e. node 1 itself.
    assert.equal(f.client.forNode("127.0.0.1").forwardTo, n1.name);
    assert.equal((await f.client.forNode(n1.name).listLabels()).where, undefined);
    // Session shared: a renew through the view updates the root's token too.
    const before = f.client.token;
    await node2.renewToken();
    assert.notEqual(f.client.token, before);
    assert.equal(node2.token, f.client.token);
    // forwardTo on the root, the Python way.
    f.client.forwardTo = `localhost:${n2.port}`;
    assert.equal((await f.client.listLabels()).where, "node2");
    f.client.forwardTo = undefined;
    assert.equal((await f.client.listLabels()).where, undefined);
  } finally {
    await f.close();
  }
});

test("AppRun started through forNode remembers its node; wait follows it", async () => {
  const f = await fixture({ server: { nodes: 2 } });
  try {
    const n2 = f.server.nodes[1];
    const run = await f.client.forNode(n2.name).runAppAsync("echo from-2; exit 4");
    assert.equal(run.node, n2.name);
    assert.ok((await f.client.forNode(n2.name).listApps()).some((a) => a.name === run.appName));
    assert.ok(!(await f.client.listApps()).some((a) => a.name === run.appName));
    let out = "";
    assert.equal(await f.client.waitForAsyncRun(run, { onOutput: (s) => (out += s) }), 4);
    assert.equal(out, "from-2\n");
    assert.ok(!(await f.client.forNode(n2.name).listApps()).some((a) => a.name === run.appName));
    const sync = await f.client.forNode("192.0.2.1").runAppSync("echo x").catch((e) => e);
    // Not a node of this server: it refuses to proxy.
    assert.ok(sync instanceof AppMeshHttpError && sync.status === 502, String(sync));
    assert.equal(sync.serverMessage, "Failed to connect to forwarding host");
  } finally {
    await f.close();
  }
});

test("a node equal to the base URL's host:port is addressed without X-Target-Host", async () => {
  const seen: IncomingHttpHeaders[] = [];
  const urls: string[] = [];
  const server = await httpServer((req, res) => {
    seen.push(req.headers);
    urls.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const { port } = server;
  try {
    const c = new AppMeshClient({ baseUrl: `http://127.0.0.1:${port}`, token: "tok" });
    for (const self of [`127.0.0.1:${port}`, "127.0.0.1", `localhost:${port}`, `[::1]:${port}`]) {
      await c.forNode(self).listLabels();
    }
    c.forwardTo = `127.0.0.1:${port}`;
    await c.listLabels();
    assert.ok(seen.every((h) => h["x-target-host"] === undefined));
    await c.forNode("other").listLabels();
    await c.forNode("fe80::1").listLabels();
    assert.equal(seen.at(-2)!["x-target-host"], `other:${port}`);
    assert.equal(seen.at(-1)!["x-target-host"], `[fe80::1]:${port}`);
    assert.equal(seen[0]["user-agent"], "appmesh/typescript");
    assert.equal(seen[0].authorization, "Bearer tok");
    await c.addLabel("q", "a&b=c");
    assert.equal(urls.at(-1), "PUT /appmesh/label/q?value=a%26b%3Dc");
    await c.close();
  } finally {
    await server.close();
  }
});
