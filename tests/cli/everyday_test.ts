// Everyday errors and small promises of the command line, each walked as a person meets it.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { test } from "../harness.ts";
import { ttyRenderer } from "../../src/cli/output/tty.ts";
import { assertCode, assertNoStack, closedPort, ROOT, runCli } from "./helpers.ts";
import { readme, startWorld } from "./journey_helpers.ts";

async function loggedIn(nodes = 1) {
  const w = await startWorld(nodes);
  const r = await w.appmesh(["login", "-u", "admin", "--password-stdin"], {
    env: w.serverEnv,
    stdin: "admin123",
  });
  assertCode(r, 0);
  return w;
}

test("everyday: appmesh run keeps an argv's quoting and hints at -- for a command's flags", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    // Several arguments are an argv: the remote shell gets `sh -c 'echo a; exit 4'`.
    const argv = await w.appmesh(["run", "--", "sh", "-c", "echo a; exit 4"], { env });
    assertCode(argv, 4);
    assert.equal(argv.stdout, "a\n");
    const spaced = await w.appmesh(["run", "--", "printf", "%s|", "two words", "it's"], { env });
    assertCode(spaced, 0);
    assert.equal(spaced.stdout, "two words|it's|");
    // One argument is a command line, as written.
    const line = await w.appmesh(["run", "echo b c | tr b x"], { env });
    assertCode(line, 0);
    assert.equal(line.stdout, "x c\n");

    const flags = await w.appmesh(["run", "uname", "-a"], { env });
    assertCode(flags, 2);
    assert.match(flags.stderr, /unknown flag -a .*appmesh run -- uname -a/);
  } finally {
    await w.close();
  }
});

test("everyday: the --lock message names the holder's PID and host", async () => {
  const w = await loggedIn();
  try {
    const file = `${w.dir}/locked.yaml`;
    await Deno.writeTextFile(
      file,
      "name: locked\nsteps:\n  - run_sync: { command: 'true', shell: true }\n",
    );
    // A live holder on this host: this test process.
    await Deno.mkdir(`${w.home}/.appmesh/locks`, { recursive: true });
    await Deno.writeTextFile(
      `${w.home}/.appmesh/locks/locked.lock`,
      JSON.stringify({
        pid: Deno.pid,
        host: hostname(),
        time: new Date().toISOString(),
        id: "test",
        workflow: "locked",
      }) + "\n",
    );
    const r = await w.appmesh(["workflow", "run", file, "--lock"], { env: w.serverEnv });
    assertCode(r, 4);
    assert.match(r.stderr, new RegExp(`PID ${Deno.pid} on ${hostname()}`));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    await w.close();
  }
});

test("everyday: a 502 from forwarding names the node it was forwarded to", async () => {
  const w = await loggedIn();
  try {
    const node = `127.0.0.1:${closedPort()}`;
    const r = await w.appmesh(["apps", "--node", node], { env: w.serverEnv });
    assertCode(r, 1);
    assert.match(r.stderr, /HTTP 502/);
    assert.match(r.stderr, new RegExp(`node ${node}`));
    assertNoStack(r.stderr);
  } finally {
    await w.close();
  }
});

test("everyday: get/put name the remote path and a missing local folder; sizes in KiB/MiB", async () => {
  const w = await loggedIn();
  try {
    const env = w.serverEnv;
    const missing = `/tmp/appmesh-no-such-file-${crypto.randomUUID()}`;
    const r = await w.appmesh(["get", missing, `${w.dir}/x.txt`], { env });
    assertCode(r, 1);
    assert.match(r.stderr, new RegExp(`download ${missing}: HTTP 406 file not found`));

    const folder = `${w.dir}/no-such-folder`;
    const into = await w.appmesh(["get", "/etc/hostname", `${folder}/x.txt`], { env });
    assertCode(into, 1);
    assert.match(into.stderr, new RegExp(`folder ${folder} does not exist`));
    assert.doesNotMatch(into.stderr, /\.tmp/);

    const big = `${w.dir}/big.bin`;
    await Deno.writeFile(big, new Uint8Array(3 * 1024 * 1024));
    const remote = `/tmp/appmesh-journey-${crypto.randomUUID()}.bin`;
    const put = await w.appmesh(["put", big, remote], { env });
    assertCode(put, 0);
    assert.match(put.stdout, /\(3\.0 MiB\)/);
    const get = await w.appmesh(["get", remote, `${w.dir}/big2.bin`], { env });
    assertCode(get, 0);
    assert.match(get.stdout, /\(3\.0 MiB\)/);
    await w.appmesh(["run", "--", "rm", "-f", remote], { env });
  } finally {
    await w.close();
  }
});

