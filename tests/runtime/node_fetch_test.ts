// The fetch over node:https/node:http (Deno's verify:false path, Node's TLS path) against a
// real local HTTP server: bodies both ways, every Set-Cookie, abort, a cut connection.
// @bun
// @node
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "../harness.ts";
import { nodeFetch } from "../../src/runtime/node_fetch.ts";

async function server(
  handler: http.RequestListener,
): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections?.();
        s.close(() => resolve());
      }),
  };
}

test("node fetch: method, headers, whole and streamed bodies, Set-Cookie, status, url", async () => {
  const srv = await server((req, res) => {
    let body = "";
    req.on("data", (d) => body += d);
    req.on("end", () => {
      res.statusCode = req.url === "/missing" ? 404 : 201;
      res.statusMessage = "Made";
      res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2; Path=/"]);
      res.setHeader("X-Exit-Code", "-3");
      res.end(JSON.stringify({
        method: req.method,
        body,
        te: req.headers["transfer-encoding"] ?? null,
        length: req.headers["content-length"] ?? null,
        custom: req.headers["x-custom"] ?? null,
      }));
    });
  });
  const { fetch, close } = nodeFetch();
  try {
    const res = await fetch(`${srv.url}/x`, {
      method: "POST",
      body: "hello",
      headers: { "X-Custom": "v" },
    });
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Made");
    assert.equal(res.url, `${srv.url}/x`);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
    assert.equal(res.headers.get("x-exit-code"), "-3");
    assert.deepEqual(await res.json(), {
      method: "POST",
      body: "hello",
      te: null,
      length: "5",
      custom: "v",
    });

    const streamed = await fetch(`${srv.url}/s`, {
      method: "PUT",
      body: new Blob(["ab", "cd"]).stream(),
      duplex: "half",
    } as RequestInit);
    const s = await streamed.json();
    assert.equal(s.body, "abcd");
    assert.equal(s.te, "chunked");

    const missing = await fetch(new Request(`${srv.url}/missing`, { method: "DELETE" }));
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).method, "DELETE");
  } finally {
    close();
    await srv.close();
  }
});

test("node fetch: 204 and HEAD have no body; a large body streams", async () => {
  const big = "x".repeat(1_000_000);
  const srv = await server((req, res) => {
    if (req.url === "/204") {
      res.statusCode = 204;
      return res.end();
    }
    res.setHeader("Content-Length", String(big.length));
    res.end(req.method === "HEAD" ? undefined : big);
  });
  const { fetch, close } = nodeFetch();
  try {
    const none = await fetch(`${srv.url}/204`);
    assert.equal(none.status, 204);
    assert.equal(none.body, null);
    const head = await fetch(`${srv.url}/big`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "1000000");
    assert.equal(head.body, null);
    const res = await fetch(`${srv.url}/big`);
    assert.equal((await res.text()).length, 1_000_000);
  } finally {
    close();
    await srv.close();
  }
});

test("node fetch: refused connection is a TypeError with the cause", async () => {
  const srv = await server((_req, res) => res.end());
  const url = srv.url;
  await srv.close();
  const { fetch, close } = nodeFetch();
  try {
    await assert.rejects(fetch(`${url}/`), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.equal((e.cause as { code?: string }).code, "ECONNREFUSED");
      return true;
    });
  } finally {
    close();
  }
});

test("node fetch: abort before the answer and while reading the body", async () => {
  let arrived!: () => void;
  const slowArrived = new Promise<void>((r) => (arrived = r));
  const srv = await server((req, res) => {
    if (req.url === "/slow") return arrived(); // never answers
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("first part");
    // ...and never ends (a long-poll)
  });
  const { fetch, close } = nodeFetch();
  try {
    const ac = new AbortController();
    const pending = fetch(`${srv.url}/slow`, { signal: ac.signal });
    await slowArrived; // the request is at the server: the abort comes before its answer
    ac.abort(new Error("cancelled by caller"));
    // A generous bound turns "the abort was ignored" (the server never answers) into a failure.
    let bound: ReturnType<typeof setTimeout> | undefined;
    await assert.rejects(
      Promise.race([
        pending,
        new Promise((_, reject) => {
          bound = setTimeout(() => reject(new Error("the abort was ignored")), 30_000);
        }),
      ]).finally(() => clearTimeout(bound)),
      /cancelled by caller/,
    );

    const ac2 = new AbortController();
    const res = await fetch(`${srv.url}/stream`, { signal: ac2.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first part");
    ac2.abort(new Error("stop reading"));
    await assert.rejects(reader.read());
    await assert.rejects(
      fetch(`${srv.url}/x`, { signal: AbortSignal.abort(new Error("early")) }),
      /early/,
    );
  } finally {
    close();
    await srv.close();
  }
});

test("node fetch: a connection cut in the middle of a body fails the read", async () => {
  let cut!: () => void;
  const srv = await server((_req, res) => {
    res.writeHead(200, { "Content-Length": "100" });
    res.write("only ten..");
    cut = () => res.socket?.destroy();
  });
  const { fetch, close } = nodeFetch();
  try {
    const res = await fetch(`${srv.url}/`);
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "only ten..");
    cut(); // mid-body for sure: the headers and the first part have arrived
    await assert.rejects(async () => {
      while (!(await reader.read()).done);
    });
  } finally {
    close();
    await srv.close();
  }
});
