// `appmesh app|label|config`: the commands appc users type, run as separate processes the way a
// person or a cron line runs them (fresh $HOME, stdin /dev/null, no TTY), against a 2-node local
// server; `--node` goes through node 1 to node 2 (X-Target-Host).
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, assertNoStack } from "./helpers.ts";
import { type Ran, startWorld, type World } from "./journey_helpers.ts";

async function loggedIn(): Promise<World> {
  const w = await startWorld(2);
  const r = await w.appmesh(["login", "-u", "admin", "--password-stdin"], {
    env: w.serverEnv,
    stdin: "admin123",
  });
  assertCode(r, 0);
  return w;
}

/** One line on stderr, matching `pattern`, no stack trace. */
function oneLine(r: Ran, pattern: RegExp): void {
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assertNoStack(r.stderr);
}

test("app commands: usage errors exit 2 and not logged in exits 3, before any request", async () => {
  const w = await startWorld(1);
  try {
    const env = w.serverEnv;
    const usage: [string[], RegExp][] = [
      [["app"], /missing subcommand \(ls, view, add, rm, enable, disable or log\)/],
      [["app", "lss"], /unknown subcommand 'app lss' \(did you mean 'ls'\?\)/],
      [["lable", "ls"], /unknown command 'lable' \(did you mean 'label'\?\)/],
      [["app", "view"], /missing argument NAME/],
      [["app", "add", "-c", "true"], /app add needs a name/],
      [["app", "add", "-a", "x"], /app add needs a command/],
      [["app", "add", "-a", "x", "-c", "true", "-e", "NOVALUE"], /--env expects KEY=VALUE/],
      [["app", "add", "-a", "x", "-c", "true", "--exit", "explode"], /--exit expects restart/],
      [["app", "enable"], /give NAME\.\.\. or --all/],
      [["app", "log", "x", "--index", "two"], /--index expects a whole number/],
      [["app", "rm", "x"], /no terminal to ask on; pass --yes \(or -f\)/],
      [["label", "add", "zone"], /label add expects KEY=VALUE, got 'zone'/],
      [["config", "set", "BaseConfig.LogLevel"], /config set expects KEY=VALUE/],
      [["config"], /missing subcommand \(get or set\)/],
    ];
    for (const [args, pattern] of usage) {
      const r = await w.appmesh(args, { env });
      assertCode(r, 2);
      assert.match(r.stderr, pattern, args.join(" "));
      assertNoStack(r.stderr);
    }
    const session: string[][] = [
      ["app", "ls"],
      ["apps"],
      ["app", "view", "x"],
      ["app", "add", "-a", "x", "-c", "true"],
      ["app", "rm", "-f", "x"],
      ["app", "enable", "x"],
      ["app", "log", "x"],
      ["label", "ls"],
      ["config", "get"],
      ["config", "set", "BaseConfig.LogLevel=INFO"],
    ];
    for (const args of session) {
      const r = await w.appmesh(args, { env });
      assertCode(r, 3);
      oneLine(r, /^appmesh: not logged in: run appmesh login/);
    }
    assert.deepEqual(w.requests, [], "nothing was sent");
  } finally {
    await w.close();
  }
});

