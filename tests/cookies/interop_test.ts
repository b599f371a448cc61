// Interop with the real tools: Python's http.cookiejar.MozillaCookieJar and curl read the cookie
// file we write, and we read what they write (#HttpOnly_, set_token's empty-domain cookie).
// @bun
// @node
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../harness.ts";
import { type Cookie, CookieJar } from "../../src/cookies/jar.ts";
import { readCookieFile, writeCookieFile } from "../../src/cookies/file.ts";
import { echoServer, hostCookie, now, pairs, run, withTempDir } from "./_helpers.ts";

const TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";

function tokenCookie(over: Partial<Cookie> = {}): Cookie {
  return hostCookie("appmesh_auth_token", TOKEN, over);
}

// Loads a file the way the Python client does, prints every cookie and the Cookie header
// Python's policy would send to each URL given.
const PY_LOAD = `
import http.cookiejar, json, sys, urllib.request
jar = http.cookiejar.MozillaCookieJar(sys.argv[1])
jar.load(ignore_discard=True, ignore_expires=True)
out = {"cookies": [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
  "secure": c.secure, "expires": c.expires, "httponly": c.has_nonstandard_attr("HTTPOnly")}
  for c in jar], "headers": {}}
for url in sys.argv[2:]:
    req = urllib.request.Request(url)
    jar.add_cookie_header(req)
    out["headers"][url] = req.get_header("Cookie")
print(json.dumps(out))
`;

test("interop: Python's MozillaCookieJar loads our file and finds the token", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/cookies.txt`;
    await writeCookieFile(file, [
      tokenCookie(),
      { ...tokenCookie(), name: "appmesh_refresh_token", value: "R", path: "/appmesh/token" },
      { ...tokenCookie(), name: "sess", value: "S", expires: undefined, httpOnly: false },
      { ...tokenCookie(), name: "dom", value: "D", domain: "mesh.example", hostOnly: false },
    ]);
    const r = await run("python3", [
      "-c",
      PY_LOAD,
      file,
      "https://127.0.0.1:6060/appmesh/applications",
      "https://127.0.0.1:6060/appmesh/token/renew",
      "http://127.0.0.1:6060/",
      "https://127.0.0.2:6060/",
      "https://n1.mesh.example/",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const token = out.cookies.find((c: { name: string }) => c.name === "appmesh_auth_token");
    assert.equal(token.value, TOKEN);
    assert.equal(token.domain, "127.0.0.1");
    assert.equal(token.secure, true);
    assert.equal(token.httponly, true);
    assert.ok(token.expires > now());
    const h = out.headers;
    assert.equal(h["https://127.0.0.1:6060/appmesh/applications"], `appmesh_auth_token=${TOKEN}`);
    assert.deepEqual(pairs(h["https://127.0.0.1:6060/appmesh/token/renew"]), [
      `appmesh_auth_token=${TOKEN}`,
      "appmesh_refresh_token=R",
    ]);
    assert.equal(h["http://127.0.0.1:6060/"], null); // Secure
    assert.equal(h["https://127.0.0.2:6060/"], null); // host-only
    assert.equal(h["https://n1.mesh.example/"], "dom=D");
    const sess = out.cookies.find((c: { name: string }) => c.name === "sess");
    assert.equal(sess.value, "S"); // loaded (expires 0); Python's policy sends no expires-0 cookie
  });
});

test("interop: we read a file Python wrote (set_token's empty domain, #HttpOnly_, server cookies)", async () => {
  const server = await echoServer();
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/py-cookies.txt`;
      const setUrl = `${server.url}/set?` + new URLSearchParams([
        ["c", "appmesh_csrf_token=CSRF1; Path=/; HttpOnly"],
        ["c", "srv=S1; Path=/appmesh; Max-Age=3600"],
      ]);
      // The Python client's set_token cookie, verbatim, plus cookies from a real response.
      const py = `
import http.cookiejar, sys, time, urllib.request
jar = http.cookiejar.MozillaCookieJar(sys.argv[1])
jar.set_cookie(http.cookiejar.Cookie(version=0, name="appmesh_auth_token", value=sys.argv[3],
  port=None, port_specified=False, domain="", domain_specified=False, domain_initial_dot=False,
  path="/", path_specified=True, secure=False, expires=int(time.time()) + 86400 * 7,
  discard=False, comment=None, comment_url=None, rest={}, rfc2109=False))
# Python writes #HttpOnly_ only for its own spelling of the attribute (not for a server's
# "HttpOnly", which it loses): what a cookie loaded from a curl file carries.
jar.set_cookie(http.cookiejar.Cookie(version=0, name="ho", value="H", port=None,
  port_specified=False, domain="127.0.0.1", domain_specified=False, domain_initial_dot=False,
  path="/", path_specified=True, secure=True, expires=int(time.time()) + 600, discard=False,
  comment=None, comment_url=None, rest={"HTTPOnly": ""}, rfc2109=False))
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
opener.open(sys.argv[2]).read()
jar.save(ignore_discard=True, ignore_expires=True)
`;
      const r = await run("python3", ["-c", py, file, setUrl, TOKEN]);
      assert.equal(r.code, 0, r.stderr);
      const { cookies, warning } = await readCookieFile(file);
      assert.equal(warning, undefined); // Python creates it 0600
      const byName = new Map(cookies.map((c) => [c.name, c]));
      const token = byName.get("appmesh_auth_token")!;
      assert.equal(token.value, TOKEN);
      assert.equal(token.domain, "");
      assert.ok(token.expires! > now() + 86400 * 6);
      const text = await readFile(file, "utf8");
      assert.match(text, /^#HttpOnly_127\.0\.0\.1\tFALSE\t\/\tTRUE\t\d+\tho\tH$/m);
      assert.equal(byName.get("ho")!.httpOnly, true);
      assert.equal(byName.get("ho")!.secure, true);
      const csrf = byName.get("appmesh_csrf_token")!;
      assert.equal(csrf.domain, "127.0.0.1");
      assert.equal(csrf.hostOnly, true);
      assert.equal(csrf.expires, undefined); // Python writes an empty expires for a session cookie
      assert.equal(byName.get("srv")!.path, "/appmesh");
      // The empty-domain token is sent to any host, as Python does.
      const jar = new CookieJar(cookies);
      assert.deepEqual(pairs(jar.header("https://127.0.0.1:6060/appmesh/applications")), [
        "appmesh_auth_token=" + TOKEN,
        "appmesh_csrf_token=CSRF1",
        "ho=H",
        "srv=S1",
      ]);
      assert.equal(jar.header("https://node2.example:6060/"), "appmesh_auth_token=" + TOKEN);
    });
  } finally {
    await server.close();
  }
});

