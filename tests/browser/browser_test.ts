// The client bundled by esbuild and run in headless Chromium, from a page on another origin than
// the local server (cross-origin), then through a reverse proxy on the page's own origin
// (same-origin). Deno only: it drives a browser. Chromium missing is a failure, not a skip.
import assert from "node:assert/strict";
import { TOTP } from "otpauth";
import { AppMeshClient } from "../../src/client/mod.ts";
import { startDevServer } from "../../src/devserver/mod.ts";
import {
  bundle,
  findChromium,
  importsNodeStatically,
  launchChromium,
  servePage,
  spkiHashes,
} from "./_chromium.ts";
import type { Outcome, Report } from "./page.ts";

/** The rule the cross-origin errors name. */
const CORS_RULE = /Access-Control-Allow-Headers: Authorization, Content-Type only/;

function value(o: Outcome | undefined, what: string): unknown {
  assert.ok(o, `${what}: no outcome`);
  if (!o.ok) assert.fail(`${what} failed in the browser: ${o.error.name}: ${o.error.message}`);
  return o.value;
}

function refused(o: Outcome | undefined, what: string, code: string, header?: string): string {
  assert.ok(o, `${what}: no outcome`);
  if (o.ok) assert.fail(`${what} worked in the browser, but must fail: ${JSON.stringify(o.value)}`);
  assert.equal(o.error.name, "AppMeshBrowserError", `${what}: ${o.error.message}`);
  assert.equal(o.error.code, code, `${what}: ${o.error.message}`);
  assert.equal(o.error.header, header, `${what}: ${o.error.message}`);
  return o.error.message;
}

/** What both scenarios must do alike. */
function works(r: Record<string, Outcome>): void {
  assert.equal(value(r.listApps, "listApps"), true);
  assert.deepEqual(value(r.apps, "add/get/disable/enable/health/output/delete app"), {
    added: "browser-app",
    got: "browser-app",
    health: "boolean",
    output: "string",
    deleted: true,
  });
  assert.deepEqual(value(r.system, "config, users, current user, permissions"), {
    config: "object",
    users: true,
    me: "admin",
    permissions: true,
  });
  assert.equal(value(r.labels, "labels"), "yes");
  assert.deepEqual(value(r.runAppSync, "runAppSync"), { exitCode: 3, output: "hello\n" });
  assert.deepEqual(value(r.runAppAsyncWait, "runAppAsync + wait"), {
    exitCode: 5,
    output: "one\ntwo\n",
    runAppLeft: false,
  });
  assert.equal(value(r.authenticate, "authenticate"), true);
  assert.equal(value(r.renewToken, "renewToken"), "admin");
  assert.equal(value(r.logout, "logout"), true);
}

