// runWorkflow with an inventory (its file's path) over two local servers: per-entry-server
// sessions in one cookie file, a `logout` that logs off each entry server without touching
// the other's cookie, and an inventory error before anything is sent.
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../../src/devserver/mod.ts";
import { readCookieFile } from "../../src/cookies/file.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { runWorkflow } from "../../src/workflow/run/engine.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";
import type { WorkflowEvent } from "../../src/workflow/language/spec.ts";

const tokensIn = async (file: string) =>
  (await readCookieFile(file)).cookies.filter((c) => c.name === "appmesh_auth_token")
    .map((c) => c.domain).sort();

/**
 * Two clusters (local servers with one forwarding-only node each) and an inventory naming a-1
 * (through the run's connection, a) and b-1 (via b, as "localhost" so its cookie is its own).
 */
async function twoClusters(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const a = await startDevServer({ forwardedNodes: 1 });
  const b = await startDevServer({ forwardedNodes: 1 });
  const viaB = b.urls[0].replace("127.0.0.1", "localhost");
  const inventory = join(dir, "inv.yaml");
  await writeFile(
    inventory,
    `nodes:
  a-1: { host: "${a.forwardedNodes[0].name}", vars: { n: 1 } }
  b-1: { host: "${b.forwardedNodes[0].name}", via: "${viaB}", ca: "${b.caFile}", vars: { n: 2 } }
`,
  );
  return {
    dir,
    a,
    b,
    viaB,
    inventory,
    async close() {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test("engine inventory: via another cluster, login once per entry server, logout of each", async () => {
  const { dir, a, viaB, inventory, close } = await twoClusters("wf-inventory-");
  try {
    const cookieFile = join(dir, "cookies.txt");
    const run = async (yaml: string) => {
      const events: WorkflowEvent[] = [];
      const report = await runWorkflow(parseWorkflow(yaml), {
        env: {},
        secrets: { PW: "admin123" },
        inventory,
        connection: { url: a.urls[0], ca: a.caFile, cookieFile },
        onEvent: (e) => events.push(e),
      });
      return { report, events };
    };
    const login = `name: t
steps:
  - login: { user: admin, password: "\${{ secrets.PW }}" }
  - id: n
    run_sync: { command: "echo \${{ node.vars.n }}", shell: true }
`;
    const first = await run(login);
    assert.equal(first.report.status, "success", first.report.summary);
    assert.deepEqual(first.report.nodes.map((n) => n.steps[1].outputs?.stdout), ["1\n", "2\n"]);
    assert.deepEqual(first.report.nodes.map((n) => n.steps[0].outputs?.session), [
      "performed",
      "performed",
    ]);
    assert.deepEqual(await tokensIn(cookieFile), ["127.0.0.1", "localhost"]);

    // A logout logs off every entry server once all nodes are done; each removes only its own.
    const out = await run(`${login}  - logout:\n`);
    assert.equal(out.report.status, "success", out.report.summary);
    assert.deepEqual(out.report.nodes.map((n) => n.steps[0].outputs?.session), [
      "reused",
      "reused",
    ]);
    const said = out.events.filter((e) => e.type === "log").map((e) => e.message).sort();
    assert.deepEqual(said, [`logged off (${a.urls[0]})`, `logged off (${viaB})`]);
    assert.deepEqual(await tokensIn(cookieFile), []);

    // An inventory error is a WorkflowError before anything is sent.
    await writeFile(inventory, "nodes:\n  a-1: { via: ftp://x }\n");
    await assert.rejects(
      run(login),
      (e: Error) =>
        e instanceof WorkflowError && e.issues[0].file === inventory && e.issues[0].line === 2,
    );
  } finally {
    await close();
  }
});

test("engine inventory: a rerun of the failed node goes through its own entry server", async () => {
  const { dir, a, inventory, close } = await twoClusters("wf-inventory-rerun-");
  try {
    const wf = parseWorkflow(`name: t
inputs:
  ok: { type: string, default: "no" }
steps:
  - login: { user: admin, password: "\${{ secrets.PW }}" }
  - run_sync:
      command: test "\${{ inputs.ok }}" = yes || test "\${{ node.vars.n }}" = 1
      shell: true
`);
    const base = {
      env: {},
      secrets: { PW: "admin123" },
      inventory,
      connection: { url: a.urls[0], ca: a.caFile, cookieFile: join(dir, "cookies.txt") },
    };
    const first = await runWorkflow(wf, base);
    assert.deepEqual(first.nodes.map((n) => [n.node, n.status]), [
      ["a-1", "success"],
      ["b-1", "failure"],
    ]);
    // The inventory from $APPMESH_INVENTORY this time, as on the command line.
    const { inventory: _, ...noInventory } = base;
    const again = await runWorkflow(wf, {
      ...noInventory,
      env: { APPMESH_INVENTORY: inventory },
      inputs: { ok: "yes" },
      rerun: { report: first },
    });
    assert.equal(again.rerun_of, first.run_id);
    assert.deepEqual(again.nodes.map((n) => [n.node, n.status]), [["b-1", "success"]]);
    assert.equal(again.session.login, "reused");
    // b-1 is served only through b's forwarding: a success is a run through its own entry.
  } finally {
    await close();
  }
});
