// The command line without a server: version, help, usage errors, validation, schema, and
// --dry-run (which must send no request at all: it is pointed at a closed port).
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, assertNoStack, closedPort, loginHead, ROOT, runCli } from "./helpers.ts";

test("cli: --version prints the package version", async () => {
  const r = await runCli(["--version"]);
  assertCode(r, 0);
  const version = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).version;
  assert.equal(r.stdout.trim(), `appmesh ${version}`);
});

test("cli: --help on every command", async () => {
  const commands = [
    [],
    ["workflow"],
    ["workflow", "run"],
    ["workflow", "validate"],
    ["workflow", "schema"],
    ["login"],
    ["logout"],
    ["apps"],
    ["run"],
    ["get"],
    ["put"],
    ["devserver"],
    ["app"],
    ...["ls", "view", "add", "rm", "enable", "disable", "log"].map((s) => ["app", s]),
    ["label"],
    ["label", "ls"],
    ["label", "add"],
    ["label", "rm"],
    ["config"],
    ["config", "get"],
    ["config", "set"],
  ];
  for (const c of commands) {
    const r = await runCli([...c, "--help"]);
    assertCode(r, 0);
    assert.match(r.stdout, /usage: appmesh/, `appmesh ${c.join(" ")} --help`);
    assert.equal(r.stderr, "");
  }
  const run = await runCli(["workflow", "run", "--help"]);
  for (
    const flag of [
      "--input",
      "--node",
      "--secrets-file",
      "--dry-run",
      "--report",
      "--junit",
      "--html",
      "--inventory",
      "--limit",
      "--rerun-failed",
      "--from-failed-step",
    ]
  ) {
    assert.ok(run.stdout.includes(flag), flag);
  }
  for (const flag of ["--lock", "--lock-wait", "--json", "--quiet", "--url", "--ca"]) {
    assert.ok(run.stdout.includes(flag), flag);
  }
  assert.ok(run.stdout.includes("--cookie-file") && run.stdout.includes("--insecure"));
});

test("cli: an unknown flag is one line and the usage, exit 2", async () => {
  const r = await runCli(["workflow", "run", "x.yaml", "--bogus"]);
  assertCode(r, 2);
  const [first, second] = r.stderr.split("\n");
  assert.equal(first, "appmesh: unknown flag --bogus for 'appmesh workflow run'");
  assert.match(second, /^usage: appmesh workflow run /);
  assertNoStack(r.stderr);
  assert.equal(r.stdout, "");

  const top = await runCli(["--bogus"]);
  assertCode(top, 2);
  assert.equal(top.stderr.split("\n")[0], "appmesh: unknown flag --bogus");

  const cmd = await runCli(["lgoin"]);
  assertCode(cmd, 2);
  assert.match(cmd.stderr.split("\n")[0], /unknown command 'lgoin' \(did you mean 'login'\?\)/);
});

test("cli: a missing argument or value is one line and the usage, exit 2", async () => {
  for (
    const [args, line] of [
      [["workflow", "run"], "appmesh: missing argument FILE"],
      [["workflow", "validate"], "appmesh: missing argument FILE"],
      [["get", "/etc/hosts"], "appmesh: missing argument LOCAL"],
      [["put"], "appmesh: missing argument LOCAL"],
      [["run"], "appmesh: missing argument COMMAND"],
      [["workflow", "run", "a.yaml", "--input"], "appmesh: flag --input needs a value"],
      [["workflow", "run", "a.yaml", "--input", "novalue"], null],
      [["workflow"], "appmesh: missing subcommand (run, validate or schema)"],
      [[], "appmesh: missing command"],
    ] as [string[], string | null][]
  ) {
    const r = await runCli(args);
    assertCode(r, 2);
    const lines = r.stderr.split("\n");
    if (line) assert.equal(lines[0], line, args.join(" "));
    assert.match(lines[1], /^usage: appmesh/, args.join(" "));
    assertNoStack(r.stderr);
  }
});

test("cli: workflow validate lists every located error, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      [
        "name: broken",
        "steps:",
        "  - add_ap:",
        "      name: x",
        "  - id: w",
        "    wait:",
        "      run: nowhere",
        "      timeout: soon",
        "",
      ].join("\n"),
    );
    const r = await runCli(["workflow", "validate", bad, `${ROOT}workflows/demo.yaml`]);
    assertCode(r, 2);
    assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:5: error`));
    assert.match(r.stderr, /bad\.yaml:7:\d+: error/);
    assert.match(r.stderr, /bad\.yaml:8:\d+: error/);
    assert.match(r.stdout, /demo\.yaml: ok/);
    assertNoStack(r.stderr);

    const run = await runCli(["workflow", "run", bad, "--url", "https://127.0.0.1:1"]);
    assertCode(run, 2);
    assert.match(run.stderr, /bad\.yaml:3:5: error/);
    assertNoStack(run.stderr);

    const missing = await runCli(["workflow", "run", `${dir}/nope.yaml`]);
    assertCode(missing, 2);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assertNoStack(missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("cli: every example in workflows/ validates", async () => {
  const files = [...Deno.readDirSync(`${ROOT}workflows`)]
    .filter((e) => e.name.endsWith(".yaml")).map((e) => `${ROOT}workflows/${e.name}`);
  assert.ok(files.length >= 4);
  const r = await runCli(["workflow", "validate", ...files]);
  assertCode(r, 0);
});

test("cli: workflow schema prints a JSON Schema", async () => {
  const r = await runCli(["workflow", "schema"]);
  assertCode(r, 0);
  const schema = JSON.parse(r.stdout);
  assert.equal(typeof schema, "object");
  assert.ok(JSON.stringify(schema).includes("run_async"));
});

test("cli: --dry-run sends no request and masks secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const secret = "pl4n-s3cret-VALUE";
    await Deno.writeTextFile(
      `${dir}/secrets.env`,
      `API_TOKEN=${secret}\nAPPMESH_PASSWORD=${secret}x\n`,
    );
    await Deno.writeTextFile(
      `${dir}/wf.yaml`,
      [
        ...loginHead("dry"),
        "  - id: job",
        "    run_sync:",
        "      command: echo $TOKEN",
        "      shell: true",
        "      env:",
        "        TOKEN: ${{ secrets.API_TOKEN }}",
        "",
      ].join("\n"),
    );
    const port = closedPort();
    const r = await runCli([
      "workflow",
      "run",
      `${dir}/wf.yaml`,
      "--dry-run",
      "--url",
      `https://127.0.0.1:${port}`,
      "--node",
      `127.0.0.1:${port}`,
      "--node",
      "db-2",
      "--secrets-file",
      `${dir}/secrets.env`,
    ], { env: { HOME: dir } });
    assertCode(r, 0);
    assert.ok(r.stdout.includes("db-2"), r.stdout);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), r.stdout);
    assertNoStack(r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
