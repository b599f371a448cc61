// Unit tests of template resolution (pure).
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import {
  conditionSource,
  type ExprContext,
  ExprError,
  resolveTemplates,
  splitTemplate,
  wholeExpression,
} from "../../src/workflow/expr/mod.ts";

const ctx: ExprContext = {
  env: { DUMP: "/tmp/d.sql", NODES: '["a","b"]' },
  secrets: {},
  inputs: { keep_days: 7, on: true },
  node: { name: "db-1", host: "db-1", port: 6060 },
  run: { id: "r1", date: "2026-11-28", started: "2026-11-28T02:00:00Z" },
  steps: { app: { name: "backup-r1", meta: { a: 1 } } },
  job: { status: "success" },
};

test("template: a whole-value expression keeps its type", () => {
  assert.equal(resolveTemplates("${{ inputs.keep_days }}", ctx), 7);
  assert.equal(resolveTemplates("  ${{ inputs.on }} ", ctx), true);
  assert.deepEqual(resolveTemplates("${{ fromJSON(env.NODES) }}", ctx), ["a", "b"]);
  assert.deepEqual(resolveTemplates("${{ steps.app.meta }}", ctx), { a: 1 });
});

test("template: embedded expressions stringify", () => {
  assert.equal(resolveTemplates("keep ${{ inputs.keep_days }} days", ctx), "keep 7 days");
  assert.equal(
    resolveTemplates("backups/${{ node.name }}/${{ run.date }}.sql.gz", ctx),
    "backups/db-1/2026-11-28.sql.gz",
  );
  assert.equal(resolveTemplates("m=${{ steps.app.meta }}", ctx), 'm={"a":1}');
  assert.equal(resolveTemplates("x${{ null }}y", ctx), "xy");
  assert.equal(resolveTemplates("${{ 1 }}${{ 2 }}", ctx), "12");
});

test("template: deep over arrays and objects, keys untouched", () => {
  assert.deepEqual(
    resolveTemplates({ "${{ k }}": ["${{ run.id }}", 3, { n: "${{ inputs.keep_days }}" }] }, ctx),
    { "${{ k }}": ["r1", 3, { n: 7 }] },
  );
  assert.equal(resolveTemplates(null, ctx), null);
  assert.equal(resolveTemplates("plain", ctx), "plain");
});

test("template: '}}' inside a string literal does not close", () => {
  assert.equal(resolveTemplates("${{ format('{0}}}', 'a') }}", ctx), "a}");
  const parts = splitTemplate("a ${{ 'x}}y' }} b");
  assert.equal(parts.length, 3);
  assert.deepEqual(parts[1], { kind: "expr", source: " 'x}}y' ", start: 2, offset: 5 });
});

test("template: missing references and bad templates are errors", () => {
  assert.throws(() => resolveTemplates("a-${{ env.NOPE }}", ctx), ExprError);
  assert.throws(() => resolveTemplates({ x: ["${{ steps.zz.name }}"] }, ctx), ExprError);
  assert.throws(() => resolveTemplates("${{ run.id", ctx), /unterminated/);
});

test("template: wholeExpression and conditionSource", () => {
  assert.equal(wholeExpression("${{ a }}"), " a ");
  assert.equal(wholeExpression("x ${{ a }}"), undefined);
  assert.equal(wholeExpression("${{ a }}${{ b }}"), undefined);
  assert.equal(conditionSource("${{ failure() }}"), " failure() ");
  assert.equal(conditionSource("steps.a.x == 1"), "steps.a.x == 1");
});