test("app commands: add, view, ls, log, disable, enable, rm on the entry node", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    const add = await w.appmesh([
      "app",
      "add",
      "-a",
      "counter",
      "-c",
      "sh -c 'echo one; sleep 1; echo two; sleep 1; echo three'",
      "-e",
      "LANG=C",
      "--env",
      "MODE=test",
      "-d",
      "demo app",
      "-w",
      "/tmp",
      "--exit",
      "standby",
    ], { env });
    assertCode(add, 0);
    assert.match(add.stdout, /^app counter registered on 127\.0\.0\.1:\d+\n$/);

    // --follow prints every line once, as it comes, and stops when the process exits.
    const follow = await w.appmesh(["app", "log", "--follow", "counter"], { env });
    assertCode(follow, 0);
    assert.equal(follow.stdout, "one\ntwo\nthree\n");
    const log = await w.appmesh(["app", "log", "counter"], { env });
    assertCode(log, 0);
    assert.equal(log.stdout, "one\ntwo\nthree\n");

    const json = await w.appmesh(["app", "view", "counter", "--json"], { env });
    assertCode(json, 0);
    const app = JSON.parse(json.stdout);
    assert.equal(app.name, "counter");
    assert.deepEqual(app.env, { LANG: "C", MODE: "test" });
    assert.equal(app.description, "demo app");
    assert.equal(app.working_dir, "/tmp");
    assert.deepEqual(app.behavior, { exit: "standby" });
    const view = await w.appmesh(["app", "view", "counter"], { env });
    assertCode(view, 0);
    assert.match(view.stdout, /^description: demo app$/m);
    assert.match(view.stdout, /^env:\n {2}LANG: C\n {2}MODE: test$/m);

    const ls = await w.appmesh(["app", "ls"], { env });
    assertCode(ls, 0);
    assert.match(ls.stdout, /^NAME +STATUS/);
    assert.match(ls.stdout, /^counter +enabled/m);
    const lsJson = await w.appmesh(["app", "ls", "--json"], { env });
    const apps = await w.appmesh(["apps", "--json"], { env });
    assertCode(lsJson, 0);
    assertCode(apps, 0);
    assert.deepEqual(JSON.parse(lsJson.stdout).map((a: { name: string }) => a.name), ["counter"]);
    assert.deepEqual(JSON.parse(apps.stdout).map((a: { name: string }) => a.name), ["counter"]);

    const status = async () =>
      JSON.parse((await w.appmesh(["app", "view", "counter", "--json"], { env })).stdout).status;
    assertCode(await w.appmesh(["app", "disable", "counter"], { env }), 0);
    assert.equal(await status(), 0);
    assertCode(await w.appmesh(["app", "enable", "--all"], { env }), 0);
    assert.equal(await status(), 1);

    // Replacing needs --force: without a terminal it refuses and changes nothing.
    const again = await w.appmesh(["app", "add", "-a", "counter", "-c", "true"], { env });
    assertCode(again, 1);
    oneLine(again, /app 'counter' already exists on .*; pass --force \(-f\) to replace it/);
    assert.match(
      JSON.parse(
        (await w.appmesh(["app", "view", "counter", "--json"], { env }))
          .stdout,
      ).command,
      /echo one/,
    );
    assertCode(await w.appmesh(["app", "add", "-f", "-a", "counter", "-c", "true"], { env }), 0);

    const refused = await w.appmesh(["app", "rm", "counter"], { env });
    assertCode(refused, 2);
    assertCode(await w.appmesh(["app", "view", "counter"], { env }), 0);
    assertCode(await w.appmesh(["app", "rm", "--yes", "counter"], { env }), 0);
    const gone = await w.appmesh(["app", "view", "counter"], { env });
    assertCode(gone, 1);
    oneLine(gone, /^appmesh: no app 'counter' on 127\.0\.0\.1:\d+\n$/);
    assert.equal((await w.appmesh(["app", "ls"], { env })).stdout, "no applications\n");
  } finally {
    await w.close();
  }
});

test("app commands: an unknown app is one line and exit 1; a server error names the request", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    for (
      const args of [
        ["app", "view", "nope"],
        ["app", "enable", "nope"],
        ["app", "disable", "nope"],
        ["app", "log", "nope"],
        ["app", "log", "-f", "nope"],
        ["app", "rm", "-f", "nope"],
      ]
    ) {
      const r = await w.appmesh(args, { env });
      assertCode(r, 1);
      oneLine(r, /^appmesh: no app 'nope' on 127\.0\.0\.1:\d+\n$/);
    }
    const bad = await w.appmesh(["app", "add", "-a", "bad name", "-c", "true"], { env });
    assertCode(bad, 1);
    oneLine(bad, /PUT \/appmesh\/app\/bad%20name: HTTP 400 application name must be/);
  } finally {
    await w.close();
  }
});

