// What a request carries from the session: the token once (as a bearer, not also as the cookie
// holding it), the jar's other cookies, the CSRF cookie's echo on older daemons (then the cookie
// is the credential and goes along), and what the session derived kept only until it changes.
// @bun
// @node
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "../harness.ts";
import { AppMeshClient, AppMeshError } from "../../src/client/mod.ts";
import { httpServer } from "./_helpers.ts";

/** A server answering `{}` to every request (after `Set-Cookie` lines per path), recording them. */
async function recorder(setCookies: Record<string, string[]> = {}) {
  const seen: IncomingMessage["headers"][] = [];
  const server = await httpServer((req, res) => {
    seen.push(req.headers);
    const path = new URL(req.url!, "http://x").pathname;
    const sets = setCookies[path];
    res.writeHead(200, {
      "content-type": "application/json",
      ...(sets ? { "set-cookie": sets } : {}),
    });
    res.end("{}");
  });
  return { ...server, seen };
}

const pairs = (header: string | string[] | undefined) =>
  String(header ?? "").split(/;\s*/).filter(Boolean).sort();

test("request headers: the token goes once, as a bearer; the jar's other cookies go along", async () => {
  const server = await recorder({
    "/appmesh/labels": ["other=1; Path=/", "scoped=2; Path=/appmesh/app"],
  });
  const client = new AppMeshClient({ baseUrl: server.base, token: "tok" });
  try {
    await client.listLabels(); // takes the cookies
    await client.listLabels();
    await client.getApp("a");
    const [first, second, third] = server.seen;
    assert.equal(first.authorization, "Bearer tok");
    assert.equal(first.cookie, undefined); // the token cookie alone: carried by the bearer
    assert.equal(second.authorization, "Bearer tok");
    assert.deepEqual(pairs(second.cookie), ["other=1"]);
    assert.deepEqual(pairs(third.cookie), ["other=1", "scoped=2"]); // per URL (path)
    assert.equal(client.token, "tok"); // still held (and written to a cookie file) as a cookie
  } finally {
    await client.close();
    await server.close();
  }
});

test("request headers: an explicit Authorization sends the jar's token cookie as it is", async () => {
  const server = await recorder();
  const client = new AppMeshClient({ baseUrl: server.base, token: "tok" });
  try {
    await client.listLabels({ headers: { Authorization: "Bearer other" } });
    assert.equal(server.seen[0].authorization, "Bearer other");
    assert.deepEqual(pairs(server.seen[0].cookie), ["appmesh_auth_token=tok"]);
  } finally {
    await client.close();
    await server.close();
  }
});

test("request headers: with a CSRF cookie (older daemons) the echo and every cookie go, no bearer", async () => {
  const server = await recorder({ "/appmesh/labels": ["appmesh_csrf_token=c1; Path=/"] });
  const client = new AppMeshClient({ baseUrl: server.base, token: "tok" });
  try {
    await client.listLabels(); // takes the CSRF cookie
    await client.listLabels();
    const h = server.seen[1];
    assert.equal(h["x-csrf-token"], "c1");
    assert.equal(h.authorization, undefined);
    assert.deepEqual(pairs(h.cookie), ["appmesh_auth_token=tok", "appmesh_csrf_token=c1"]);
  } finally {
    await client.close();
    await server.close();
  }
});

test("request headers: a new token is sent from the next request on (nothing stale kept)", async () => {
  const server = await recorder();
  const client = new AppMeshClient({ baseUrl: server.base, token: "one" });
  try {
    await client.listLabels();
    await client.setToken("two");
    await client.listLabels();
    assert.deepEqual(server.seen.map((h) => h.authorization), ["Bearer one", "Bearer two"]);
  } finally {
    await client.close();
    await server.close();
  }
});

test("request headers: a token holding CR/LF is refused before sending (INVALID_HEADER)", async () => {
  const server = await recorder();
  const client = new AppMeshClient({ baseUrl: server.base, token: "tok\r\nX-Evil: 1" });
  try {
    await assert.rejects(client.listLabels(), (e: unknown) => {
      assert.ok(e instanceof AppMeshError);
      assert.equal(e.code, "INVALID_HEADER");
      assert.ok(!e.message.includes("Evil")); // the value may be a secret
      return true;
    });
    assert.equal(server.seen.length, 0);
  } finally {
    await client.close();
    await server.close();
  }
});
