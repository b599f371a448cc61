// The "Done when": a script that imports mod.ts, logs in against a 2-node local server
// with a cookie file, and exercises every method, forNode included.
// @bun
// @node
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TOTP } from "otpauth";
import { test } from "../harness.ts";
import { AppMeshClient, AppRun } from "../../src/client/mod.ts";
import { startDevServer } from "../../src/devserver/mod.ts";
import { shellWorker, until } from "./_helpers.ts";

test("done when: every method against a 2-node server with a cookie file", async () => {
  const server = await startDevServer({ nodes: 2 });
  const dir = await mkdtemp(join(tmpdir(), "appmesh-done-when-"));
  const cookieFile = join(dir, "cookies.txt");
  const client = new AppMeshClient({
    baseUrl: server.urls[0],
    ca: server.caFile,
    cookieFile,
    refreshToken: true,
  });
  try {
    // auth
    assert.equal(await client.login("admin", "admin123", { expire: "P1D" }), undefined);
    assert.ok((await readFile(cookieFile, "utf8")).includes(client.token!));
    const again = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile, cookieFile });
    assert.equal((await again.getCurrentUser()).name, "admin"); // logged in from the file
    await again.close();
    const token = client.token!;
    assert.equal((await client.authenticate(token, { permission: "app-view" })).ok, true);
    await client.renewToken({ expire: "PT2H" });
    assert.notEqual(client.token, token);
    const other = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
    await other.setToken(client.token!);
    assert.equal((await other.getCurrentUser()).name, "admin");
    await other.close();

    // TOTP
    const secret = await client.getTotpSecret();
    const totp = new TOTP({ secret });
    await client.enableTotp(totp.generate());
    const mfa = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
    const challenge = await mfa.login("admin", "admin123");
    assert.ok(challenge);
    await mfa.validateTotp("admin", challenge!, totp.generate());
    await mfa.disableTotp();
    assert.equal((await client.getCurrentUser()).mfa_enabled, false);
    assert.equal(await mfa.logout(), true);
    await mfa.close();

    // apps on node 2 through forNode
    const node2 = client.forNode(server.nodes[1].name);
    const app = await node2.addApp({ name: "done-app", command: "sleep 60" });
    assert.equal(app.name, "done-app");
    assert.equal((await node2.getApp("done-app")).command, "sleep 60");
    assert.ok((await node2.listApps()).some((a) => a.name === "done-app"));
    assert.ok(!(await client.listApps()).some((a) => a.name === "done-app"));
    await node2.disableApp("done-app");
    await node2.enableApp("done-app");
    assert.equal(typeof await node2.checkAppHealth("done-app"), "boolean");
    const out = await node2.getAppOutput("done-app");
    assert.equal(out.status, 200);
    assert.equal(await node2.deleteApp("done-app"), true);

    // runs
    const sync = await client.runAppSync("echo sync; exit 5", { maxTime: 30 });
    assert.deepEqual(sync, { exitCode: 5, output: "sync\n" });
    const run = await node2.runAppAsync("echo async; exit 6", { maxTime: "PT1M", lifecycle: 120 });
    assert.ok(run instanceof AppRun);
    assert.equal(run.node, server.nodes[1].name);
    let seen = "";
    assert.equal(await client.waitForAsyncRun(run, { onOutput: (s) => (seen += s) }), 6);
    assert.equal(seen, "async\n");
    const run2 = await client.runAppAsync({ command: "exit 0", shell: true });
    assert.equal(await run2.wait(), 0);

    // tasks
    const worker = shellWorker("got");
    await client.addApp({
      name: "done-worker",
      command: worker,
      shell: true,
      env: { URL: server.urls[0], CA: server.caFile! },
    });
    await until(async () => (await client.getApp("done-worker")).task_status === "idle", "worker");
    assert.equal(await client.runTask("done-worker", "ping", { timeout: 30 }), "got:ping");
    assert.equal(await client.cancelTask("done-worker"), false);
    await client.deleteApp("done-worker");

    // files, on node 2
    const local = join(dir, "up.txt");
    await writeFile(local, "file body\n");
    await chmod(local, 0o640);
    const remote = join(dir, "remote.txt");
    await node2.uploadFile(local, remote);
    assert.equal((await stat(remote)).mode & 0o777, 0o640);
    const r = await node2.downloadFile(remote, join(dir, "down.txt"));
    assert.equal(r.bytes, 10);
    assert.equal(await readFile(join(dir, "down.txt"), "utf8"), "file body\n");
    await node2.upload(join(dir, "stream.txt"), "streamed", { mode: 0o600 });
    assert.equal(await (await node2.download(join(dir, "stream.txt"))).text(), "streamed");

    // system
    assert.ok(Object.keys(await client.getHostResources()).length > 0);
    assert.ok((await client.getConfig()).BaseConfig);
    await client.setConfig({ BaseConfig: { Description: "done" } });
    assert.equal(await client.setLogLevel("INFO"), "INFO");
    assert.match(await client.getMetrics(), /# TYPE/);
    await node2.addLabel("done", "yes");
    assert.equal((await node2.listLabels()).done, "yes");
    assert.equal((await client.listLabels()).done, undefined);
    await node2.deleteLabel("done");

    // users and roles
    await client.addUser("dora", {
      key: "dora-pw-1",
      group: "user",
      roles: ["view"],
      exec_user: "",
    });
    assert.ok("dora" in await client.listUsers());
    await client.lockUser("dora");
    await client.unlockUser("dora");
    const dora = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
    await dora.login("dora", "dora-pw-1");
    await dora.updatePassword("dora-pw-1", "dora-pw-2");
    await dora.close();
    await client.deleteUser("dora");
    assert.ok((await client.listGroups()).length > 0);
    assert.ok((await client.listPermissions()).includes("app-view"));
    assert.ok((await client.getUserPermissions()).includes("app-view"));
    await client.updateRole("done-role", ["app-view"]);
    assert.deepEqual((await client.listRoles())["done-role"], ["app-view"]);
    await client.deleteRole("done-role");
    assert.equal(await client.reloadSession(), false);

    // logout clears the session and the file
    assert.equal(await client.logout(), true);
    assert.equal(client.token, undefined);
    assert.ok(!(await readFile(cookieFile, "utf8")).includes("appmesh_auth_token\teyJ"));
  } finally {
    await client[Symbol.asyncDispose]();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
