// The other commands against a local server: login/logout, apps, run, get/put, devserver.
import assert from "node:assert/strict";
import { TOTP } from "otpauth";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import {
  assertCode,
  assertNoStack,
  cliLogin,
  closedPort,
  readUntil,
  runCli,
  spawnCli,
  startFixture,
} from "./helpers.ts";

test("cli: login, apps, logout through the cookie file", async () => {
  const fx = await startFixture(2);
  try {
    const refused = await runCli(["login", "-u", "admin", "--password-stdin"], {
      env: fx.env,
      stdin: "not-the-password\n",
    });
    assertCode(refused, 3);
    assertNoStack(refused.stderr);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.ok(!(refused.stdout + refused.stderr).includes("not-the-password"));

    // No terminal and no --password-stdin: a clear error, never a prompt.
    const noTty = await runCli(["login", "-u", "admin"], { env: fx.env });
    assertCode(noTty, 2);
    assert.match(noTty.stderr, /--password-stdin/);
    assertNoStack(noTty.stderr);

    const unreachable = await runCli(["apps", "--url", `https://127.0.0.1:${closedPort()}`], {
      env: fx.env,
    });
    assertCode(unreachable, 3);
    assertNoStack(unreachable.stderr);
    assert.equal(unreachable.stderr.trim().split("\n").length, 1, unreachable.stderr);

    await cliLogin(fx);
    const mode = (await Deno.stat(fx.cookieFile)).mode! & 0o777;
    assert.equal(mode, 0o600);
    const apps = await runCli(["apps", "--node", fx.nodes[1]], { env: fx.env });
    assertCode(apps, 0);
    const json = await runCli(["apps", "--json"], { env: fx.env });
    assertCode(json, 0);
    assert.ok(Array.isArray(JSON.parse(json.stdout)));

    const out = await runCli(["logout"], { env: fx.env });
    assertCode(out, 0);
    const after = await runCli(["apps"], { env: fx.env });
    assertCode(after, 3);
    assertNoStack(after.stderr);
  } finally {
    await fx.close();
  }
});

test("cli: login with TOTP needs --totp without a terminal", async () => {
  const fx = await startFixture(1);
  try {
    const client = new AppMeshClient({ baseUrl: fx.server.urls[0], ca: fx.server.caPem });
    let totp: TOTP;
    try {
      await client.login("admin", "admin123");
      const secret = await client.getTotpSecret();
      totp = new TOTP({ secret, digits: 6, period: 30, algorithm: "SHA1" });
      await client.enableTotp(totp.generate());
    } finally {
      await client.close();
    }
    const noCode = await runCli(["login", "-u", "admin", "--password-stdin"], {
      env: fx.env,
      stdin: "admin123",
    });
    assertCode(noCode, 3);
    assert.match(noCode.stderr, /TOTP code/);
    assert.match(noCode.stderr, /--totp/);
    assertNoStack(noCode.stderr);
    const withCode = await runCli(
      ["login", "-u", "admin", "--password-stdin", "--totp", totp.generate()],
      { env: fx.env, stdin: "admin123" },
    );
    assertCode(withCode, 0);
    assert.match(withCode.stdout, /logged in as admin/);
    const apps = await runCli(["apps"], { env: fx.env });
    assertCode(apps, 0);
  } finally {
    await fx.close();
  }
});

test("cli: run streams the output and exits with the command's code", async () => {
  const fx = await startFixture(2);
  try {
    await cliLogin(fx);
    const r = await runCli(
      ["run", "--node", fx.nodes[1], "--", "echo first; sleep 0.3; echo second; exit 7"],
      { env: fx.env },
    );
    assertCode(r, 7);
    assert.match(r.stdout, /first\n[\s\S]*second/);
    const ok = await runCli(["run", "echo", "hello"], { env: fx.env });
    assertCode(ok, 0);
    assert.equal(ok.stdout.trim(), "hello");
    // No run app stays behind.
    const apps = await runCli(["apps", "--json", "--node", fx.nodes[1]], { env: fx.env });
    const left = JSON.parse(apps.stdout).filter((a: { command?: string }) =>
      String(a.command ?? "").includes("echo first")
    );
    assert.deepEqual(left, []);
  } finally {
    await fx.close();
  }
});

test("cli: put then get round-trips a file through a node", async () => {
  const fx = await startFixture(2);
  try {
    await cliLogin(fx);
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, Math.min(data.length, i + 65536)));
    }
    const local = `${fx.dir}/up.bin`;
    await Deno.writeFile(local, data);
    await Deno.chmod(local, 0o640);
    const remote = `${fx.dir}/remote-copy.bin`;
    const put = await runCli(["put", local, remote, "--node", fx.nodes[1]], { env: fx.env });
    assertCode(put, 0);
    assert.match(put.stdout, /uploaded/);
    const back = `${fx.dir}/back.bin`;
    const get = await runCli(["get", remote, back, "--node", fx.nodes[1]], { env: fx.env });
    assertCode(get, 0);
    assert.deepEqual(await Deno.readFile(back), data);

    const missing = await runCli(["get", `${fx.dir}/no-such-file`, `${fx.dir}/x`], {
      env: fx.env,
    });
    assertCode(missing, 1);
    assertNoStack(missing.stderr);
    await assert.rejects(Deno.stat(`${fx.dir}/x`));
  } finally {
    await fx.close();
  }
});

test("cli: devserver starts, prints its nodes and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = spawnCli(["devserver", "--port", "0", "--nodes", "2", "--state", dir]);
    const errP = new Response(child.stderr).text();
    const { lines, rest } = await readUntil(child.stdout, (l) => l.includes("Ctrl-C"));
    const text = lines.join("\n");
    const urls = text.match(/https:\/\/127\.0\.0\.1:\d+/g) ?? [];
    assert.ok(new Set(urls).size >= 2, text);
    assert.ok(text.includes(`${dir}/ca.pem`), text);
    assert.match(text, /admin/);
    child.kill("SIGTERM");
    const status = await child.status;
    const tail = await rest;
    assert.equal(status.code, 0, await errP);
    assert.match(tail, /stopped/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("cli: the demo runs end to end and reuses the session", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli([], {
      script: "src/cli/demo.ts",
      env: { APPMESH_DEMO_DIR: dir, HOME: dir },
    });
    assertCode(r, 0);
    assert.match(r.stdout, /reused/);
    assertNoStack(r.stderr);
    assert.ok(!r.stdout.includes("admin123"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
