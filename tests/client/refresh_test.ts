// Token auto-refresh: renews before expiry (server's early-expiry fault), stops on a 401, and
// its timer never keeps a process alive.
// @bun
// @node
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";
import { fixture, runScript, until } from "./_helpers.ts";

const REFRESH_CHILD = fileURLToPath(new URL("./fixtures/refresh_child.ts", import.meta.url));

test("auto-refresh renews a short-lived token before it expires", async () => {
  const f = await fixture({ server: { faults: { tokenLifetimeSeconds: 4 } }, login: false });
  try {
    const warnings: string[] = [];
    const c = f.newClient({ autoRefreshToken: true, logger: { warn: (m) => warnings.push(m) } });
    await c.login("admin", "admin123");
    const first = c.token!;
    const firstExp = c.tokenExpiresAt!.getTime();
    await until(() => c.token !== first, "a renewed token", 30_000);
    // Keep working past the first token's expiry: the refresh keeps up.
    await until(() => Date.now() > firstExp + 1500, "the first token's expiry", 30_000);
    assert.equal((await c.getCurrentUser()).name, "admin");
    assert.ok(c.tokenExpiresAt!.getTime() > firstExp);
    assert.deepEqual(warnings, []);
    await c.close();
  } finally {
    await f.close();
  }
});

test("auto-refresh stops for good on a 401 (revoked token) and says so", async () => {
  const f = await fixture({ server: { faults: { tokenLifetimeSeconds: 10 } }, login: false });
  try {
    const warnings: string[] = [];
    const c = f.newClient({ autoRefreshToken: true, logger: { warn: (m) => warnings.push(m) } });
    await c.login("admin", "admin123");
    // Revoke it behind the client's back.
    await f.newClient({ token: c.token }).logout();
    // A renewal that meets a dropped connection first (a loaded machine) is retried: wait for
    // the 401's warning itself, not for the first warning.
    await until(() => warnings.some((w) => /auto-refresh stopped/.test(w)), "a warning", 30_000);
    const stopped = warnings.find((w) => /auto-refresh stopped/.test(w))!;
    assert.match(stopped, /auto-refresh stopped/);
    for (const w of warnings) assert.ok(!w.includes(c.token ?? "no token"));
    await c.close();
  } finally {
    await f.close();
  }
});

test("a process with an auto-refreshing client that is never closed still exits", async () => {
  const f = await fixture({ login: false });
  try {
    const r = await runScript(REFRESH_CHILD, [f.server.urls[0], f.server.caFile!], {
      timeoutMs: 60_000,
    });
    // Killed by the 60 s guard (code null) would mean the timer kept it alive (it polls at 300 s).
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).user, "admin");
  } finally {
    await f.close();
  }
});

test("auto-refresh backs off after a network failure and then renews", async () => {
  const f = await fixture({ server: { faults: { tokenLifetimeSeconds: 16 } }, login: false });
  const { createFetch } = await import("../../src/runtime/tls.ts");
  const tls = await createFetch({ ca: f.server.caPem });
  try {
    let failures = 0;
    // The first renewal meets a dead network; the next one goes through.
    const flaky: typeof fetch = (input, init) => {
      if (String(input).endsWith("/appmesh/token/renew") && failures === 0) {
        failures++;
        return Promise.reject(new TypeError("network is unreachable"));
      }
      return tls.fetch(input, init);
    };
    const warnings: string[] = [];
    const c = f.newClient({
      fetch: flaky,
      autoRefreshToken: true,
      logger: { warn: (m) => warnings.push(m) },
    });
    await c.login("admin", "admin123");
    const first = c.token;
    await until(() => c.token !== first, "a renewed token after the failure", 60_000);
    assert.equal(failures, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /auto-refresh failed \(retry in \d+ s\).*network is unreachable/);
    assert.equal((await c.getCurrentUser()).name, "admin");
    await c.close();
  } finally {
    tls.close();
    await f.close();
  }
});

test("a call in flight while this process renews the token is retried once with the new one", async () => {
  const requests: string[] = [];
  const f = await fixture({ server: { logger: (line) => requests.push(line) }, login: false });
  const { createFetch } = await import("../../src/runtime/tls.ts");
  const tls = await createFetch({ ca: f.server.caPem });
  try {
    // The labels call leaves with the token of its time, and is held on its way (a slow
    // network) until the renewal is done: no timing, the order is fixed.
    let leaving!: (bearer: string | null) => void;
    const left = new Promise<string | null>((r) => (leaving = r));
    let release!: () => void;
    const renewed = new Promise<void>((r) => (release = r));
    let held = false;
    const slowLabels: typeof fetch = async (input, init) => {
      if (!held && new URL(String(input)).pathname === "/appmesh/labels") {
        held = true;
        leaving(new Headers(init?.headers).get("authorization"));
        await renewed;
      }
      return await tls.fetch(input, init);
    };
    const c = f.newClient({ fetch: slowLabels });
    await c.login("admin", "admin123");
    const before = c.token;
    const inFlight = c.listLabels();
    assert.equal(await left, `Bearer ${before}`);
    await c.renewToken(); // revokes the token the labels request carries
    assert.notEqual(c.token, before);
    release();
    assert.equal(typeof (await inFlight), "object");
    // Refused with the old token, then retried once with the new one.
    assert.deepEqual(
      requests.filter((l) => l.includes(" GET /appmesh/labels ")).map((l) => l.split(" ").pop()),
      ["401", "200"],
    );
  } finally {
    tls.close();
    await f.close();
  }
});