test("app commands: --file (YAML, JSON, stdin) with flags over it; log reads past 3 MiB and --index", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    const yaml = `${w.dir}/app.yaml`;
    await Deno.writeTextFile(
      yaml,
      "name: from-yaml\ncommand: echo yaml\nenv:\n  A: '1'\ndescription: from the file\n",
    );
    assertCode(
      await w.appmesh(["app", "add", "--file", yaml, "-e", "B=2", "-d", "from a flag"], { env }),
      0,
    );
    const y = JSON.parse((await w.appmesh(["app", "view", "from-yaml", "--json"], { env })).stdout);
    assert.deepEqual(y.env, { A: "1", B: "2" });
    assert.equal(y.description, "from a flag");
    const stdin = await w.appmesh(["app", "add", "--file", "-", "--name", "from-stdin"], {
      env,
      stdin: JSON.stringify({ name: "ignored", command: "echo json" }),
    });
    assertCode(stdin, 0);
    assert.match(stdin.stdout, /app from-stdin registered/);
    const broken = `${w.dir}/broken.yaml`;
    await Deno.writeTextFile(broken, "- just\n- a list\n");
    const r = await w.appmesh(["app", "add", "--file", broken], { env });
    assertCode(r, 2);
    oneLine(r, /--file .*broken\.yaml: expected an application object/);

    // Bigger than one read (the daemon answers at most 3 MiB): positions carry on, nothing lost.
    const big = await w.appmesh([
      "app",
      "add",
      "-a",
      "big",
      "--shell",
      "-c",
      "head -c 4000000 /dev/zero | tr '\\0' x",
    ], { env });
    assertCode(big, 0);
    const all = await w.appmesh(["app", "log", "-f", "big"], { env });
    assertCode(all, 0);
    assert.equal(all.stdout.length, 4_000_000);
    assert.match(all.stdout, /^x+$/);

    // --index N: the output of an earlier process (kept with --log-cache-size).
    const counter = `${w.dir}/runs`;
    const add = await w.appmesh([
      "app",
      "add",
      "-a",
      "runs",
      "-N",
      "2",
      "--shell",
      "-c",
      `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo run $n`,
    ], { env });
    assertCode(add, 0);
    assert.equal((await w.appmesh(["app", "log", "-f", "runs"], { env })).stdout, "run 1\n");
    assertCode(await w.appmesh(["app", "disable", "runs"], { env }), 0);
    assertCode(await w.appmesh(["app", "enable", "runs"], { env }), 0);
    assert.equal((await w.appmesh(["app", "log", "-f", "runs"], { env })).stdout, "run 2\n");
    const previous = await w.appmesh(["app", "log", "runs", "--index", "1"], { env });
    assertCode(previous, 0);
    assert.equal(previous.stdout, "run 1\n");
    const none = await w.appmesh(["app", "log", "runs", "--index", "7"], { env });
    assertCode(none, 1);
    oneLine(none, /no output of app 'runs' on .*: no process #7 kept/);
  } finally {
    await w.close();
  }
});

