// The session in a Mozilla cookie file: persisted, shared with Python and curl, re-read on 401,
// renewed under the lock by two processes at once.
// @bun
// @node
import assert from "node:assert/strict";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";
import { AppMeshAuthError, type AppMeshClient } from "../../src/client/mod.ts";
import { LockTimeoutError, tryLock } from "../../src/runtime/lock.ts";
import { exec, type Fixture, fixture, runScript } from "./_helpers.ts";

const RENEW_CHILD = fileURLToPath(new URL("./fixtures/renew_child.ts", import.meta.url));
const KILLED_RENEW_CHILD = fileURLToPath(
  new URL("./fixtures/killed_renew_child.ts", import.meta.url),
);

/** A server, and a client `a` logged in through the cookie file `name` in the temp dir. */
async function onCookieFile(
  run: (f: Fixture, file: string, a: AppMeshClient) => Promise<void>,
  name = "cookies.txt",
): Promise<void> {
  const f = await fixture({ login: false });
  try {
    const file = join(f.dir, name);
    const a = f.newClient({ cookieFile: file });
    await a.login("admin", "admin123");
    await run(f, file, a);
  } finally {
    await f.close();
  }
}

test("cookie file: written 0600 at login, a new client on it is logged in, logout clears it", async () => {
  await onCookieFile(async (f, file, a) => {
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, "utf8");
    assert.match(text, /^# Netscape HTTP Cookie File/);
    assert.ok(text.includes(a.token!));

    const b = f.newClient({ cookieFile: file });
    assert.equal((await b.getCurrentUser()).name, "admin");
    assert.equal(b.token, a.token);

    assert.equal(await b.logout(), true);
    assert.ok(!(await readFile(file, "utf8")).includes(a.token!));
    const c = f.newClient({ cookieFile: file });
    await assert.rejects(c.listApps(), AppMeshAuthError);
  }, "sub/cookies.txt");
});

test("Python's MozillaCookieJar reads our file and finds the token", async () => {
  await onCookieFile(async (_f, file, c) => {
    const py = `
import http.cookiejar, sys
jar = http.cookiejar.MozillaCookieJar(sys.argv[1])
jar.load(ignore_discard=True, ignore_expires=True)
print([c.value for c in jar if c.name == "appmesh_auth_token"][0])`;
    const r = await exec("python3", ["-c", py, file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), c.token);
  });
});

test("we load Python-written files (#HttpOnly_ host cookie; set_token's empty domain)", async () => {
  const f = await fixture();
  try {
    const token = f.client.token!;
    const py = `
import http.cookiejar, sys, time
def cookie(domain, rest):
    return http.cookiejar.Cookie(0, "appmesh_auth_token", sys.argv[2], None, False, domain,
        bool(domain), False, "/", True, domain != "", int(time.time()) + 86400 * 7, False,
        None, None, rest, False)
jar = http.cookiejar.MozillaCookieJar(sys.argv[1] + "/host.txt")
jar.set_cookie(cookie("127.0.0.1", {http.cookiejar.HTTPONLY_ATTR: ""}))
jar.save(ignore_discard=True, ignore_expires=True)
jar = http.cookiejar.MozillaCookieJar(sys.argv[1] + "/empty.txt")
jar.set_cookie(cookie("", {}))
jar.save(ignore_discard=True, ignore_expires=True)`;
    const r = await exec("python3", ["-c", py, f.dir, token]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(join(f.dir, "host.txt"), "utf8"), /^#HttpOnly_127\.0\.0\.1\t/m);
    for (const name of ["host.txt", "empty.txt"]) {
      const c = f.newClient({ cookieFile: join(f.dir, name) });
      assert.equal((await c.getCurrentUser()).name, "admin", name);
      assert.equal(c.token, token);
    }
  } finally {
    await f.close();
  }
});

test("curl -b FILE authenticates with our cookie file", async () => {
  await onCookieFile(async (f, file) => {
    const url = `${f.server.urls[0]}/appmesh/user/self`;
    const r = await exec("curl", ["-sS", "--cacert", f.server.caFile!, "-b", file, url]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, "admin");
  });
});

test("on a 401 the file is re-read once and the call retried with the newer token", async () => {
  await onCookieFile(async (f, file, a) => {
    const b = f.newClient({ cookieFile: file });
    await b.ready();
    const old = b.token;
    await a.renewToken(); // revokes the token b holds in memory
    assert.notEqual(a.token, old);
    assert.equal((await b.getCurrentUser()).name, "admin");
    assert.equal(b.token, a.token);
  });
});

test("renewToken adopts a newer token found in the file instead of renewing again", async () => {
  await onCookieFile(async (f, file, a) => {
    const b = f.newClient({ cookieFile: file });
    await b.ready();
    await a.renewToken();
    await b.renewToken();
    assert.equal(b.token, a.token);
    // Had b renewed, a's token would be revoked now.
    assert.equal((await a.getCurrentUser()).name, "admin");
    assert.equal(await b.reloadSession(), false);
  });
});

test("two processes renewing through one cookie file at once: valid file, working token", async () => {
  await onCookieFile(async (f, file) => {
    const args = [f.server.urls[0], f.server.caFile!, file];
    const [r1, r2] = await Promise.all([
      runScript(RENEW_CHILD, args),
      runScript(RENEW_CHILD, args),
    ]);
    for (const r of [r1, r2]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).user, "admin");
    }
    const c = f.newClient({ cookieFile: file });
    assert.equal((await c.getCurrentUser()).name, "admin");
    const tokens = [r1, r2].map((r) => JSON.parse(r.stdout).token);
    assert.ok(tokens.includes(c.token), "the file holds the token of the last renewal");
  });
});

