// Journeys walked as a person walks them: separate processes, a fresh $HOME, the commands the
// README prints, and cron's environment (env -i with only HOME, PATH and the line's variables,
// stdin from /dev/null, no TTY).
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, assertNoStack, closedPort, ROOT } from "./helpers.ts";
import { readme, startWorld } from "./journey_helpers.ts";

/** The README's crontab line, without its schedule, pointed at the world's server and files. */
async function readmeCronLine(w: Awaited<ReturnType<typeof startWorld>>): Promise<string> {
  const line = (await readme()).split("\n").find((l) => /^30 2 \* \* \* /.test(l));
  assert.ok(line, "the README has a crontab line");
  const command = line.replace(/^(\S+\s+){5}/, "");
  const logs = `${w.dir}/log`;
  await Deno.mkdir(logs);
  // Only the places differ from the README's: this checkout for /opt/ops, the local server for
  // the gateway, its CA, and a log folder of the test's own.
  return command
    .replace("cd /opt/ops", `cd ${ROOT}`)
    .replace("https://gateway:6060", w.serverEnv.APPMESH_URL)
    .replace("/opt/appmesh/ssl/ca.pem", w.serverEnv.APPMESH_CA)
    .replaceAll("/var/log/appmesh", logs);
}

test("journey: appmesh login once, then the README's cron line reuses the session", async () => {
  const w = await startWorld(2);
  try {
    const line = await readmeCronLine(w);
    assert.match(line, /appmesh workflow run .*--report (\S+)/);
    // Before any login, the cron line fails with the one thing to do.
    const before = await w.cron(line);
    assert.equal(before.code, 3);
    const logFile = line.match(/>> (\S+)/)![1];
    assert.match(await Deno.readTextFile(logFile), /not logged in: run appmesh login/);
    assert.equal(w.requests.length, 0, w.requests.join("\n"));

    // The README: `appmesh login -u ops --expire P30D` (here the server's admin, password on
    // stdin since there is no terminal), with the connection the user exports.
    const login = await w.appmesh(
      ["login", "-u", "admin", "--password-stdin", "--expire", "P30D"],
      {
        env: w.serverEnv,
        stdin: "admin123\n",
      },
    );
    assertCode(login, 0);
    assert.match(login.stdout, new RegExp(`session saved in ${w.home}/.appmesh/cookies.txt`));
    assert.equal(w.logins(), 1);

    // cron: no password anywhere, no APPMESH_COOKIE_FILE, no terminal.
    const r = await w.cron(line);
    const log = await Deno.readTextFile(logFile);
    assert.equal(r.code, 0, log);
    assert.match(log, /nightly-cleanup: success: 1\/1 nodes ok/);
    const report = JSON.parse(await Deno.readTextFile(line.match(/--report (\S+)/)![1]));
    assert.equal(report.status, "success");
    assert.equal(report.session.login, "reused");
    assert.equal(w.logins(), 1, "cron logged in again");
    assert.ok(!log.includes("admin123"));
  } finally {
    await w.close();
  }
});

test("journey: workflow run twice, with no cookie-file setting, logs in once", async () => {
  const w = await startWorld(2);
  try {
    const file = `${w.dir}/hello.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "name: hello",
        "steps:",
        "  - login: { user: admin, password: '${{ secrets.APPMESH_PASSWORD }}' }",
        "  - run_sync: { command: 'echo hi', shell: true }",
      ].join("\n"),
    );
    const env = { ...w.serverEnv, APPMESH_PASSWORD: "admin123" };
    const reports: string[] = [];
    for (const n of [1, 2]) {
      const report = `${w.dir}/report-${n}.json`;
      const r = await w.appmesh(["workflow", "run", file, "--report", report], { env });
      assertCode(r, 0);
      reports.push(JSON.parse(await Deno.readTextFile(report)).session.login);
    }
    assert.deepEqual(reports, ["performed", "reused"]);
    assert.equal(w.logins(), 1);
    // ... and the other commands share that session.
    const apps = await w.appmesh(["apps"], { env: w.serverEnv });
    assertCode(apps, 0);
    assert.equal(w.logins(), 1);
  } finally {
    await w.close();
  }
});

test("journey: fresh $HOME, every command says not logged in (exit 3), nothing sent", async () => {
  const w = await startWorld(1);
  try {
    const local = `${w.dir}/local.txt`;
    await Deno.writeTextFile(local, "x\n");
    const commands = [
      ["apps"],
      ["run", "--", "true"],
      ["get", "/etc/hostname", `${w.dir}/got.txt`],
      ["put", local, "/tmp/appmesh-journey-put.txt"],
      ["workflow", "run", "workflows/nightly-cleanup.yaml"],
    ];
    for (const args of commands) {
      const r = await w.appmesh(args, { env: w.serverEnv });
      assertCode(r, 3);
      assertNoStack(r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^appmesh: not logged in: run appmesh login \\(no session in ${w.home}`),
      );
    }
    assert.equal(w.requests.length, 0, w.requests.join("\n"));
  } finally {
    await w.close();
  }
});