test("app commands: --node goes through the entry node to another (apps, labels, config)", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    const node2 = w.server.nodes[1].name;
    const on2 = (args: string[]) => w.appmesh([...args, "--node", node2], { env });
    const add = await on2(["app", "add", "-a", "there", "-c", "echo from node 2"]);
    assertCode(add, 0);
    assert.equal(add.stdout, `app there registered on ${node2}\n`);
    assert.equal((await w.appmesh(["app", "ls"], { env })).stdout, "no applications\n");
    assert.match((await on2(["app", "ls"])).stdout, /^there +enabled/m);
    assert.equal((await on2(["app", "log", "-f", "there"])).stdout, "from node 2\n");
    const here = await w.appmesh(["app", "view", "there"], { env });
    assertCode(here, 1);
    oneLine(here, /no app 'there' on 127\.0\.0\.1:\d+/);

    assertCode(await on2(["label", "add", "role=db", "zone=eu-1"]), 0);
    assert.match((await on2(["label", "ls"])).stdout, /^role=db\nzone=eu-1$/m);
    assert.doesNotMatch((await w.appmesh(["label", "ls"], { env })).stdout, /role=/);

    const set = await on2(["config", "set", "BaseConfig.LogLevel=WARN"]);
    assertCode(set, 0);
    assert.equal(set.stdout, "BaseConfig.LogLevel=WARN\n");
    assert.equal((await on2(["config", "get", "BaseConfig.LogLevel"])).stdout, "WARN\n");
    assert.notEqual(
      (await w.appmesh(["config", "get", "BaseConfig.LogLevel"], { env })).stdout,
      "WARN\n",
    );
    assertCode(await on2(["app", "rm", "-f", "there"]), 0);
    assert.equal((await on2(["app", "ls"])).stdout, "no applications\n");
    // The requests went to node 1, which forwarded them (X-Target-Host) to node 2.
    const port1 = new URL(w.server.urls[0]).port;
    assert.ok(w.requests.some((l) => l.includes(`:${port1}`) && l.includes("/appmesh/app/there")));
  } finally {
    await w.close();
  }
});

test("app commands: labels and config (typed values, dotted keys, secrets masked)", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    assertCode(await w.appmesh(["label", "add", "role=web", "zone=eu-1"], { env }), 0);
    const json = JSON.parse((await w.appmesh(["label", "ls", "--json"], { env })).stdout);
    assert.equal(json.role, "web");
    assert.equal(json.zone, "eu-1");
    // appc's `--delete -l zone=eu-1` form: the value is ignored.
    assertCode(await w.appmesh(["label", "rm", "zone=eu-1"], { env }), 0);
    const ls = (await w.appmesh(["label", "ls"], { env })).stdout;
    assert.match(ls, /^role=web$/m);
    assert.doesNotMatch(ls, /zone=/);

    const set = await w.appmesh([
      "config",
      "set",
      "BaseConfig.LogLevel=INFO",
      "BaseConfig.ScheduleIntervalSeconds=2",
    ], { env });
    assertCode(set, 0);
    assert.equal(set.stdout, "BaseConfig.LogLevel=INFO\nBaseConfig.ScheduleIntervalSeconds=2\n");
    const base = JSON.parse((await w.appmesh(["config", "get", "BaseConfig"], { env })).stdout);
    assert.equal(base.LogLevel, "INFO");
    assert.equal(base.ScheduleIntervalSeconds, 2); // a number stays a number

    const typo = await w.appmesh(["config", "set", "baseconfig.loglevel=DEBUG"], { env });
    assertCode(typo, 1);
    oneLine(typo, /no config key baseconfig\.loglevel \(did you mean 'BaseConfig\.LogLevel'\?\)/);
    const type = await w.appmesh(["config", "set", "BaseConfig.ScheduleIntervalSeconds=soon"], {
      env,
    });
    assertCode(type, 2);
    oneLine(type, /expects a number, got 'soon'/);
    assert.equal(
      (await w.appmesh(["config", "get", "BaseConfig.LogLevel"], { env })).stdout,
      "INFO\n",
    );

    // The daemon's config holds its JWT signing secret: never printed.
    const salt = (await w.appmesh(["config", "get", "REST.JWT.JWTSalt"], { env })).stdout;
    assert.equal(salt, "***\n");
    const whole = await w.appmesh(["config", "get"], { env });
    assertCode(whole, 0);
    assert.equal(JSON.parse(whole.stdout).REST.JWT.JWTSalt, "***");
    const setJson = await w.appmesh(["config", "set", "BaseConfig.LogLevel=DEBUG", "--json"], {
      env,
    });
    assert.equal(JSON.parse(setJson.stdout).REST.JWT.JWTSalt, "***");
  } finally {
    await w.close();
  }
});
