// Unit tests of the ${{ }} expression language (pure).
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import {
  evaluate,
  evaluateCondition,
  type ExprContext,
  ExprError,
  isExpression,
  parse,
  referencedContexts,
} from "../../src/workflow/expr/mod.ts";

function ctx(over: Partial<ExprContext> = {}): ExprContext {
  return {
    env: { HOME: "/root", NODES: '["a","b"]', EMPTY: "" },
    secrets: { PW: "hunter2" },
    inputs: { n: 7, name: "Web", flag: false },
    node: { name: "db-1:6060", host: "db-1", port: 6060 },
    run: { id: "r42", date: "2026-11-28", started: "2026-11-28T02:00:00Z" },
    steps: {
      done: { exit_code: 0, stdout: "OK\n", list: [1, 2, 3], obj: { "a b": 1 } },
      app: { name: "backup-r42", nothing: null },
    },
    job: { status: "success" },
    ...over,
  };
}

const ev = (s: string, c = ctx()) => evaluate(s, c);

test("expr: literals", () => {
  assert.equal(ev("'it''s'"), "it's");
  assert.equal(ev("42"), 42);
  assert.equal(ev("-1.5"), -1.5);
  assert.equal(ev("0xff"), 255);
  assert.equal(ev("1e3"), 1000);
  assert.equal(ev("true"), true);
  assert.equal(ev("false"), false);
  assert.equal(ev("null"), null);
});

test("expr: property access and index", () => {
  assert.equal(ev("steps.done.exit_code"), 0);
  assert.equal(ev("steps['done']['stdout']"), "OK\n");
  assert.equal(ev("steps.done.list[1]"), 2);
  assert.equal(ev("steps.done.obj['a b']"), 1);
  assert.equal(ev("node.port"), 6060);
  assert.equal(ev("run.id"), "r42");
  assert.equal(ev("env.HOME"), "/root");
  assert.equal(ev("secrets.PW"), "hunter2");
  assert.equal(ev("inputs.n"), 7);
  assert.equal(ev("steps.app.nothing"), null);
  assert.equal(ev("job.status"), "success");
  assert.deepEqual(ev("fromJSON(env.NODES)[1]"), "b");
});

test("expr: precedence", () => {
  assert.equal(ev("true || false && false"), true); // && binds tighter
  assert.equal(ev("(true || false) && false"), false);
  assert.equal(ev("!false == true"), true); // ! binds tighter than ==
  assert.equal(ev("1 < 2 == true"), true); // < binds tighter than ==
  assert.equal(ev("!(1 == 1)"), false);
  assert.equal(ev("inputs.n > 5 && inputs.n <= 7"), true);
});

test("expr: && and || return an operand", () => {
  assert.equal(ev("inputs.name && 'yes'"), "yes");
  assert.equal(ev("inputs.flag && 'yes'"), false);
  assert.equal(ev("env.EMPTY || 'default'"), "default");
  assert.equal(ev("inputs.n || 'default'"), 7);
  assert.equal(ev("null || 0"), 0);
});

test("expr: loose equality like GitHub Actions", () => {
  assert.equal(ev("'abc' == 'ABC'"), true); // strings ignore case
  assert.equal(ev("'1' == 1"), true); // mixed types: numbers
  assert.equal(ev("'' == 0"), true);
  assert.equal(ev("null == 0"), true);
  assert.equal(ev("null == null"), true);
  assert.equal(ev("true == 1"), true);
  assert.equal(ev("'true' == true"), false); // 'true' is NaN as a number
  assert.equal(ev("'abc' == 0"), false);
  assert.equal(ev("steps.done.list == steps.done.list"), true); // same array
  assert.equal(ev("fromJSON('[1]') == fromJSON('[1]')"), false); // identity
  assert.equal(ev("1 != 2"), true);
  assert.equal(ev("'b' > 'A'"), true); // ignoring case
  assert.equal(ev("'10' > 9"), true);
  assert.equal(ev("'x' < 1"), false); // NaN compares false
  assert.equal(ev("'x' >= 1"), false);
});

test("expr: truthiness", () => {
  const c = ctx();
  for (const s of ["0", "''", "null", "false", "fromJSON('0')"]) {
    assert.equal(evaluateCondition(s, c), false, s);
  }
  for (const s of ["1", "'0'", "'false'", "fromJSON('[]')", "fromJSON('{}')", "-1"]) {
    assert.equal(evaluateCondition(s, c), true, s);
  }
});

test("expr: functions", () => {
  assert.equal(ev("contains('Hello World', 'world')"), true);
  assert.equal(ev("contains(steps.done.list, 2)"), true);
  assert.equal(ev("contains(steps.done.list, '3')"), true);
  assert.equal(ev("contains(steps.done.list, 4)"), false);
  assert.equal(ev("startsWith(node.name, 'DB-')"), true);
  assert.equal(ev("endsWith(node.name, ':6060')"), true);
  assert.equal(ev("format('{0}-{1}-{0}', 'a', 2)"), "a-2-a");
  assert.equal(ev("format('{{literal}} {0}', null)"), "{literal} ");
  assert.equal(ev("join(steps.done.list, ', ')"), "1, 2, 3");
  assert.equal(ev("join(steps.done.list)"), "1,2,3");
  assert.equal(ev("join('x', ',')"), "x");
  assert.equal(ev("toJSON(steps.done.list)"), "[\n  1,\n  2,\n  3\n]");
  assert.deepEqual(ev("fromJSON('{\"a\": [1, true]}')"), { a: [1, true] });
  assert.equal(ev("TOJSON(1)"), "1"); // names ignore case
});