test("SIGKILL right after a renewal's answer: the file holds the new token, leftovers go", async () => {
  const f = await fixture({ server: { tls: false }, login: false });
  try {
    const file = join(f.dir, "cookies.txt");
    const a = f.newClient({ cookieFile: file });
    await a.login("admin", "admin123");
    for (let round = 0; round < 3; round++) {
      const before = (await readFile(file, "utf8")).match(/appmesh_auth_token\t(\S+)/)![1];
      const r = await runScript(KILLED_RENEW_CHILD, [f.server.urls[0], file]);
      assert.equal(r.code, null, `not killed: ${r.code} ${r.stderr}`);
      const after = (await readFile(file, "utf8")).match(/appmesh_auth_token\t(\S+)/)![1];
      assert.notEqual(after, before, `round ${round}: the file still holds the revoked token`);
      // A new process on the file works without logging in (and takes over the dead lock).
      const c = f.newClient({ cookieFile: file });
      assert.equal((await c.getCurrentUser()).name, "admin");
      await c.renewToken({ expire: 3600 });
      const left = (await readdir(f.dir)).filter((n) => n.endsWith(".tmp") || n.endsWith(".lock"));
      assert.deepEqual(left, [], "temporary or lock files left behind");
    }
  } finally {
    await f.close();
  }
});

test("renewToken waits for the cookie file's lock: no renew request while another has it", async () => {
  const requests: string[] = [];
  const f = await fixture({ login: false, server: { logger: (line) => requests.push(line) } });
  try {
    const file = join(f.dir, "cookies.txt");
    const a = f.newClient({ cookieFile: file });
    await a.login("admin", "admin123");
    const before = a.token;
    const renews = () => requests.filter((l) => / POST \/appmesh\/token\/renew /.test(l)).length;
    // Another process's update of the file, as the lock file says: held for the whole renewal
    // attempt. The renewal gives up after its lock wait (10 s) — the event this test waits
    // for — and must not have asked the server meanwhile.
    const held = await tryLock(file);
    assert.ok(held, "the test holds the cookie file's lock");
    try {
      await assert.rejects(a.renewToken(), (e: unknown) => {
        assert.ok(e instanceof LockTimeoutError, String(e));
        assert.equal(e.path, `${file}.lock`);
        return true;
      });
      assert.equal(renews(), 0, requests.join("\n"));
      assert.equal(a.token, before);
    } finally {
      await held.release();
    }
    // Released: a renewal goes through, once, and the file holds its token.
    await a.renewToken();
    assert.equal(renews(), 1, requests.join("\n"));
    assert.notEqual(a.token, before);
    assert.ok((await readFile(file, "utf8")).includes(a.token!));
    assert.equal((await f.newClient({ cookieFile: file }).getCurrentUser()).name, "admin");
  } finally {
    await f.close();
  }
});

test("a garbled cookie file is an error naming the file and line, never an empty session", async () => {
  const f = await fixture();
  try {
    const file = join(f.dir, "garbled.txt");
    await writeFile(file, "# Netscape HTTP Cookie File\n\nthis line is garbage\n", { mode: 0o600 });
    const c = f.newClient({ cookieFile: file });
    await assert.rejects(c.listApps(), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.ok(e.message.includes("garbled.txt"), e.message);
      assert.match(e.message, /:3\b/);
      return true;
    });
  } finally {
    await f.close();
  }
});

test("a cookie file readable by others earns a warning through the logger", async () => {
  const f = await fixture();
  try {
    const file = join(f.dir, "open.txt");
    await f.newClient({ cookieFile: file }).setToken(f.client.token!);
    await chmod(file, 0o644);
    const warnings: string[] = [];
    const c = f.newClient({ cookieFile: file, logger: { warn: (m) => warnings.push(m) } });
    assert.equal((await c.getCurrentUser()).name, "admin");
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes("open.txt"), warnings[0]);
    assert.ok(!warnings[0].includes(f.client.token!));
  } finally {
    await f.close();
  }
});