Deno.test({
  name: "browser: the bundled client in headless Chromium, cross-origin and same-origin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const chromium = findChromium();
    const cleanup: (() => Promise<unknown>)[] = [];
    try {
      const server = await startDevServer({ nodes: 2 });
      cleanup.unshift(() => server.close());
      const dir = await Deno.makeTempDir({ prefix: "appmesh-browser-test-" });
      cleanup.unshift(() => Deno.remove(dir, { recursive: true }));

      // TOTP on for admin: the cross-origin login must answer the 428 challenge with the code.
      const admin = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
      cleanup.unshift(() => admin.close());
      await admin.login("admin", "admin123");
      const totp = new TOTP({ secret: await admin.getTotpSecret() });
      await admin.enableTotp(totp.generate());

      const b = await bundle(new URL("./page.ts", import.meta.url).pathname);
      await t.step("esbuild --splitting keeps file and TLS code out of the page's load", () => {
        assert.equal(importsNodeStatically(b.files.get(b.entry)!), false);
        const lazy = [...b.files].filter(([, code]) => importsNodeStatically(code));
        assert.ok(lazy.length >= 2, `chunks importing node:*: ${lazy.map(([n]) => n)}`);
      });

      const page = servePage(b, {
        upstream: server.urls[0],
        caPem: server.caPem!,
        totp: () => totp.generate(),
      });
      cleanup.unshift(() => page.close());
      const spki = await spkiHashes([`${server.stateDir}/server.pem`, server.caFile!]);
      const query = new URLSearchParams({
        daemon: server.urls[0],
        node2: server.nodes[1].name,
        dir,
      });
      const browser = await launchChromium(chromium, `${page.origin}/?${query}`, spki);
      cleanup.unshift(() => browser.close());

      let timer: ReturnType<typeof setTimeout> | undefined;
      const got = await Promise.race([
        page.report,
        browser.exited.then((why) => ({ fatal: why })),
        new Promise((r) => timer = setTimeout(() => r({ fatal: "no report in 120 s" }), 120_000)),
      ]);
      clearTimeout(timer);
      const fatal = (got as { fatal?: string }).fatal;
      if (fatal !== undefined) assert.fail(`the page did not finish: ${fatal}`);
      const { crossOrigin: x, sameOrigin: s } = got as Report;

      await t.step("the bundle's lazy node:* chunks are never loaded", () => {
        for (const name of page.requested) {
          assert.equal(importsNodeStatically(b.files.get(name)!), false, `${name} was loaded`);
        }
      });

      await t.step("cross-origin: the mode is picked by itself", () => {
        assert.equal(value(x.mode, "mode"), "cross-origin");
      });

      await t.step("cross-origin: cookieFile and TLS options are refused", () => {
        assert.match(refused(x.cookieFile, "cookieFile", "NOT_IN_BROWSER"), /cookieFile/);
        assert.match(refused(x.caOption, "ca", "NOT_IN_BROWSER"), /certificate store/);
      });

      await t.step("cross-origin: login with a TOTP code answers the 428 challenge", () => {
        assert.deepEqual(value(x.login, "login"), { challenge: null, token: "string" });
      });

      await t.step("cross-origin: apps, labels, users, runs with output and exit codes", () => {
        works(x);
      });

      await t.step("cross-origin: the daemon's CORS answer as the browser applies it", () => {
        // X-Exit-Code is sent but not exposed: the page cannot read it.
        assert.deepEqual(value(x.rawExitHeader, "raw syncrun"), {
          status: 200,
          type: "cors",
          exitCode: null,
        });
        // getAppOutput cannot tell the exit code either; it counts the position itself.
        assert.deepEqual(value(x.outputAfterExit, "getAppOutput after the exit"), {
          waited: 4,
          output: "four\n",
          outPosition: 5,
          exitCode: null,
        });
        // A header outside Access-Control-Allow-Headers: the preflight fails, no reason given.
        assert.ok(!x.rawForbiddenHeader.ok, "a raw X-Target-Host request went through");
        assert.equal(x.rawForbiddenHeader.error.name, "TypeError");
      });

      await t.step(
        "cross-origin: calls needing other headers fail with the documented error",
        () => {
          const cases: [Outcome, string, string][] = [
            [x.loginExpire, "login { expire }", "X-Expire-Seconds"],
            [x.loginAudience, "login { audience }", "X-Audience"],
            [x.loginRefreshToken, "refreshToken: true", "X-Refresh-Token-Request"],
            [x.authenticatePermission, "authenticate { permission }", "X-Permission"],
            [x.enableTotp, "enableTotp", "X-Totp-Code"],
            [x.forNode, "forNode", "X-Target-Host"],
            [x.upload, "upload", "X-File-Path"],
            [x.download, "download", "X-File-Path"],
          ];
          for (const [o, what, header] of cases) {
            const message = refused(o, what, "CROSS_ORIGIN_HEADER", header);
            assert.match(message, CORS_RULE, what);
            assert.ok(message.includes(`${header} cannot be sent`), message);
          }
          assert.match(refused(x.downloadFile, "downloadFile", "NOT_IN_BROWSER"), /download\(\)/);
        },
      );

      await t.step("same-origin (reverse proxy): every call but local files works", () => {
        assert.equal(value(s.mode, "mode"), "same-origin");
        assert.deepEqual(value(s.login, "login"), { challenge: null, token: "string" });
        works(s);
        assert.deepEqual(value(s.rawExitHeader, "raw syncrun"), {
          status: 200,
          type: "basic",
          exitCode: "3",
        });
        assert.deepEqual(value(s.outputAfterExit, "getAppOutput after the exit"), {
          waited: 4,
          output: "four\n",
          outPosition: 5,
          exitCode: 4,
        });
        assert.equal(value(s.authenticatePermission, "authenticate { permission }"), true);
        assert.deepEqual(value(s.forNode, "forNode"), { exitCode: 0, output: "node two\n" });
        assert.equal(value(s.upload, "upload"), undefined);
        assert.equal(value(s.download, "download"), "from a page\n");
        assert.match(refused(s.downloadFile, "downloadFile", "NOT_IN_BROWSER"), /local path/);
      });
    } finally {
      for (const step of cleanup) await step().catch(() => {});
    }
  },
});
