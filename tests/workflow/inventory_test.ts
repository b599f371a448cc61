// Inventories (pure): parsing, groups, cycles, --limit globs, node.vars, and validation of a
// workflow against an inventory (located errors with a did-you-mean).
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { parseInventory } from "../../src/workflow/inventory/inventory.ts";
import {
  applyLimit,
  expandTargets,
  groupNodes,
  splitLimit,
  TargetError,
  varNames,
} from "../../src/workflow/inventory/targets.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";
import { formatPlan, planWorkflow } from "../../src/workflow/report/plan.ts";
import { evaluate, type ExprContext } from "../../src/workflow/expr/mod.ts";

const INVENTORY = `
nodes:
  web-1: { host: "127.0.0.1:61000", vars: { role: web, weight: 2 } }
  web-2: { host: "127.0.0.1:61001", vars: { role: web } }
  "127.0.0.1:61002":
    vars: { role: db }
  far-1:
    host: "127.0.0.1:61000"
    via: https://localhost:7070/
    ca: certs/far.pem
groups:
  web: [web-1, web-2]
  db: ["127.0.0.1:61002"]
  near: [web, db]
  all: [near, far-1]
`;

function issuesOf(fn: () => unknown): WorkflowError["issues"] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WorkflowError, String(e));
    return e.issues;
  }
  assert.fail("expected a WorkflowError");
}

test("inventory: nodes with host, vars, via and a ca relative to the file; groups", () => {
  const inv = parseInventory(INVENTORY, { file: "/etc/fleet/inv.yaml" });
  assert.deepEqual(Object.keys(inv.nodes), ["web-1", "web-2", "127.0.0.1:61002", "far-1"]);
  assert.equal(inv.nodes["web-1"].host, "127.0.0.1:61000");
  assert.deepEqual(inv.nodes["web-1"].vars, { role: "web", weight: 2 });
  // A node named by its host:port has that as its host.
  assert.equal(inv.nodes["127.0.0.1:61002"].host, "127.0.0.1:61002");
  assert.equal(inv.nodes["far-1"].via, "https://localhost:7070");
  assert.equal(inv.nodes["far-1"].ca, "/etc/fleet/certs/far.pem");
  assert.deepEqual(groupNodes(inv, "all"), ["web-1", "web-2", "127.0.0.1:61002", "far-1"]);
  assert.deepEqual(varNames(inv).sort(), ["role", "weight"]);
});

test("inventory: a group containing itself is one located error naming the loop", () => {
  const issues = issuesOf(() =>
    parseInventory(
      "nodes:\n  a:\ngroups:\n  x: [a, y]\n  y: [z]\n  z: [x]\n",
      { file: "inv.yaml" },
    )
  );
  assert.equal(issues.length, 1);
  assert.equal(issues[0].file, "inv.yaml");
  assert.match(issues[0].message, /group "x" contains itself: x → y → z → x/);
  assert.deepEqual([issues[0].line, issues[0].col], [4, 10]);
});

test("inventory: unknown keys, members and bad via are located, with a did-you-mean", () => {
  const issues = issuesOf(() =>
    parseInventory(
      [
        "nodes:",
        "  web-1: { hots: a }",
        "  web-2: { via: ftp://x }",
        "groups:",
        "  web: [web-1, wbe-2]",
        "grups: {}",
      ].join("\n"),
      { file: "inv.yaml" },
    )
  );
  const text = issues.map((i) => `${i.line}:${i.col} ${i.message} (${i.hint ?? ""})`);
  assert.deepEqual(text, [
    `2:12 unknown key "hots" of node "web-1" (did you mean "host"?)`,
    `3:17 via of node "web-2" is not an https:// URL (write https://HOST:6060)`,
    `5:16 group "web": unknown node or group "wbe-2" (did you mean "web-2"?)`,
    `6:1 unknown inventory key "grups" (did you mean "groups"?)`,
  ]);
  // Malformed YAML is located too.
  const bad = issuesOf(() => parseInventory("nodes: [a\n", { file: "inv.yaml" }));
  assert.equal(bad[0].file, "inv.yaml");
  assert.ok(bad[0].line > 0);
});

test("targets: groups expand in order, each node once; unknown names get a did-you-mean", () => {
  const inv = parseInventory(INVENTORY, { file: "inv.yaml" });
  assert.deepEqual(expandTargets(["web", "web-1", "db"], inv), [
    "web-1",
    "web-2",
    "127.0.0.1:61002",
  ]);
  assert.throws(
    () => expandTargets(["wbe"], inv),
    (e: Error) =>
      e instanceof TargetError &&
      e.message === `unknown node or group "wbe" in the inventory inv.yaml (did you mean "web"?)`,
  );
  // Without an inventory names are taken as they are.
  assert.deepEqual(expandTargets(["h:1", "h:1", "h:2"]), ["h:1", "h:2"]);
});

