// Failures get distinct typed errors naming the URL and the cause; bad input sends nothing.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import {
  AppMeshClient,
  AppMeshConnectionError,
  AppMeshError,
  AppMeshHttpError,
  AppMeshResponseError,
  AppMeshTimeoutError,
  AppMeshTlsError,
} from "../../src/client/mod.ts";
import { closedPort, fixture, httpServer } from "./_helpers.ts";

test("connection refused: AppMeshConnectionError (not TLS) naming the URL", async () => {
  const port = await closedPort();
  const c = new AppMeshClient({ baseUrl: `https://127.0.0.1:${port}` });
  await assert.rejects(c.listApps(), (e: unknown) => {
    assert.ok(e instanceof AppMeshConnectionError);
    assert.ok(!(e instanceof AppMeshTlsError));
    assert.equal(e.code, "CONNECTION_FAILED");
    assert.equal(e.url, `https://127.0.0.1:${port}/appmesh/applications`);
    assert.match(e.message, /refused|ECONNREFUSED/i);
    return true;
  });
  await c.close();
});

test("TLS failure (unknown CA): AppMeshTlsError naming the URL", async () => {
  const f = await fixture({ login: false });
  try {
    const c = new AppMeshClient({ baseUrl: f.server.urls[0] }); // no CA given
    await assert.rejects(c.login("admin", "admin123"), (e: unknown) => {
      assert.ok(e instanceof AppMeshTlsError);
      assert.ok(e instanceof AppMeshConnectionError);
      assert.equal(e.code, "TLS_FAILED");
      assert.equal(e.url, `${f.server.urls[0]}/appmesh/login`);
      assert.ok(!e.message.includes("admin123"));
      return true;
    });
  } finally {
    await f.close();
  }
});

test("timeout (server latency fault): AppMeshTimeoutError; the caller's signal is its own", async () => {
  const f = await fixture();
  try {
    f.server.setFaults({ latencyMs: 3000, paths: ["/appmesh/labels"] });
    const c = f.newClient({ timeout: 300, token: f.client.token });
    await assert.rejects(c.listLabels(), (e: unknown) => {
      assert.ok(e instanceof AppMeshTimeoutError);
      assert.equal(e.timeout, 300);
      assert.equal(e.url, `${f.server.urls[0]}/appmesh/labels`);
      return true;
    });
    const ctl = new AbortController();
    const p = f.client.listLabels({ signal: ctl.signal });
    ctl.abort(new Error("caller gave up"));
    await assert.rejects(p, /caller gave up/);
    f.server.setFaults(undefined);
    assert.ok(await c.listLabels());
  } finally {
    await f.close();
  }
});

test("non-JSON body where JSON is promised: AppMeshResponseError; error pages keep status", async () => {
  const server = await httpServer((req, res) => {
    if (req.url === "/appmesh/applications") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy login page</html>");
    } else {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><body>Bad gateway</body></html>");
    }
  });
  const { port } = server;
  try {
    const c = new AppMeshClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
    await assert.rejects(c.listApps(), (e: unknown) => {
      assert.ok(e instanceof AppMeshResponseError);
      assert.equal(e.expected, "a JSON body");
      assert.equal(e.url, `http://127.0.0.1:${port}/appmesh/applications`);
      assert.match(e.message, /text\/html/);
      return true;
    });
    await assert.rejects(c.getApp("x"), (e: unknown) => {
      assert.ok(e instanceof AppMeshHttpError);
      assert.equal(e.status, 502);
      assert.equal(e.serverMessage, undefined);
      assert.match(e.body!, /Bad gateway/);
      return true;
    });
    await c.close();
  } finally {
    await server.close();
  }
});

test("CR/LF in header values is refused before anything is sent", async () => {
  let requests = 0;
  const server = await httpServer((_req, res) => {
    requests++;
    res.end("{}");
  });
  const { port } = server;
  try {
    const c = new AppMeshClient({ baseUrl: `http://127.0.0.1:${port}` });
    const isHeaderError = (e: unknown) =>
      e instanceof AppMeshError && e.code === "INVALID_HEADER" && !e.message.includes("evil");
    await assert.rejects(c.login("admin", "pw", { totpCode: "1\r\nX-evil: 1" }), isHeaderError);
    await assert.rejects(c.login("admin", "pw", { audience: "a\nb-evil" }), isHeaderError);
    await assert.rejects(c.listApps({ headers: { "X-Extra": "a\r\nevil" } }), isHeaderError);
    await assert.rejects(c.setToken("tok\r\nX-evil: 1").then(() => c.listApps()), isHeaderError);
    await assert.rejects(c.authenticate("tok\nevil"), isHeaderError);
    assert.equal(requests, 0);
  } finally {
    await server.close();
  }
});

test("a connection cut mid-body is a typed connection error", async () => {
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    // Cut once the first part is handed to the socket: the client gets it, then the close.
    res.write('{"partial": ', () => res.destroy());
  });
  const { port } = server;
  try {
    const c = new AppMeshClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
    await assert.rejects(c.getConfig(), (e: unknown) => {
      assert.ok(e instanceof AppMeshConnectionError, String(e));
      assert.equal(e.url, `http://127.0.0.1:${port}/appmesh/config`);
      return true;
    });
  } finally {
    await server.close();
  }
});
