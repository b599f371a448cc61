// The Mozilla cookies.txt format: our writer, our reader, both dialects (pure logic).
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import type { Cookie } from "../../src/cookies/jar.ts";
import { CookieFileError, formatMozilla, parseMozilla } from "../../src/cookies/mozilla.ts";

const T = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.sig";

function cookie(over: Partial<Cookie>): Cookie {
  return {
    name: "appmesh_auth_token",
    value: T,
    domain: "127.0.0.1",
    hostOnly: true,
    path: "/",
    secure: true,
    httpOnly: true,
    expires: 1_900_000_000,
    ...over,
  };
}

function errorOf(fn: () => unknown): CookieFileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CookieFileError, String(e));
    return e;
  }
  assert.fail("no error");
}

test("mozilla: our lines: host-only FALSE, domain cookies dotted TRUE, #HttpOnly_, session 0", () => {
  const text = formatMozilla([
    cookie({}),
    cookie({
      name: "d",
      value: "1",
      domain: "mesh.example",
      hostOnly: false,
      httpOnly: false,
      secure: false,
    }),
    cookie({ name: "s", value: "2", expires: undefined, httpOnly: false, path: "/appmesh" }),
  ]);
  const lines = text.split("\n");
  assert.equal(lines[0], "# Netscape HTTP Cookie File");
  assert.ok(
    lines.includes(`#HttpOnly_127.0.0.1\tFALSE\t/\tTRUE\t1900000000\tappmesh_auth_token\t${T}`),
  );
  assert.ok(lines.includes(".mesh.example\tTRUE\t/\tFALSE\t1900000000\td\t1"));
  assert.ok(lines.includes("127.0.0.1\tFALSE\t/appmesh\tTRUE\t0\ts\t2"));
  assert.ok(text.endsWith("\n"));
});

test("mozilla: round trip", () => {
  const cookies = [
    cookie({}),
    cookie({ name: "d", value: "", domain: "mesh.example", hostOnly: false, httpOnly: false }),
    cookie({ name: "s", value: "x=y", expires: undefined, secure: false }),
    cookie({ name: "any", domain: "", hostOnly: true, httpOnly: false }),
    cookie({ name: "v6", domain: "::1" }),
  ];
  assert.deepEqual(parseMozilla(formatMozilla(cookies)), cookies);
});

test("mozilla: reads what Python writes (empty expires, empty domain, #HttpOnly_)", () => {
  const text = [
    "# Netscape HTTP Cookie File",
    "# http://curl.haxx.se/rfc/cookie_spec.html",
    "# This is a generated file!  Do not edit.",
    "",
    `\tFALSE\t/\tFALSE\t1900000000\tappmesh_auth_token\t${T}`,
    "#HttpOnly_127.0.0.1\tFALSE\t/\tTRUE\t\tappmesh_csrf_token\tabc",
    ".mesh.example\tTRUE\t/\tFALSE\t1900000000.0\tx\ty",
    "",
  ].join("\n");
  const [token, csrf, x] = parseMozilla(text, "py.txt");
  assert.deepEqual(token, cookie({ domain: "", secure: false, httpOnly: false }));
  assert.equal(csrf.httpOnly, true);
  assert.equal(csrf.expires, undefined);
  assert.equal(csrf.secure, true);
  assert.equal(x.hostOnly, false);
  assert.equal(x.domain, "mesh.example");
  assert.equal(x.expires, 1_900_000_000);
});

test("mozilla: reads what curl writes (CRLF, 6 fields for an empty value, TRUE without dot)", () => {
  const text = "# Netscape HTTP Cookie File\r\n" +
    "# https://curl.se/docs/http-cookies.html\r\n\r\n" +
    "127.0.0.1\tFALSE\t/\tFALSE\t0\tempty\r\n" +
    "mesh.example\tTRUE\t/\tFALSE\t0\tsub\t1\r\n";
  const [empty, sub] = parseMozilla(text);
  assert.equal(empty.name, "empty");
  assert.equal(empty.value, "");
  assert.equal(sub.hostOnly, false);
});

test("mozilla: comments, $ lines, blank lines and an empty file give no cookies", () => {
  assert.deepEqual(parseMozilla(""), []);
  assert.deepEqual(parseMozilla("# Netscape HTTP Cookie File\n\n   \n# x\t y\n$Version=1\n"), []);
});

test("mozilla: garbled lines are CookieFileError with file and line", () => {
  let e = errorOf(() =>
    parseMozilla("# Netscape HTTP Cookie File\n\na\tb\tc\td\te\n", "cookies.txt")
  );
  assert.equal(e.message, "cookies.txt:3: expected 7 tab-separated fields, got 5");
  assert.equal(e.file, "cookies.txt");
  assert.equal(e.line, 3);
  assert.equal(e.code, "COOKIE_FILE_INVALID");

  e = errorOf(() => parseMozilla('{"appmesh_auth_token": "x"}', "c.json"));
  assert.equal(e.message, "c.json:1: expected 7 tab-separated fields, got 1");

  e = errorOf(() => parseMozilla("h\tYES\t/\tFALSE\t0\tn\tv\n", "f"));
  assert.match(e.message, /^f:1: field 2 \(include subdomains\) must be TRUE or FALSE/);

  e = errorOf(() => parseMozilla("h\tFALSE\t/\tMAYBE\t0\tn\tv\n", "f"));
  assert.match(e.message, /^f:1: field 4 \(secure\)/);

  e = errorOf(() => parseMozilla("h\tFALSE\t/\tFALSE\tsoon\tn\tv\n", "f"));
  assert.match(e.message, /^f:1: field 5 \(expires\) must be unix seconds/);

  e = errorOf(() => parseMozilla("h\tFALSE\tx/\tFALSE\t0\tn\tv\n", "f"));
  assert.match(e.message, /^f:1: path must start with "\/"/);

  e = errorOf(() => parseMozilla("h\tFALSE\t/\tFALSE\t0\tn\tv\tEXTRA\n", "f"));
  assert.equal(e.message, "f:1: expected 7 tab-separated fields, got 8");

  e = errorOf(() => parseMozilla("#HttpOnly_broken\n"));
  assert.equal(e.message, "cookie file:1: expected 7 tab-separated fields, got 1");

  e = errorOf(() => parseMozilla("\x00\x01\x02binary\x7f\n"));
  assert.equal(e.line, 1);
});

test("mozilla: error messages never contain a cookie value", () => {
  const e = errorOf(() => parseMozilla(`h\tFALSE\t/\tNOPE\t0\tappmesh_auth_token\t${T}\n`, "f"));
  assert.ok(!e.message.includes(T));
  assert.throws(
    () => formatMozilla([cookie({ value: "sec\tret" })]),
    (err: Error) => err instanceof TypeError && !err.message.includes("sec"),
  );
});
