// The cookie jar: RFC 6265 storage and matching as an App Mesh client needs it (pure logic).
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { type Cookie, CookieJar, parseSetCookie } from "../../src/cookies/jar.ts";

const BASE = "https://127.0.0.1:6060";
const now = () => Math.floor(Date.now() / 1000);

function cookie(over: Partial<Cookie>): Cookie {
  return {
    name: "n",
    value: "v",
    domain: "127.0.0.1",
    hostOnly: true,
    path: "/",
    secure: false,
    httpOnly: false,
    ...over,
  };
}

test("jar: a host-only cookie goes back to exactly its host", () => {
  const jar = new CookieJar();
  assert.equal(jar.setFromResponse(`${BASE}/appmesh/login`, ["t=1; Path=/"]), true);
  assert.equal(jar.header(`${BASE}/appmesh/applications`), "t=1");
  assert.equal(jar.header("https://127.0.0.1:7070/x"), "t=1"); // ports do not matter (RFC 6265)
  assert.equal(jar.header("https://127.0.0.2:6060/x"), undefined);
  assert.equal(jar.header("https://localhost:6060/x"), undefined);
  const [c] = jar.all();
  assert.equal(c.hostOnly, true);
  assert.equal(c.domain, "127.0.0.1");
});

test("jar: Domain cookies reach subdomains; foreign domains are refused", () => {
  const jar = new CookieJar();
  jar.setFromResponse("https://node1.mesh.example/x", [
    "d=1; Domain=.mesh.example; Path=/",
    "evil=1; Domain=other.example; Path=/",
    "h=1; Path=/",
  ]);
  assert.equal(jar.header("https://node2.mesh.example/"), "d=1");
  assert.equal(jar.header("https://mesh.example/"), "d=1");
  assert.equal(jar.header("https://node1.mesh.example/"), "d=1; h=1");
  assert.equal(jar.header("https://other.example/"), undefined);
  assert.equal(jar.header("https://xmesh.example/"), undefined);
  assert.equal(jar.get("evil"), undefined);
});

test("jar: an IP address matches only itself, even with Domain", () => {
  const jar = new CookieJar();
  jar.setFromResponse("https://10.0.0.1/", ["a=1; Domain=0.0.1", "b=1; Domain=10.0.0.1"]);
  assert.equal(jar.header("https://10.0.0.1/"), "b=1");
  assert.equal(jar.get("a"), undefined);
});

test("jar: IPv6 hosts", () => {
  const jar = new CookieJar();
  jar.setFromResponse("https://[::1]:6060/appmesh/login", ["t=6; Path=/"]);
  assert.equal(jar.header("https://[::1]:6060/x"), "t=6");
  assert.equal(jar.all()[0].domain, "::1");
  assert.equal(jar.header("https://127.0.0.1:6060/x"), undefined);
});

