// Browser mode set by hand outside a browser: what each mode sends to the local server, and what
// it refuses before sending. (tests/browser runs the same client in Chromium.)
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import {
  AppMeshBrowserError,
  AppMeshClient,
  type BrowserMode,
  type ClientOptions,
} from "../../src/client/mod.ts";
import { createFetch } from "../../src/runtime/tls.ts";
import { fixture } from "./_helpers.ts";

/** A client in `browser` mode over real HTTPS, recording the headers of every request. */
async function recording(baseUrl: string, caPem: string, browser?: BrowserMode) {
  const tls = await createFetch({ ca: caPem });
  const sent: { path: string; headers: Record<string, string> }[] = [];
  const client = new AppMeshClient({
    baseUrl,
    browser,
    fetch: (input, init) => {
      sent.push({
        path: new URL(String(input)).pathname,
        headers: Object.fromEntries(new Headers(init?.headers)),
      });
      return tls.fetch(input, init);
    },
  });
  return {
    client,
    sent,
    close: async () => {
      await client.close();
      tls.close();
    },
  };
}

function browserError(e: unknown, code: string, header?: string): true {
  assert.ok(e instanceof AppMeshBrowserError, String(e));
  assert.equal(e.code, code);
  assert.equal(e.header, header);
  return true;
}

test("browser mode: options a browser cannot honour are refused at construction", () => {
  const base = { baseUrl: "https://127.0.0.1:6060" };
  for (const browser of ["cross-origin", "same-origin"] as const) {
    const bad: ClientOptions[] = [
      { cookieFile: "cookies.txt" },
      { ca: "ca.pem" },
      { cert: "c.pem", key: "k.pem" },
      { verify: false },
    ];
    for (const extra of bad) {
      assert.throws(
        () => new AppMeshClient({ ...base, browser, ...extra }),
        (e) => browserError(e, "NOT_IN_BROWSER"),
      );
    }
  }
  assert.throws(
    () => new AppMeshClient({ ...base, browser: "cors" as BrowserMode }),
    TypeError,
  );
  // Deno and Bun are not browsers: no mode unless asked for.
  assert.equal(new AppMeshClient(base).browser, undefined);
  assert.equal(new AppMeshClient({ ...base, browser: "same-origin" }).browser, "same-origin");
});

test("browser mode: cross-origin sends only Authorization and Content-Type", async () => {
  const f = await fixture({ server: { nodes: 2 }, login: false });
  const r = await recording(f.server.urls[0], f.server.caPem!, "cross-origin");
  try {
    await r.client.login("admin", "admin123");
    const login = r.sent.find((s) => s.path === "/appmesh/login")!;
    assert.deepEqual(Object.keys(login.headers), ["authorization"]);
    assert.equal((await r.client.runAppSync("echo hi; exit 2")).exitCode, 2);
    await r.client.renewToken();
    // The base URL's own node needs no X-Target-Host, so it works.
    assert.ok(Array.isArray(await r.client.forNode(f.server.nodes[0].name).listApps()));
    for (const { headers } of r.sent) {
      for (const name of Object.keys(headers)) {
        assert.ok(["authorization", "content-type"].includes(name), `sent ${name}`);
      }
    }

    const before = r.sent.length;
    const refusedWith = async (call: () => Promise<unknown>, header: string) => {
      await assert.rejects(call, (e) => {
        browserError(e, "CROSS_ORIGIN_HEADER", header);
        assert.match(
          (e as Error).message,
          /Access-Control-Allow-Headers: Authorization, Content-Type/,
        );
        return true;
      });
    };
    await refusedWith(() => r.client.forNode(f.server.nodes[1].name).listApps(), "X-Target-Host");
    await refusedWith(
      () => r.client.login("admin", "admin123", { expire: 60 }),
      "X-Expire-Seconds",
    );
    await refusedWith(() => r.client.login("admin", "x", { setCookie: true }), "X-Set-Cookie");
    await refusedWith(() => r.client.download("/etc/hostname"), "X-File-Path");
    await refusedWith(
      () => r.client.listApps({ headers: { "X-Custom": "1" } }),
      "X-Custom",
    );
    assert.equal(r.sent.length, before, "a refused call sent something");
    await assert.rejects(
      () => r.client.downloadFile("/etc/hostname", `${f.dir}/h`),
      (e) => browserError(e, "NOT_IN_BROWSER"),
    );
  } finally {
    await r.close();
    await f.close();
  }
});

test("browser mode: same-origin sends every header, asks for a cookie only when told", async () => {
  const f = await fixture({ server: { nodes: 2 }, login: false });
  const r = await recording(f.server.urls[0], f.server.caPem!, "same-origin");
  try {
    await r.client.login("admin", "admin123");
    await r.client.login("admin", "admin123", { expire: "PT1H", setCookie: true });
    const [plain, asked] = r.sent.filter((s) => s.path === "/appmesh/login");
    assert.deepEqual(Object.keys(plain.headers), ["authorization"]);
    assert.equal(asked.headers["x-expire-seconds"], "3600");
    assert.equal(asked.headers["x-set-cookie"], "true");
    const out = await r.client.forNode(f.server.nodes[1].name).runAppSync("echo two");
    assert.deepEqual(out, { exitCode: 0, output: "two\n" });
    await r.client.upload(`${f.dir}/up.txt`, "same origin\n");
    assert.equal(await (await r.client.download(`${f.dir}/up.txt`)).text(), "same origin\n");
    for (const { headers } of r.sent) {
      assert.equal(headers["user-agent"], undefined);
      assert.equal(headers["cookie"], undefined);
    }
  } finally {
    await r.close();
    await f.close();
  }
});

test("no browser mode: login asks for the cookie and the lifetime, as before", async () => {
  const f = await fixture({ login: false });
  const r = await recording(f.server.urls[0], f.server.caPem!);
  try {
    await r.client.login("admin", "admin123");
    const login = r.sent.find((s) => s.path === "/appmesh/login")!;
    assert.equal(login.headers["x-set-cookie"], "true");
    assert.equal(login.headers["x-expire-seconds"], String(7 * 24 * 3600));
    assert.equal(login.headers["user-agent"], "appmesh/typescript");
  } finally {
    await r.close();
    await f.close();
  }
});