test("interop: curl -b sends the cookies of our file to a real local server", async () => {
  const server = await echoServer();
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/cookies.txt`;
      const cookies: Cookie[] = [
        tokenCookie(),
        { ...tokenCookie(), name: "plain", value: "P", secure: false, httpOnly: false },
        { ...tokenCookie(), name: "sess", value: "S", expires: undefined },
        { ...tokenCookie(), name: "deep", value: "X", path: "/appmesh/token" },
        { ...tokenCookie(), name: "other", value: "O", domain: "127.0.0.2" },
      ];
      await writeCookieFile(file, cookies);
      const jar = new CookieJar(cookies);
      for (const path of ["/appmesh/applications", "/appmesh/token/renew", "/"]) {
        const r = await run("curl", [
          "-sS",
          "--max-time",
          "30",
          "-b",
          file,
          `${server.url}${path}`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        // curl treats 127.0.0.1 as a secure context, so Secure cookies go over http there.
        const expected = jar.header(`https://127.0.0.1${path}`);
        assert.deepEqual(pairs(r.stdout), pairs(expected), path);
        assert.ok(r.stdout.includes(`appmesh_auth_token=${TOKEN}`));
      }
    });
  } finally {
    await server.close();
  }
});

test("interop: we read the cookie jar curl -c writes", async () => {
  const server = await echoServer();
  try {
    await withTempDir(async (dir) => {
      const file = `${dir}/curl-cookies.txt`;
      const setUrl = `${server.url}/set?` + new URLSearchParams([
        ["c", `appmesh_auth_token=${TOKEN}; Path=/; Max-Age=3600; HttpOnly`],
        ["c", "sess=1; Path=/"],
        ["c", "empty=; Path=/appmesh"],
      ]);
      const r = await run("curl", ["-sS", "--max-time", "30", "-c", file, setUrl]);
      assert.equal(r.code, 0, r.stderr);
      const { cookies } = await readCookieFile(file);
      const byName = new Map(cookies.map((c) => [c.name, c]));
      const token = byName.get("appmesh_auth_token")!;
      assert.equal(token.value, TOKEN);
      assert.equal(token.httpOnly, true);
      assert.equal(token.hostOnly, true);
      assert.equal(token.domain, "127.0.0.1");
      assert.ok(Math.abs(token.expires! - (now() + 3600)) < 120);
      assert.equal(byName.get("sess")!.expires, undefined);
      assert.equal(byName.get("empty")!.value, "");
      // And what we write back from it, curl reads again.
      await writeCookieFile(file, cookies);
      const again = await run("curl", [
        "-sS",
        "--max-time",
        "30",
        "-b",
        file,
        `${server.url}/appmesh/x`,
      ]);
      assert.deepEqual(pairs(again.stdout), [`appmesh_auth_token=${TOKEN}`, "empty=", "sess=1"]);
    });
  } finally {
    await server.close();
  }
});

test("interop: Python and curl both reject nothing of a file with every kind of line we write", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/cookies.txt`;
    await writeCookieFile(file, [
      tokenCookie(),
      { ...tokenCookie(), name: "any", value: "A", domain: "" },
      { ...tokenCookie(), name: "v", value: "", secure: false },
    ]);
    const py = await run("python3", ["-c", PY_LOAD, file]);
    assert.equal(py.code, 0, py.stderr);
    assert.deepEqual(
      JSON.parse(py.stdout).cookies.map((c: { name: string }) => c.name).sort(),
      ["any", "appmesh_auth_token", "v"],
    );
    // curl cannot represent an empty domain (it splits on runs of tabs); it must still load the rest.
    const server = await echoServer();
    try {
      const r = await run("curl", ["-sS", "--max-time", "30", "-b", file, `${server.url}/`]);
      assert.ok(r.stdout.includes(`appmesh_auth_token=${TOKEN}`), r.stdout);
      assert.ok(r.stdout.includes("v="), r.stdout);
    } finally {
      await server.close();
    }
  });
});