test("everyday: connection flags only in the help of commands that talk to a server", async () => {
  const connects = ["login", "logout", "apps", "run", "get", "put", "workflow run"];
  for (const sub of ["ls", "view", "add", "rm", "enable", "disable", "log"]) {
    connects.push(`app ${sub}`);
  }
  connects.push("label ls", "label add", "label rm", "config get", "config set");
  // A group's own help lists its subcommands, not flags.
  const local = ["workflow validate", "workflow schema", "devserver", "app", "label", "config"];
  for (const cmd of [...connects, ...local]) {
    const r = await runCli([...cmd.split(" "), "--help"]);
    assertCode(r, 0);
    for (const flag of ["--url", "--ca", "--cookie-file", "--timeout", "--insecure"]) {
      assert.equal(r.stdout.includes(flag), connects.includes(cmd), `${cmd} --help and ${flag}`);
    }
  }
  const r = await runCli([
    "workflow",
    "validate",
    "--url",
    "https://x:6060",
    "workflows/demo.yaml",
  ]);
  assertCode(r, 2);
});

test("everyday: the dry-run plan shows <run id> as written", async () => {
  const file = `${ROOT}workflows/demo.yaml`;
  const r = await runCli(["workflow", "run", file, "--dry-run"], {
    env: { APPMESH_USER: "admin", APPMESH_PASSWORD: "x", HOME: "/nonexistent" },
  });
  assertCode(r, 0);
  assert.match(r.stdout, /<run id>/);
  assert.doesNotMatch(r.stdout, /%3Crun%20id%3E/);
});

test("everyday: Ctrl-C's message clears the live lines first (no stale spinner line)", () => {
  let out = "";
  const r = ttyRenderer({ color: false, write: (t) => out += t, columns: () => 80 });
  const ev = (e: Record<string, unknown>) =>
    r.event({ time: new Date().toISOString(), ...e } as Parameters<typeof r.event>[0]);
  ev({ type: "run_start", message: "w", data: { nodes: ["a", "b"] } });
  ev({ type: "node_start", node: "a" });
  ev({ type: "node_start", node: "b" });
  ev({ type: "step_start", node: "a", step: "s", step_type: "wait" });
  out = "";
  assert.ok(r.note, "the renderer takes notes");
  r.note!("appmesh: SIGINT: stopping, running finally steps...");
  r.close();
  // The live block (2 lines) is erased before the message, and drawn again after it.
  const at = out.indexOf("appmesh: SIGINT");
  assert.ok(at > 0, JSON.stringify(out));
  assert.ok(out.slice(0, at).endsWith("\x1b[2F\x1b[J"), JSON.stringify(out));
});

test("everyday: task demo leaves no temporary folder behind", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "appmesh-demo-tmp-" });
  try {
    const r = await runCli([], { script: "src/cli/demo.ts", env: { TMPDIR: tmp, HOME: tmp } });
    assertCode(r, 0);
    const left: string[] = [];
    for await (const e of Deno.readDir(tmp)) if (e.name !== ".appmesh") left.push(e.name);
    assert.deepEqual(left, [], `left behind in TMPDIR: ${left.join(", ")}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

test("everyday: the README's opening sentence is whole and the $schema URL is real", async () => {
  const text = await readme();
  const intro = text.slice(0, text.indexOf("\n## "));
  const last = intro.trim().split("\n\n").pop()!.replace(/\s+/g, " ").trim();
  assert.match(last, /\.$/, `cut sentence: ${last}`);
  const { version } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  for (const m of text.matchAll(/\$schema=(\S+)/g)) {
    assert.doesNotMatch(m[1], /[<>]/, m[1]);
    if (m[1].startsWith("https://jsr.io/")) {
      assert.equal(m[1], `https://jsr.io/@appmesh/sdk/${version}/schema/workflow.schema.json`);
    }
  }
});