test("expr: status functions", () => {
  assert.equal(ev("success()"), true);
  assert.equal(ev("failure()"), false);
  assert.equal(ev("always()"), true);
  const failed = ctx({ job: { status: "failure" } });
  assert.equal(ev("success()", failed), false);
  assert.equal(ev("failure()", failed), true);
  assert.equal(evaluateCondition("${{ failure() }}", failed), true);
  assert.equal(evaluateCondition("always()", failed), true);
});

function throwsExpr(source: string, reason: RegExp, c = ctx()): ExprError {
  let caught: unknown;
  try {
    evaluate(source, c);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ExprError, `${source} should throw ExprError`);
  assert.match(caught.reason, reason);
  assert.ok(caught.message.includes(source.trim()), "the message names the expression");
  return caught;
}

test("expr: missing references are errors, never null", () => {
  throwsExpr("env.NOPE", /environment variable "NOPE" is not set/);
  throwsExpr("secrets.NOPE", /secret "NOPE" is not set/);
  throwsExpr("inputs.nope", /input "nope" has no value/);
  throwsExpr("steps.nope.exit_code", /step "nope" has no outputs here/);
  const e = throwsExpr("steps.done.exit_cod", /steps.done has no property "exit_cod"/);
  assert.equal(e.hint, 'did you mean "exit_code"?');
  throwsExpr("steps.app.nothing.x", /cannot read "x" of null/);
  throwsExpr("steps.done.list[3]", /index 3 is out of range/);
  throwsExpr("steps.done.list['a']", /index it with a number/);
  throwsExpr("node.name", /node is not available here/, ctx({ node: undefined }));
  throwsExpr("nope.x", /unknown context "nope"/);
  throwsExpr("fromJSON('{bad')", /fromJSON: the argument is not valid JSON/);
  throwsExpr("format('{1}', 'a')", /format: no argument for \{1\}/);
});

test("expr: error messages never hold a value", () => {
  const e = throwsExpr("fromJSON(secrets.PW)", /not valid JSON/);
  assert.ok(!e.message.includes("hunter2"));
  const e2 = throwsExpr("secrets.PW.x", /cannot read "x" of a string/);
  assert.ok(!e2.message.includes("hunter2"));
});

test("expr: syntax errors point at the spot", () => {
  const cases: [string, RegExp, number][] = [
    ["steps.done.", /expected a property name/, 11],
    ["1 ==", /expression is incomplete/, 4],
    ["(1 == 1", /expected "\)" to close the parenthesis/, 7],
    ['"text"', /strings use single quotes/, 0],
    ["a = 1", /unexpected "="/, 2],
    ["a & b", /unexpected "&"/, 2],
    ["'open", /unterminated string/, 0],
    ["1 2", /unexpected "2"/, 2],
    ["", /empty expression/, 0],
    ["steps.x()", /only functions can be called/, 7],
    ["contains('a',)", /unexpected "\)"/, 13],
    ["a # b", /unexpected character "#"/, 2],
  ];
  for (const [source, reason, offset] of cases) {
    const e = throwsExpr(source, reason);
    assert.equal(e.offset, offset, source);
  }
});

test("expr: arity and unknown functions at run time", () => {
  throwsExpr("contains('a')", /wrong number of arguments to contains/);
  throwsExpr("lenght('a')", /unknown function "lenght\(\)"/);
});

test("expr: referencedContexts", () => {
  assert.deepEqual(referencedContexts("steps.job.exit_code == 0 && env.X"), [
    ["steps", "job", "exit_code"],
    ["env", "X"],
  ]);
  assert.deepEqual(referencedContexts("inputs['a b'] || steps[env.K].x"), [
    ["inputs", "a b"],
    ["steps"],
    ["env", "K"],
  ]);
  assert.deepEqual(referencedContexts("format('{0}', run.id)"), [["run", "id"]]);
  assert.deepEqual(referencedContexts("fromJSON(env.N)[0]"), [["env", "N"]]);
});

test("expr: parse builds a tree; isExpression", () => {
  const tree = parse("a.b == 'x'");
  assert.equal(tree.kind, "binary");
  assert.equal(isExpression("x ${{ a }}"), true);
  assert.equal(isExpression("plain"), false);
  assert.equal(isExpression(3), false);
});

test("expr: no eval or Function in the evaluator sources", async () => {
  const { readFile } = await import("node:fs/promises");
  for (const f of ["lexer", "parser", "evaluate", "functions", "template", "mod"]) {
    const text = await readFile(
      new URL(`../../src/workflow/expr/${f}.ts`, import.meta.url),
      "utf8",
    );
    assert.ok(!/\beval\(|new Function\(/.test(text), f);
  }
});
