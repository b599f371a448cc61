// The documented examples validate (pure).
// @bun
// @node
/** The examples of the workflow documentation validate with the real step registry. */
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";

/** The yaml blocks of a markdown file; a file that cannot be read fails the test that asked. */
async function yamlBlocks(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8");
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const BIG = `# yaml-language-server: $schema=<the JSON Schema the package ships>
name: nightly-backup
description: Dump each node's database and collect the dumps here.

connection:                        # all optional
  url: https://gateway:6060        # default: $APPMESH_URL, else https://127.0.0.1:6060
  ca: /opt/appmesh/ssl/ca.pem      # or \`verify: false\`
  cert: /opt/appmesh/ssl/client.pem
  key: /opt/appmesh/ssl/client-key.pem
  cookie_file: ~/.appmesh/cookies.txt   # default: $APPMESH_COOKIE_FILE

nodes: [db-1, db-2:6060, db-3]     # forward_to targets; omitted: the server itself
concurrency: 2                     # nodes in flight at once (default: all)
fail_fast: false                   # true: after a node fails, start no new node

inputs:
  keep_days: { type: number, default: 7 }

env:
  DUMP: /tmp/nightly-\${{ run.id }}.sql.gz

steps:
  - login:
      user: \${{ env.APPMESH_USER }}
      password: \${{ secrets.APPMESH_PASSWORD }}
      expire: P1D
  - id: app
    add_app:
      name: backup-\${{ run.id }}
      command: pg_dump mydb | gzip > \${{ env.DUMP }}
      shell: true
  - id: job
    run_async:
      app: \${{ steps.app.name }}
      max_time: PT2H
  - id: done
    wait:
      run: job
      timeout: PT3H
      output: stream               # stream | capture | discard
  - assert:
      that: \${{ steps.done.exit_code == 0 }}
      message: pg_dump failed on \${{ node.name }}
  - download_file:
      remote: \${{ env.DUMP }}
      local: backups/\${{ node.name }}/\${{ run.date }}.sql.gz
  - run_sync:                      # an inline command instead of a registered app
      command: rm -f \${{ env.DUMP }}
      shell: true

finally:                           # per node, always, even after a failure or Ctrl-C
  - delete_app: { name: "backup-\${{ run.id }}" }
`;

function check(source: string, file: string) {
  try {
    return parseWorkflow(source, { file });
  } catch (e) {
    if (e instanceof WorkflowError) assert.fail(`${file} should validate:\n${e.format()}`);
    throw e;
  }
}

test("docs: the big example of workflow.md validates cleanly", () => {
  const wf = check(BIG, "nightly-backup.yaml");
  assert.equal(wf.name, "nightly-backup");
  assert.deepEqual(wf.nodes, ["db-1", "db-2:6060", "db-3"]);
  assert.equal(wf.concurrency, 2);
  assert.deepEqual(wf.inputs.keep_days, { type: "number", default: 7 });
  assert.deepEqual(wf.steps.map((s) => s.type), [
    "login",
    "add_app",
    "run_async",
    "wait",
    "assert",
    "download_file",
    "run_sync",
  ]);
  assert.deepEqual(wf.steps[3].with, { run: "job", timeout: "PT3H", output: "stream" });
  assert.deepEqual(wf.steps[3].pos, { line: 36, col: 5 });
  assert.equal(wf.finally[0].type, "delete_app");
});

test("docs: every yaml block of the shared workflow.md validates", async () => {
  // The shared docs sit beside the project (`../shared/` from its root), in CI as here; without
  // them this test fails (ENOENT naming the path) instead of passing with nothing checked.
  const blocks = await yamlBlocks(
    new URL("../../../shared/docs/workflow.md", import.meta.url).pathname,
  );
  assert.ok(blocks.length > 0, "workflow.md has no yaml block");
  blocks.forEach((b, i) => check(b, `workflow.md#${i + 1}`));
});

test("docs: the examples under workflows/ validate", async () => {
  const { readdir } = await import("node:fs/promises");
  const dir = new URL("../../workflows/", import.meta.url);
  // A failing readdir fails the test: the examples are part of the package.
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n));
  assert.ok(names.length > 0, "no workflow examples under workflows/");
  for (const name of names) check(await readFile(new URL(name, dir), "utf8"), `workflows/${name}`);
});

test("docs: the README's yaml blocks validate when they are whole workflows (name: and steps:)", async () => {
  let checked = 0;
  for (
    const [i, block] of (await yamlBlocks(new URL("../../README.md", import.meta.url).pathname))
      .entries()
  ) {
    if (!/^steps:/m.test(block) || !/^name:/m.test(block)) continue;
    check(block, `README.md#${i + 1}`);
    checked++;
  }
  assert.ok(checked > 0, "the README has no whole workflow to check");
});