test("limit: names and globs match groups and nodes; an empty result is an error", () => {
  const inv = parseInventory(INVENTORY);
  const all = groupNodes(inv, "all");
  assert.deepEqual(applyLimit(all, ["db"], inv), ["127.0.0.1:61002"]);
  assert.deepEqual(applyLimit(all, ["web-*"], inv), ["web-1", "web-2"]);
  assert.deepEqual(applyLimit(all, ["n?ar"], inv), ["web-1", "web-2", "127.0.0.1:61002"]);
  assert.deepEqual(applyLimit(all, ["far-1", "127.0.0.1:*"], inv), ["127.0.0.1:61002", "far-1"]);
  // Only nodes of the run are kept: a limit never adds one.
  assert.deepEqual(applyLimit(["web-1"], ["web"], inv), ["web-1"]);
  assert.throws(() => applyLimit(all, ["nope*"], inv), /--limit nope\* leaves no node/);
  assert.deepEqual(splitLimit(["web,db", " far-* "]), ["web", "db", "far-*"]);
});

test("node.vars: read in expressions; a variable the node does not set is null", () => {
  const node = { name: "web-2", host: "h", port: 1, vars: { role: "web" } };
  const ctx = (): ExprContext => ({
    env: {},
    secrets: {},
    inputs: {},
    run: { id: "r", date: "d", started: "s" },
    steps: {},
    job: { status: "success" },
    node,
  });
  assert.equal(evaluate("node.vars.role", ctx()), "web");
  assert.equal(evaluate("node.vars.weight || 1", ctx()), 1);
  assert.throws(() => evaluate("node.varz", ctx()), /has no property "varz"/);
});

const WF = `name: t
nodes: [web, dbb]
steps:
  - id: a
    run_sync: { command: "echo \${{ node.vars.role }} \${{ node.vars.wieght }}" }
`;

test("validation with an inventory: unknown group and variable, located, with did-you-mean", () => {
  const inventory = parseInventory(INVENTORY, { file: "inv.yaml" });
  const issues = issuesOf(() => parseWorkflow(WF, { file: "wf.yaml", inventory }));
  assert.deepEqual(issues.map((i) => [i.line, i.col, i.message, i.hint]), [
    [2, 14, `unknown node or group "dbb" in the inventory inv.yaml`, `did you mean "db"?`],
    [
      5,
      68,
      `no node of the inventory has the variable "wieght" (node.vars.wieght)`,
      `did you mean "weight"?`,
    ],
  ]);
  // Without the inventory the same file is valid (the names are host names then).
  assert.equal(parseWorkflow(WF, { file: "wf.yaml" }).name, "t");
});

test("plan: the inventory's groups and --limit give the resolved nodes and how they are reached", () => {
  const inventory = parseInventory(INVENTORY, { file: "inv.yaml" });
  const wf = parseWorkflow("name: p\nnodes: [all]\nsteps:\n  - logout:\n", { inventory });
  const plan = planWorkflow(wf, { env: {}, inventory, limit: ["web-1", "far-*"] });
  assert.deepEqual(plan.nodes, ["web-1", "far-1"]);
  assert.deepEqual(plan.targets, [
    { name: "web-1", host: "127.0.0.1:61000" },
    { name: "far-1", host: "127.0.0.1:61000", via: "https://localhost:7070" },
  ]);
  // The session step runs on each entry server: the plan says so.
  assert.match(formatPlan(plan), /logout \[once per entry server \(2\)\]/);
  assert.match(
    formatPlan(planWorkflow(wf, { env: {}, inventory, limit: ["web-*"] })),
    /once per run/,
  );
  // An inventory without nodes: in the workflow runs on all its nodes.
  const bare = parseWorkflow("name: p\nsteps:\n  - logout:\n");
  assert.equal(planWorkflow(bare, { env: {}, inventory }).nodes.length, 4);
  // A limit that leaves nothing is a usage error, before anything is sent.
  assert.throws(
    () => planWorkflow(wf, { env: {}, inventory, limit: ["zzz"] }),
    (e: Error) => e instanceof WorkflowError && /--limit zzz leaves no node/.test(e.message),
  );
  // Without an inventory --limit narrows the given nodes.
  assert.deepEqual(
    planWorkflow(bare, { env: {}, nodes: ["a:1", "b:1"], limit: ["b*"] }).nodes,
    ["b:1"],
  );
});

test("inventory file: missing, not UTF-8, or too big is one line naming the file", async () => {
  const { loadInventory, MAX_INVENTORY_BYTES } = await import(
    "../../src/workflow/inventory/inventory.ts"
  );
  const { mkdtemp, rm, truncate, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(`${tmpdir()}/inventory-file-`);
  try {
    const file = `${dir}/inv.yaml`;
    const refused = async (pattern: RegExp) =>
      await assert.rejects(loadInventory(file), (e: unknown) => {
        assert.ok(e instanceof WorkflowError);
        assert.equal(e.issues.length, 1);
        assert.equal(e.issues[0].file, file);
        assert.match(e.issues[0].message, pattern);
        return true;
      });
    await refused(/^cannot read the inventory: no such file$/);
    await writeFile(file, new Uint8Array([0x6e, 0x6f, 0xff, 0x3a]));
    await refused(/^the inventory is not UTF-8 text$/);
    await truncate(file, MAX_INVENTORY_BYTES + 1);
    await refused(/^the inventory is more than \d+ bytes/);
    await writeFile(file, "nodes:\n  a-1: {}\n");
    assert.deepEqual(Object.keys((await loadInventory(file)).nodes), ["a-1"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