test("journey: connection settings are checked and errors say which one was used", async () => {
  const w = await startWorld(1);
  try {
    const env = w.serverEnv;
    const noScheme = await w.appmesh(["apps", "--url", "127.0.0.1:6060"], { env });
    assertCode(noScheme, 2);
    assert.match(
      noScheme.stderr,
      /--url 127\.0\.0\.1:6060: .*did you mean https:\/\/127\.0\.0\.1:6060/,
    );

    const badCa = await w.appmesh(["apps", "--ca", `${w.dir}/nope.pem`], { env });
    assertCode(badCa, 2);
    assert.match(badCa.stderr, /--ca .*nope\.pem: no such file/);
    const badEnvCa = await w.appmesh(["apps"], {
      env: { ...env, APPMESH_CA: `${w.dir}/nope.pem` },
    });
    assertCode(badEnvCa, 2);
    assert.match(badEnvCa.stderr, /\$APPMESH_CA .*nope\.pem: no such file/);
    const badTimeout = await w.appmesh(["apps", "--timeout", "5x"], { env });
    assertCode(badTimeout, 2);
    assert.match(badTimeout.stderr, /--timeout 5x: not a duration/);
    const badEnvTimeout = await w.appmesh(["apps"], { env: { ...env, APPMESH_TIMEOUT: "soon" } });
    assertCode(badEnvTimeout, 2);
    assert.match(badEnvTimeout.stderr, /\$APPMESH_TIMEOUT soon: not a duration/);
    assert.equal(w.requests.length, 0);

    const login = await w.appmesh(["login", "-u", "admin", "--password-stdin"], {
      env,
      stdin: "admin123",
    });
    assertCode(login, 0);

    // No CA: the system's trust store, which does not know the local server's CA.
    const untrusted = await w.appmesh(["apps"], { env: { APPMESH_URL: env.APPMESH_URL } });
    assertCode(untrusted, 3);
    assert.match(untrusted.stderr, /TLS failure/);
    assert.match(untrusted.stderr, /--ca FILE or \$APPMESH_CA/);
    assert.match(untrusted.stderr, /CA none \(default\)/);
    assertNoStack(untrusted.stderr);
    // A workflow run that reaches no node says which settings it used, and from where.
    const wfRun = await w.appmesh(["workflow", "run", "workflows/nightly-cleanup.yaml"], {
      env: { APPMESH_URL: env.APPMESH_URL },
    });
    assertCode(wfRun, 3);
    assert.match(
      wfRun.stderr,
      new RegExp(
        `used server ${env.APPMESH_URL} \\(from \\$APPMESH_URL\\), CA none \\(default\\), cookie file ${w.home}/\\.appmesh/cookies\\.txt \\(default\\)`,
      ),
    );

    // Nothing listens: a connection error, the URL once, and where the URL came from.
    const url = `https://127.0.0.1:${closedPort()}`;
    const refused = await w.appmesh(["apps", "--url", url], { env });
    assertCode(refused, 3);
    assert.equal(refused.stderr.split(url).length - 1, 1, refused.stderr);
    assert.match(refused.stderr, /\(server from --url\)/);
    assert.doesNotMatch(refused.stderr, /TLS/);
  } finally {
    await w.close();
  }
});