test("jar: paths match on segment boundaries; default path is the request's folder", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/appmesh/token/renew`, [
    "r=1; Path=/appmesh/token",
    "def=1",
    "root=1; Path=/",
    "bad=1; Path=relative",
  ]);
  assert.equal(jar.get("def")?.path, "/appmesh/token");
  assert.equal(jar.get("bad")?.path, "/appmesh/token"); // a path not starting with / is ignored
  assert.equal(jar.header(`${BASE}/appmesh/token/renew`), "r=1; def=1; bad=1; root=1");
  assert.equal(jar.header(`${BASE}/appmesh/token`), "r=1; def=1; bad=1; root=1");
  assert.equal(jar.header(`${BASE}/appmesh/tokenizer`), "root=1");
  assert.equal(jar.header(`${BASE}/`), "root=1");
  jar.setFromResponse(`${BASE}/login`, ["top=1"]);
  assert.equal(jar.get("top")?.path, "/");
});

test("jar: Secure cookies only over https", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, ["s=1; Secure; Path=/", "p=1; Path=/"]);
  assert.equal(jar.header(`${BASE}/`), "s=1; p=1");
  assert.equal(jar.header("http://127.0.0.1:6060/"), "p=1");
  assert.equal(jar.get("s", "http://127.0.0.1:6060/"), undefined);
  assert.equal(jar.get("s")?.secure, true);
});

test("jar: Max-Age beats Expires, either way round", () => {
  const jar = new CookieJar();
  const past = new Date(Date.now() - 86_400_000).toUTCString();
  const future = new Date(Date.now() + 86_400_000).toUTCString();
  jar.setFromResponse(`${BASE}/`, [
    `a=1; Expires=${past}; Max-Age=100`,
    `b=1; Max-Age=0; Expires=${future}`,
    `c=1; Expires=${future}`,
  ]);
  const a = jar.get("a")!;
  assert.ok(a.expires! >= now() + 99 && a.expires! <= now() + 101);
  assert.equal(jar.get("b"), undefined);
  assert.ok(Math.abs(jar.get("c")!.expires! - (now() + 86_400)) <= 2);
});

test("jar: Max-Age=0, a negative Max-Age or a past Expires deletes", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, ["a=1; Path=/", "b=1; Path=/", "c=1; Path=/", "keep=1; Path=/"]);
  const changed = jar.setFromResponse(`${BASE}/`, [
    "a=; Path=/; Max-Age=0",
    "b=x; Path=/; Max-Age=-5",
    "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
  ]);
  assert.equal(changed, true);
  assert.deepEqual(jar.all().map((c) => c.name), ["keep"]);
  // Deleting what is not there changes nothing.
  assert.equal(jar.setFromResponse(`${BASE}/`, ["zz=; Max-Age=0"]), false);
});

test("jar: deletion needs the same path (another path is another cookie)", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, ["a=1; Path=/"]);
  jar.setFromResponse(`${BASE}/`, ["a=; Path=/other; Max-Age=0"]);
  assert.equal(jar.get("a")?.value, "1");
});

test("jar: a session cookie has no expiry; setting the same value again is no change", () => {
  const jar = new CookieJar();
  assert.equal(jar.setFromResponse(`${BASE}/`, ["s=1; Path=/; HttpOnly"]), true);
  assert.equal(jar.get("s")?.expires, undefined);
  assert.equal(jar.get("s")?.httpOnly, true);
  assert.equal(jar.setFromResponse(`${BASE}/`, ["s=1; Path=/; HttpOnly"]), false);
  assert.equal(jar.setFromResponse(`${BASE}/`, ["s=2; Path=/; HttpOnly"]), true);
  assert.equal(jar.all().length, 1);
});

test("jar: malformed Set-Cookie lines are ignored, attributes are case-insensitive", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, [
    "novalue",
    "=nameless",
    "ok = spaced value ; PATH=/ ; SECURE ; max-age=60 ; SameSite=Strict",
    "x=1; Max-Age=soon",
    "y=1; Expires=not a date",
  ]);
  const ok = jar.get("ok")!;
  assert.equal(ok.value, "spaced value");
  assert.equal(ok.secure, true);
  assert.ok(ok.expires! > now());
  assert.equal(jar.get("x")?.expires, undefined);
  assert.equal(jar.get("y")?.expires, undefined);
  assert.equal(jar.all().length, 3);
});

test("jar: values with = and quotes are kept verbatim", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, ['q="a=b=c"; Path=/', "b64=YWJj==; Path=/"]);
  assert.equal(jar.header(`${BASE}/`), 'q="a=b=c"; b64=YWJj==');
});

test("jar: the empty-domain cookie (Python set_token) matches any host", () => {
  const jar = new CookieJar([cookie({ name: "appmesh_auth_token", value: "T", domain: "" })]);
  assert.equal(jar.header("https://127.0.0.1:6060/"), "appmesh_auth_token=T");
  assert.equal(jar.header("http://node7.example/x"), "appmesh_auth_token=T");
  assert.equal(jar.get("appmesh_auth_token", "https://[::1]/")?.value, "T");
});

test("jar: set replaces by name+domain+path, expired set deletes, delete removes all of a name", () => {
  const jar = new CookieJar();
  jar.set(cookie({ value: "1" }));
  jar.set(cookie({ value: "2" }));
  jar.set(cookie({ value: "3", path: "/x" }));
  assert.equal(jar.all().length, 2);
  assert.equal(jar.get("n")?.value, "2");
  jar.set(cookie({ value: "2", expires: now() - 10 }));
  assert.deepEqual(jar.all().map((c) => c.value), ["3"]);
  jar.set(cookie({ value: "4" }));
  assert.equal(jar.delete("n"), true);
  assert.equal(jar.delete("n"), false);
  assert.deepEqual(jar.all(), []);
});

test("jar: expired cookies are skipped by get, header and all", () => {
  const jar = new CookieJar([
    cookie({ name: "old", expires: now() - 1 }),
    cookie({ name: "new", expires: now() + 60 }),
  ]);
  assert.equal(jar.get("old"), undefined);
  assert.equal(jar.header(`${BASE}/`), "new=v");
  assert.deepEqual(jar.all().map((c) => c.name), ["new"]);
});

test("jar: returned cookies are copies", () => {
  const jar = new CookieJar([cookie({})]);
  jar.get("n")!.value = "changed";
  jar.all()[0].value = "changed";
  assert.equal(jar.get("n")?.value, "v");
});

test("jar: the domain is normalized (case, leading dot, IPv6 brackets)", () => {
  const jar = new CookieJar([
    cookie({ name: "a", domain: ".Mesh.Example", hostOnly: false }),
    cookie({ name: "b", domain: "[::1]" }),
  ]);
  assert.equal(jar.header("https://n1.mesh.example/"), "a=v");
  assert.equal(jar.header("https://[::1]/"), "b=v");
});

test("jar: parseSetCookie computes Max-Age from the given clock, capped", () => {
  const c = parseSetCookie(`${BASE}/a/b`, "t=v; Max-Age=60", 1000)!;
  assert.equal(c.expires, 1060);
  assert.equal(c.path, "/a");
  const far = parseSetCookie(`${BASE}/`, "t=v; Max-Age=99999999999999999", 1000)!;
  assert.ok(Number.isSafeInteger(far.expires));
});

test("jar: cookies with the longest path come first", () => {
  const jar = new CookieJar();
  jar.setFromResponse(`${BASE}/`, ["a=1; Path=/", "b=1; Path=/appmesh", "c=1; Path=/appmesh/app"]);
  assert.equal(jar.header(`${BASE}/appmesh/app/x`), "c=1; b=1; a=1");
});

test("jar: header() can leave one name out; version() changes with every change and expiry", async () => {
  const jar = new CookieJar([
    cookie({ name: "appmesh_auth_token", value: "T" }),
    cookie({ name: "other", value: "1" }),
  ]);
  assert.equal(jar.header(BASE + "/x"), "appmesh_auth_token=T; other=1");
  assert.equal(jar.header(BASE + "/x", { omit: "appmesh_auth_token" }), "other=1");
  assert.equal(jar.header(BASE + "/x", { omit: "other" }), "appmesh_auth_token=T");
  const v0 = jar.version();
  assert.equal(jar.version(), v0); // nothing changed
  jar.set(cookie({ name: "other", value: "2" }));
  const v1 = jar.version();
  assert.notEqual(v1, v0);
  assert.equal(jar.header(BASE + "/x", { omit: "appmesh_auth_token" }), "other=2");
  jar.delete("other");
  const v2 = jar.version();
  assert.notEqual(v2, v1);
  assert.equal(jar.header(BASE + "/x", { omit: "appmesh_auth_token" }), undefined);
  // An expiry is a change too: the expired cookie is gone from what was derived before.
  jar.set(cookie({ name: "brief", value: "b", expires: Date.now() / 1000 + 1 }));
  const v3 = jar.version();
  assert.equal(jar.header(BASE + "/x", { omit: "appmesh_auth_token" }), "brief=b");
  await new Promise((r) => setTimeout(r, 1100));
  assert.notEqual(jar.version(), v3);
  assert.equal(jar.header(BASE + "/x", { omit: "appmesh_auth_token" }), undefined);
});

test("pure modules touch no runtime API at load (static-import safe in a browser)", async () => {
  const { readFile } = await import("node:fs/promises");
  const src = (p: string) => readFile(new URL(`../../src/${p}`, import.meta.url), "utf8");
  for (const p of ["cookies/jar.ts", "cookies/mozilla.ts", "runtime/duration.ts"]) {
    const text = await src(p);
    assert.doesNotMatch(text, /^import [^;]*from "(node:|npm:)/m, p);
    assert.doesNotMatch(text, /\b(Deno|Bun|process)\.\w/, p);
  }
  for (const p of ["cookies/file.ts", "cookies/mod.ts"]) {
    assert.doesNotMatch(await src(p), /^import [^;]*from "node:/m, p);
    assert.doesNotMatch(await src(p), /^export [^;]*from "\.\.\/runtime/m, p);
  }
});
