// The broken-workflow corpus (pure).
// @bun
// @node
/**
 * The broken-workflow corpus: each `corpus/NN_name.yaml` must fail validation with exactly
 * the text of `corpus/NN_name.expected.txt` (every issue, with positions, source lines and
 * carets). Uses the real step registry.
 *
 * After a deliberate change of messages, `UPDATE_CORPUS=1 deno test -A tests/workflow/lang_corpus_test.ts`
 * rewrites the expected texts (then review the diff).
 */
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";

const dir = new URL("./corpus/", import.meta.url);
const names = (await readdir(dir)).filter((n) => n.endsWith(".yaml")).sort();

test("corpus: at least 30 broken workflows, each with its expected text", async () => {
  assert.ok(names.length >= 30, `${names.length} corpus files`);
  const all = await readdir(dir);
  for (const name of names) {
    assert.match(name, /^\d\d_[a-z0-9_]+\.yaml$/);
    assert.ok(
      all.includes(name.replace(/\.yaml$/, ".expected.txt")),
      `${name} has no expected text`,
    );
  }
});

for (const name of names) {
  test(`corpus: ${name}`, async () => {
    const source = await readFile(new URL(name, dir), "utf8");
    const expectedUrl = new URL(name.replace(/\.yaml$/, ".expected.txt"), dir);
    const file = `tests/workflow/corpus/${name}`;
    let error: unknown;
    try {
      parseWorkflow(source, { file });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof WorkflowError, `${name} must not validate`);
    if (process.env.UPDATE_CORPUS === "1") await writeFile(expectedUrl, error.format() + "\n");
    assert.equal(error.format() + "\n", await readFile(expectedUrl, "utf8"));
    // Literal secrets in the corpus never reach the error text.
    for (const secret of ["hunter2", "s3cret", "JBSWY3DPEHPK3PXP"]) {
      assert.ok(!error.format().includes(secret) && !error.message.includes(secret));
    }
  });
}
