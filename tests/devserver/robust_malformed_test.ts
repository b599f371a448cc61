// Malformed requests of every kind never break the server.
// @bun
// @node
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { test } from "../harness.ts";
import { harness, until } from "./_util.ts";

/** Sends raw bytes over TLS and returns whatever comes back until the server closes or 3 s. */
function raw(port: number, ca: string, data: string | Uint8Array, end = true): Promise<string> {
  return new Promise((resolve) => {
    let out = "";
    const s = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      s.write(data);
      if (end) s.end();
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, 3_000);
    s.on("data", (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
    });
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test("robust: a batch of malformed requests, then a normal call still works", async () => {
  const h = await harness({ nodes: 2 });
  try {
    const admin = await h.login();
    const port = h.server.nodes[0].port;
    const ca = h.server.caPem!;

    // Raw protocol garbage.
    const huge = `GET /appmesh/labels HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200_000)}\r\n\r\n`;
    // Refused with a 4xx, or the connection is closed (runtimes differ); never a 2xx/5xx.
    const refused = /^(|HTTP\/1\.1 4\d\d[^]*)$/;
    assert.match(await raw(port, ca, huge), refused);
    assert.match(await raw(port, ca, "GARBAGE\r\n\r\n"), refused);
    await raw(port, ca, "FOO /appmesh/labels HTTP/1.1\r\nHost: x\r\n\r\n");
    await raw(
      port,
      ca,
      'POST /appmesh/config HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a"',
    );
    await raw(
      port,
      ca,
      "POST /appmesh/config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n",
    );
    await raw(port, ca, "GET /appmesh/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n");
    await raw(port, ca, "GET http://evil.example/appmesh/labels HTTP/1.1\r\nHost: x\r\n\r\n");
    await raw(port, ca, new Uint8Array([0x16, 0x03, 0x01, 0xff, 0xff, 0, 1, 2, 3]));
    const many = Array.from({ length: 500 }, (_, i) => `X-H${i}: v`).join("\r\n");
    await raw(port, ca, `GET /appmesh/labels HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`);
    // Plain HTTP on the TLS port.
    await new Promise<void>((resolve) => {
      import("node:net").then(({ connect: tcp }) => {
        const s = tcp(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\n\r\n"));
        const timer = setTimeout(() => s.destroy(), 1_000);
        s.on("error", () => {});
        s.on("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });

    // Well-formed HTTP with bad content.
    const bad: [string, RequestInit & { token?: string }][] = [
      ["/appmesh/config", { method: "POST", body: "{not json" }],
      ["/appmesh/config", { method: "POST", body: "null" }],
      ["/appmesh/config", { method: "POST", body: "\u0000\u0001\u0002" }],
      ["/appmesh/user/x", { method: "PUT", body: "[1,2]" }],
      ["/appmesh/user/x", { method: "PUT", body: '{"key": 5, "roles": "no"}' }],
      ["/appmesh/user/self/passwd", {
        method: "POST",
        body: '{"old_password":"%%%","new_password":1}',
      }],
      ["/appmesh/role/r", { method: "POST", body: '"text"' }],
      ["/appmesh/totp/validate", { method: "POST", body: "garbage", token: "" }],
      ["/appmesh/totp/validate", {
        method: "POST",
        body: '{"user_name":5,"expire_seconds":"x"}',
        token: "",
      }],
      ["/appmesh/label/%ZZ?value=%ZZ", { method: "PUT" }],
      ["/appmesh/label/x?value=1&value=2", { method: "PUT" }],
      ["/appmesh/labels?%%%=&&&", {}],
      ["/appmesh/token/renew", { method: "POST", headers: { "X-Expire-Seconds": "-5" } }],
      ["/appmesh/token/renew", {
        method: "POST",
        headers: { "X-Expire-Seconds": "99999999999999999999999" },
      }],
      ["/appmesh/labels", { token: "a.b.c" }],
      ["/appmesh/labels", { token: "x".repeat(40_000) }],
      ["/appmesh/labels", { token: "", headers: { Authorization: "Basic Zm9v" } }],
      ["/appmesh/labels", { token: "", headers: { Cookie: "appmesh_auth_token=;;;=;" } }],
      ["/appmesh/login", {
        method: "POST",
        token: "",
        headers: { Authorization: "Basic !!!notbase64" },
      }],
      ["/appmesh/login", {
        method: "POST",
        token: "",
        headers: { Authorization: "Basic " + btoa("nocolon") },
      }],
      ["/appmesh/labels", { headers: { "X-Target-Host": "[::1" } }],
      ["/appmesh/labels", { headers: { "X-Target-Host": "127.0.0.1:-1" } }],
      ["/appmesh/labels", { method: "PROPFIND" }],
      ["/appmesh/labels", { method: "MKCOL" }],
      ["/%2e%2e/%2e%2e/etc/passwd", {}],
      ["//appmesh//labels", {}],
      // Bad multipart uploads (the files area).
      ["/appmesh/file/upload", {
        method: "POST",
        headers: { "Content-Type": "multipart/form-data", "X-File-Path": "/tmp/x" },
        body: "no boundary",
      }],
      ["/appmesh/file/upload", {
        method: "POST",
        headers: { "Content-Type": "multipart/form-data; boundary=XYZ", "X-File-Path": "%ZZ" },
        body: '--XYZ\r\nContent-Disposition: form-data; name="file"\r\n\r\ntruncated',
      }],
      ["/appmesh/file/upload", {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: "x",
      }],
      ["/appmesh/file/download", { headers: { "X-File-Path": "%%%" } }],
      ["/appmesh/file/download", {
        headers: { Range: "bytes=zz-", "X-File-Path": "/etc/hostname" },
      }],
      ["/appmesh/app/syncrun?timeout=abc&lifecycle=-1", { method: "POST", body: '{"command":5}' }],
      ["/appmesh/app/x/output?stdout_position=-9&stdout_index=zz&timeout=1e99", {}],
    ];
    for (const [path, init] of bad) {
      const { token, ...rest } = init;
      const res = await h.call(token ?? admin, path, rest);
      assert.ok(res.status >= 200 && res.status < 600, path);
      assert.notEqual(res.status, 500, `${rest.method ?? "GET"} ${path}: ${res.status}`);
      await res.body?.cancel();
    }
    // A request abandoned mid-body by the client: aborted once the server is reading its body
    // (the request is in flight in the server's own metrics), never after a guessed delay. With
    // a valid token (a renew above retired `admin`): a 401 would answer before the body is read.
    const fresh = await h.login();
    const configsInFlight = async () => {
      const text = await (await h.fetch(`${h.url}/appmesh/metrics`)).text();
      const line = text.split("\n").find((l) =>
        l.startsWith("appmesh_http_requests_in_flight{") && l.includes('method="POST"') &&
        l.includes('route="/appmesh/config"')
      );
      return Number(line?.split(" ").pop() ?? 0);
    };
    const before = await configsInFlight();
    const ac = new AbortController();
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"BaseConfig":'));
      },
    });
    const abandoned = h.call(fresh, "/appmesh/config", {
      method: "POST",
      body: stream,
      signal: ac.signal,
      duplex: "half",
    } as RequestInit).then((r) => r.body?.cancel(), () => {});
    await until(async () => await configsInFlight() > before, "the server reading the body");
    ac.abort();
    await abandoned;
    await until(async () => await configsInFlight() === before, "the server done with it");

    // Everything still works, on both nodes.
    for (const node of [0, 1]) {
      const ok = await h.call(fresh, "/appmesh/labels", { node });
      assert.equal(ok.status, 200);
      assert.equal(typeof (await ok.json()).HOST_NAME, "string");
    }
    assert.ok(await h.login("mesh", "mesh123"));
  } finally {
    await h.close();
  }
});
