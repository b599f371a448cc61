/**
 * The page the browser test loads (bundled by esbuild, run by headless Chromium): the client
 * against the local server from another origin, then through a reverse proxy on the page's own
 * origin. Every call's outcome goes back to the page server as one JSON report (`POST /report`).
 * Browser code: no Deno API here.
 */
import { AppMeshClient } from "../../mod.ts";

/** What one call did: its value, or the error it threw. */
export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; code?: string; header?: string; message: string } };

/** The report the page posts. */
export interface Report {
  crossOrigin: Record<string, Outcome>;
  sameOrigin: Record<string, Outcome>;
}

const { location } = globalThis as unknown as { location: { origin: string; search: string } };
const params = new URLSearchParams(location.search);
const daemon = params.get("daemon")!;
const node2 = params.get("node2")!;
const dir = params.get("dir")!;

async function outcome(fn: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const { name, code, header, message } = e as Record<string, string>;
    return { ok: false, error: { name, code, header, message } };
  }
}

/** A fresh TOTP code of the admin, from the page server (which holds the secret). */
async function totp(): Promise<string> {
  return await (await fetch("/totp")).text();
}

/** A bound on every run, so that a hang shows as a failed call rather than no report. */
const bounded = () => ({ signal: AbortSignal.timeout(60_000) });

async function follow(c: AppMeshClient, command: string) {
  const run = await c.runAppAsync(command, bounded());
  const chunks: string[] = [];
  const exitCode = await run.wait({ ...bounded(), onOutput: (chunk) => chunks.push(chunk) });
  const left = await c.getApp(run.appName).then(() => true, () => false);
  return { exitCode, output: chunks.join(""), runAppLeft: left };
}

/** `getAppOutput` after the exit: what it tells of the exit code, beside `wait`'s. */
async function outputAfterExit(c: AppMeshClient) {
  const run = await c.runAppAsync("echo four; exit 4", bounded());
  const waited = await run.wait({ ...bounded(), deleteApp: false });
  const out = await c.getAppOutput(run.appName);
  await c.deleteApp(run.appName);
  return {
    waited,
    output: out.output,
    outPosition: out.outPosition,
    exitCode: out.exitCode ?? null,
  };
}

/** The exit code header of a raw `syncrun` answer, as the page can read it. */
async function rawExitHeader(base: string, token: string) {
  const res = await fetch(`${base}/appmesh/app/syncrun?timeout=60`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ command: "exit 3", shell: true }),
  });
  await res.text();
  return { status: res.status, type: res.type, exitCode: res.headers.get("X-Exit-Code") };
}

/** The calls both scenarios make, with a logged-in client on `base`. */
async function common(c: AppMeshClient, base: string, r: Record<string, Outcome>) {
  const token = c.token ?? "";
  r.listApps = await outcome(async () => Array.isArray(await c.listApps()));
  r.apps = await outcome(async () => {
    const added = await c.addApp({ name: "browser-app", command: "sleep 60" });
    const got = await c.getApp("browser-app");
    await c.disableApp("browser-app");
    await c.enableApp("browser-app");
    const health = typeof await c.checkAppHealth("browser-app");
    const output = typeof (await c.getAppOutput("browser-app")).output;
    const deleted = await c.deleteApp("browser-app");
    return { added: added.name, got: got.name, health, output, deleted };
  });
  r.system = await outcome(async () => ({
    config: typeof (await c.getConfig()).REST,
    users: "admin" in await c.listUsers(),
    me: (await c.getCurrentUser()).name,
    permissions: (await c.getUserPermissions()).includes("app-view"),
  }));
  r.labels = await outcome(async () => {
    await c.addLabel("from-page", "yes");
    const value = (await c.listLabels())["from-page"];
    await c.deleteLabel("from-page");
    return value;
  });
  r.runAppSync = await outcome(() => c.runAppSync("echo hello; exit 3", bounded()));
  r.runAppAsyncWait = await outcome(() => follow(c, "echo one; sleep 1; echo two; exit 5"));
  r.outputAfterExit = await outcome(() => outputAfterExit(c));
  r.rawExitHeader = await outcome(() => rawExitHeader(base, token));
  r.authenticate = await outcome(async () => (await c.authenticate(token)).ok);
  r.authenticatePermission = await outcome(async () =>
    (await c.authenticate(token, { permission: "app-view" })).ok
  );
  r.forNode = await outcome(() => c.forNode(node2).runAppSync("echo node two", bounded()));
  r.upload = await outcome(() => c.upload(`${dir}/page.txt`, new Blob(["from a page\n"])));
  r.download = await outcome(async () => await (await c.download(`${dir}/page.txt`)).text());
  r.downloadFile = await outcome(() => c.downloadFile("/etc/hostname", "hostname"));
  r.renewToken = await outcome(async () => {
    await c.renewToken();
    return c.token !== token && (await c.getCurrentUser()).name;
  });
  r.logout = await outcome(() => c.logout());
}

async function crossOrigin(): Promise<Record<string, Outcome>> {
  const r: Record<string, Outcome> = {};
  const c = new AppMeshClient({ baseUrl: daemon });
  r.mode = await outcome(() => c.browser);
  r.cookieFile = await outcome(() => new AppMeshClient({ baseUrl: daemon, cookieFile: "c.txt" }));
  r.caOption = await outcome(() => new AppMeshClient({ baseUrl: daemon, ca: "/etc/ca.pem" }));
  // Asked-for headers fail before anything is sent.
  const other = () => new AppMeshClient({ baseUrl: daemon });
  r.loginExpire = await outcome(() => other().login("admin", "admin123", { expire: "PT1H" }));
  r.loginAudience = await outcome(() => other().login("admin", "admin123", { audience: "x" }));
  r.loginRefreshToken = await outcome(() =>
    new AppMeshClient({ baseUrl: daemon, refreshToken: true }).login("admin", "admin123")
  );
  // The TOTP code cannot travel in X-Totp-Code: it answers the 428 challenge instead.
  r.login = await outcome(async () => {
    const challenge = await c.login("admin", "admin123", { totpCode: await totp() });
    return { challenge: challenge ?? null, token: typeof c.token };
  });
  r.enableTotp = await outcome(() => c.enableTotp("123456"));
  // What the browser itself does with a header outside the daemon's CORS answer.
  r.rawForbiddenHeader = await outcome(() =>
    fetch(`${daemon}/appmesh/applications`, {
      headers: { authorization: `Bearer ${c.token}`, "x-target-host": node2 },
    }).then((res) => res.status)
  );
  await common(c, daemon, r);
  await c.close();
  return r;
}

async function sameOrigin(): Promise<Record<string, Outcome>> {
  const r: Record<string, Outcome> = {};
  // The page server proxies /appmesh/ to the local server: the daemon behind the page's host.
  const c = new AppMeshClient({ baseUrl: location.origin });
  r.mode = await outcome(() => c.browser);
  // X-Totp-Code and X-Expire-Seconds go out as they are.
  r.login = await outcome(async () => {
    const challenge = await c.login("admin", "admin123", { totpCode: await totp(), expire: 3600 });
    return { challenge: challenge ?? null, token: typeof c.token };
  });
  await common(c, location.origin, r);
  await c.close();
  return r;
}

const report: Report = { crossOrigin: await crossOrigin(), sameOrigin: await sameOrigin() };
await fetch("/report", { method: "POST", body: JSON.stringify(report) });