test("journey: --timeout and $APPMESH_TIMEOUT bound a request to a server that never answers", async () => {
  const w = await startWorld(1);
  // Accepts connections and never answers (a hung gateway).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of listener) held.push(c);
    } catch {
      // closed
    }
  })();
  try {
    const env = w.serverEnv;
    assertCode(
      await w.appmesh(["login", "-u", "admin", "--password-stdin"], { env, stdin: "admin123" }),
      0,
    );
    const url = `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    const flag = await w.appmesh(["apps", "--url", url, "--timeout", "1"], { env });
    assertCode(flag, 3);
    assert.match(flag.stderr, /timed out after 1000 ms/);
    assert.match(flag.stderr, /timeout 1s \(from --timeout\)/);
    const fromEnv = await w.appmesh(["apps", "--url", url], {
      env: { ...env, APPMESH_TIMEOUT: "PT1S" },
    });
    assertCode(fromEnv, 3);
    assert.match(fromEnv.stderr, /timeout 1s \(from \$APPMESH_TIMEOUT\)/);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting;
    await w.close();
  }
});

test("journey: a login of an unknown user is refused like a wrong password (exit 3)", async () => {
  const w = await startWorld(1);
  try {
    for (const user of ["admin", "no-such-user"]) {
      const r = await w.appmesh(["login", "-u", user, "--password-stdin"], {
        env: w.serverEnv,
        stdin: "wrong-password",
      });
      assertCode(r, 3);
      assertNoStack(r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.ok(!r.stderr.includes("wrong-password"));
    }
  } finally {
    await w.close();
  }
});

test("journey: what is knowable before the first request stops run and --dry-run alike", async () => {
  const w = await startWorld(1);
  try {
    const file = `${w.dir}/deploy.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "name: deploy",
        "inputs:",
        "  replicas: { type: number, default: 1 }",
        "steps:",
        "  - login: { user: admin, password: '${{ secrets.DEPLOY_PASSWORD }}' }",
        "  - id: go",
        "    run_sync:",
        "      command: echo ${{ env.RELEASE_TAG }} ${{ inputs.replicas }}",
        "      shell: true",
      ].join("\n"),
    );
    const cases: [string[], RegExp[]][] = [
      [[], [
        /deploy\.yaml:5:\d+: error: .*secret "DEPLOY_PASSWORD" is not set/,
        /deploy\.yaml:8:\d+: error: .*environment variable "RELEASE_TAG" is not set/,
      ]],
      [["--input", "replica=2"], [/error: unknown input "replica"/]],
      [["--input", "replicas=two"], [/error: input "replicas" must be a number/]],
    ];
    for (const [extra, expected] of cases) {
      for (const mode of [[], ["--dry-run"]]) {
        const r = await w.appmesh(["workflow", "run", file, ...mode, ...extra], {
          env: w.serverEnv,
        });
        assertCode(r, 2);
        assertNoStack(r.stderr);
        for (const re of expected) assert.match(r.stderr, re);
        const errors = r.stderr.split("\n").filter((l) => / error: /.test(l));
        // Every problem at once, one line each: the input's, the secret's and the variable's.
        assert.equal(errors.length, extra.length ? 3 : 2, r.stderr);
      }
    }
    // A connection setting that cannot be used: the same for both, naming where it came from.
    for (const mode of [[], ["--dry-run"]]) {
      const r = await w.appmesh(["workflow", "run", file, ...mode], {
        env: {
          ...w.serverEnv,
          APPMESH_CA: `${w.dir}/missing-ca.pem`,
          DEPLOY_PASSWORD: "x",
          RELEASE_TAG: "v1",
        },
      });
      assertCode(r, 2);
      assert.match(r.stderr, /\$APPMESH_CA .*missing-ca\.pem: no such file/);
    }
    assert.equal(w.requests.length, 0, w.requests.join("\n"));
  } finally {
    await w.close();
  }
});
