// `appmesh workflow run --inventory --limit` against two local servers (two clusters): nodes
// reached through another entry server (`via:` with its own CA), one session per entry server
// in one cookie file, reused by the next run without a login, and --limit. Also the example
// workflows/fleet-facts.yaml with workflows/inventory/local.yaml.
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { startDevServer } from "../../src/devserver/mod.ts";
import { readCookieFile } from "../../src/cookies/file.ts";
import { assertCode, assertNoStack, ROOT, runCli } from "./helpers.ts";

const WORKFLOW = `name: spread
nodes: [all]
steps:
  - login: { user: admin, password: "\${{ secrets.APPMESH_PASSWORD }}" }
  - id: who
    run_sync:
      command: echo "$WHO is $ROLE"
      shell: true
      env: { WHO: "\${{ node.name }}", ROLE: "\${{ node.vars.role }}" }
`;

/** Two clusters of one entry node and two forwarding-only nodes each, and a temp folder. */
async function twoClusters() {
  const dir = await Deno.makeTempDir({ prefix: "appmesh-inventory-" });
  const logA: string[] = [];
  const logB: string[] = [];
  const a = await startDevServer({ forwardedNodes: 2, logger: (l) => logA.push(l) });
  const b = await startDevServer({ forwardedNodes: 2, logger: (l) => logB.push(l) });
  // Cluster B is reached by another host name (cookies are per host, not per port, as in a
  // browser): its certificate names localhost too.
  const viaB = b.urls[0].replace("127.0.0.1", "localhost");
  await Deno.copyFile(b.caFile!, `${dir}/b-ca.pem`);
  const inventory = `nodes:
  a-1: { host: "${a.forwardedNodes[0].name}", vars: { role: web } }
  a-2: { host: "${a.forwardedNodes[1].name}", vars: { role: db } }
  b-1: { host: "${b.forwardedNodes[0].name}", via: "${viaB}", ca: b-ca.pem, vars: { role: web } }
  b-entry: { host: "${b.nodes[0].name}", via: "${viaB}", ca: b-ca.pem, vars: { role: gateway } }
groups:
  east: [a-1, a-2]
  west: [b-1, b-entry]
  all: [east, west]
`;
  await Deno.writeTextFile(`${dir}/inventory.yaml`, inventory);
  await Deno.writeTextFile(`${dir}/spread.yaml`, WORKFLOW);
  const env = {
    APPMESH_URL: a.urls[0],
    APPMESH_CA: a.caFile!,
    APPMESH_COOKIE_FILE: `${dir}/cookies.txt`,
    APPMESH_INVENTORY: `${dir}/inventory.yaml`,
    HOME: dir,
    APPMESH_PASSWORD: "admin123",
  };
  const logins = (log: string[]) => log.filter((l) => / POST \/appmesh\/login 200$/.test(l)).length;
  return {
    dir,
    a,
    b,
    env,
    loginsA: () => logins(logA),
    loginsB: () => logins(logB),
    logB,
    async close() {
      try {
        await a.close();
        await b.close();
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}

async function reportOf(path: string) {
  return JSON.parse(await Deno.readTextFile(path)) as {
    status: string;
    session: { login: string };
    nodes: {
      node: string;
      status: string;
      steps: { id: string; outputs?: Record<string, unknown> }[];
    }[];
  };
}

test("cli inventory: via another cluster, one session per entry server in one cookie file, reused next run", async () => {
  const w = await twoClusters();
  try {
    const run1 = await runCli([
      "workflow",
      "run",
      `${w.dir}/spread.yaml`,
      "--report",
      `${w.dir}/r1.json`,
    ], {
      env: w.env,
    });
    assertCode(run1, 0);
    assertNoStack(run1.stderr);
    const r1 = await reportOf(`${w.dir}/r1.json`);
    assert.deepEqual(r1.nodes.map((n) => [n.node, n.status]), [
      ["a-1", "success"],
      ["a-2", "success"],
      ["b-1", "success"],
      ["b-entry", "success"],
    ]);
    // Each node ran where the inventory says, with its vars.
    const said = r1.nodes.map((n) =>
      String(n.steps.find((s) => s.id === "who")?.outputs?.stdout).trim()
    );
    assert.deepEqual(said, ["a-1 is web", "a-2 is db", "b-1 is web", "b-entry is gateway"]);
    assert.equal(r1.session.login, "performed");
    // One login per entry server, not one per node.
    assert.equal(w.loginsA(), 1);
    assert.equal(w.loginsB(), 1);
    // Cluster B's nodes went through B: its forwarded node by X-Target-Host, its entry itself.
    assert.ok(
      w.logB.some((l) => l.startsWith(`${w.b.forwardedNodes[0].name} POST /appmesh/app/syncrun`)),
    );
    assert.ok(w.logB.some((l) => l.startsWith(`${w.b.nodes[0].name} POST /appmesh/app/syncrun`)));
    // One cookie file, one token per host.
    const { cookies } = await readCookieFile(`${w.dir}/cookies.txt`);
    const tokens = cookies.filter((c) => c.name === "appmesh_auth_token").map((c) => c.domain)
      .sort();
    assert.deepEqual(tokens, ["127.0.0.1", "localhost"]);

    // The next run (cron) reuses both sessions from the file: no login anywhere.
    const run2 = await runCli([
      "workflow",
      "run",
      `${w.dir}/spread.yaml`,
      "--report",
      `${w.dir}/r2.json`,
    ], {
      env: w.env,
    });
    assertCode(run2, 0);
    const r2 = await reportOf(`${w.dir}/r2.json`);
    assert.equal(r2.session.login, "reused");
    assert.deepEqual(
      r2.nodes.map((n) => n.steps[0].outputs?.session),
      ["reused", "reused", "reused", "reused"],
    );
    assert.equal(w.loginsA(), 1);
    assert.equal(w.loginsB(), 1);

    // --limit: a group and a glob; the other cluster is not contacted at all.
    const before = w.logB.length;
    const run3 = await runCli([
      "workflow",
      "run",
      `${w.dir}/spread.yaml`,
      "--limit",
      "a-*",
      "--report",
      `${w.dir}/r3.json`,
    ], { env: w.env });
    assertCode(run3, 0);
    assert.deepEqual((await reportOf(`${w.dir}/r3.json`)).nodes.map((n) => n.node), ["a-1", "a-2"]);
    assert.equal(w.logB.length, before);
    const run4 = await runCli([
      "workflow",
      "run",
      `${w.dir}/spread.yaml`,
      "--limit",
      "west,a-2",
      "--dry-run",
    ], {
      env: w.env,
    });
    assertCode(run4, 0);
    assert.match(run4.stdout, /^nodes: a-2, b-1, b-entry /m);
    assert.ok(
      run4.stdout.includes(`b-1: host ${w.b.forwardedNodes[0].name}, via https://localhost:`),
    );

    // A limit that leaves nothing: a usage error, nothing sent.
    const none = await runCli(["workflow", "run", `${w.dir}/spread.yaml`, "--limit", "south"], {
      env: w.env,
    });
    assertCode(none, 2);
    assert.match(none.stderr, /--limit south leaves no node to run on/);
    assertNoStack(none.stderr);
  } finally {
    await w.close();
  }
});

test("cli inventory: validation names the unknown group and variable; a bad inventory is one located line", async () => {
  const w = await twoClusters();
  try {
    await Deno.writeTextFile(
      `${w.dir}/typo.yaml`,
      WORKFLOW.replace("nodes: [all]", "nodes: [eats]").replace("node.vars.role", "node.vars.rol"),
    );
    const r = await runCli(["workflow", "validate", `${w.dir}/typo.yaml`], { env: w.env });
    assertCode(r, 2);
    assert.match(
      r.stderr,
      /typo\.yaml:2:9: error: unknown node or group "eats" in the inventory .*\(did you mean "east"\?\)/,
    );
    assert.match(
      r.stderr,
      /typo\.yaml:9:\d+: error: no node of the inventory has the variable "rol" .*\(did you mean "role"\?\)/,
    );
    const run = await runCli(["workflow", "run", `${w.dir}/typo.yaml`], { env: w.env });
    assertCode(run, 2);
    assert.equal(w.loginsA() + w.loginsB(), 0);

    await Deno.writeTextFile(
      `${w.dir}/bad-inv.yaml`,
      "nodes:\n  a-1:\ngroups:\n  g: [a-1, h]\n  h: [g]\n",
    );
    const bad = await runCli([
      "workflow",
      "run",
      `${w.dir}/spread.yaml`,
      "--inventory",
      `${w.dir}/bad-inv.yaml`,
    ], {
      env: w.env,
    });
    assertCode(bad, 2);
    const lines = bad.stderr.split("\n").filter((l) => / error: /.test(l));
    assert.deepEqual(lines.length, 1, bad.stderr);
    assert.match(lines[0], /bad-inv\.yaml:4:12: error: group "g" contains itself: g → h → g/);
    assertNoStack(bad.stderr);
  } finally {
    await w.close();
  }
});

test("cli inventory: the example workflows/fleet-facts.yaml with workflows/inventory/local.yaml", async () => {
  const dir = await Deno.makeTempDir({ prefix: "appmesh-fleet-facts-" });
  await using server = await startDevServer({ forwardedNodes: 3 });
  try {
    const env = {
      APPMESH_URL: server.urls[0],
      APPMESH_CA: server.caFile!,
      APPMESH_COOKIE_FILE: `${dir}/cookies.txt`,
      HOME: dir,
      APPMESH_USER: "admin",
      APPMESH_PASSWORD: "admin123",
    };
    const r = await runCli([
      "workflow",
      "run",
      "workflows/fleet-facts.yaml",
      "--inventory",
      "workflows/inventory/local.yaml",
      "--report",
      `${dir}/r.json`,
    ], { env, cwd: ROOT });
    assertCode(r, 0);
    const rep = await reportOf(`${dir}/r.json`);
    const out = (n: number, id: string) =>
      String(rep.nodes[n].steps.find((s) => s.id === id)?.outputs?.stdout ?? "").trim();
    assert.deepEqual(rep.nodes.map((n) => n.node), ["web-1", "web-2", "db-1"]);
    assert.deepEqual([out(0, "facts"), out(0, "greet")], ["web-1 is web", "bonjour from web-1"]);
    assert.deepEqual([out(1, "greet"), out(2, "facts")], ["hello from web-2", "db-1 is db"]);
    assert.equal(out(2, "retention"), "keeping backups for 14 days");
    assert.equal(rep.nodes[2].steps.find((s) => s.id === "greet")?.outputs, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
