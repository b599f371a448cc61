// Unit tests of workflow validation with a small in-test step registry (pure).
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import type { StepSpec } from "../../src/workflow/language/spec.ts";
import { parseWorkflow, validateWorkflowObject } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";
import { durationMs } from "../../src/workflow/language/fields.ts";
import { editDistance, suggest } from "../../src/workflow/load/suggest.ts";

const noop = () => Promise.resolve({});
/** A small registry, so these tests do not depend on the engine's step files. */
const REGISTRY: Record<string, StepSpec> = {
  login: {
    type: "login",
    description: "Log in.",
    method: "login",
    session: true,
    fields: {
      user: { type: "string", description: "User.", required: true },
      password: { type: "string", description: "Password.", secret: true },
      expire: { type: "duration", description: "Lifetime." },
    },
    outputs: { session: "How." },
    run: noop,
  },
  logout: {
    type: "logout",
    description: "Log out.",
    method: "logoff",
    fields: {},
    outputs: {},
    run: noop,
  },
  add_app: {
    type: "add_app",
    description: "Register an app.",
    method: "addApp",
    openFields: true,
    openOutputs: true,
    fields: {
      name: { type: "string", description: "Name.", required: true },
      command: { type: "string", description: "Command." },
      shell: { type: "boolean", description: "Shell." },
      env: { type: "string_map", description: "Env." },
    },
    outputs: { name: "Name." },
    run: noop,
  },
  run_async: {
    type: "run_async",
    description: "Run.",
    method: "runAppAsync",
    openFields: true,
    oneOf: [["app"], ["command"]],
    fields: {
      app: { type: "string", description: "App." },
      command: { type: "string", description: "Command." },
      max_time: { type: "duration", description: "Limit." },
    },
    outputs: { app: "App.", process_uuid: "Id." },
    run: noop,
  },
  wait: {
    type: "wait",
    description: "Wait.",
    method: "wait",
    fields: {
      run: { type: "string", description: "Step.", required: true, stepRef: "run_async" },
      timeout: { type: "duration", description: "Limit." },
      output: { type: "string", description: "Mode.", enum: ["stream", "capture", "discard"] },
    },
    outputs: { exit_code: "Code.", stdout: "Out." },
    run: noop,
  },
  assert: {
    type: "assert",
    description: "Assert.",
    method: "none",
    fields: {
      that: { type: ["boolean", "string", "number"], description: "Cond.", required: true },
      message: { type: "string", description: "Message." },
    },
    outputs: {},
    run: noop,
  },
};

function issues(yaml: string): WorkflowError["issues"] {
  try {
    parseWorkflow(yaml, { file: "t.yaml", registry: REGISTRY });
  } catch (e) {
    if (e instanceof WorkflowError) return e.issues;
    throw e;
  }
  assert.fail("expected a WorkflowError");
}

const head = (i: { line: number; col: number; message: string; hint?: string }) =>
  `${i.line}:${i.col} ${i.message}${i.hint ? ` (${i.hint})` : ""}`;

test("validate: a clean workflow becomes a Workflow", () => {
  const wf = parseWorkflow(
    `name: demo
nodes: [a, b:6060]
concurrency: 2
max_failures: 1
inputs:
  n: { type: number, default: 3 }
  who:
env:
  PORT: 8080
  DUMP: /tmp/\${{ run.id }}
steps:
  - login: { user: admin, password: "\${{ secrets.PW }}", expire: P1D }
  - id: job
    name: start it
    timeout: PT1M30S
    retry: { attempts: 3, interval: 2 }
    run_async: { command: "sleep \${{ inputs.n }}", max_time: 60 }
  - id: done
    if: success()
    continue_on_error: true
    wait: { run: job, timeout: PT1H }
  - assert: { that: "\${{ steps.done.exit_code == 0 }}" }
finally:
  - if: \${{ always() }}
    logout:
`,
    { file: "dir/demo.yaml", registry: REGISTRY },
  );
  assert.equal(wf.name, "demo");
  assert.equal(wf.file, "dir/demo.yaml");
  assert.deepEqual(wf.nodes, ["a", "b:6060"]);
  assert.equal(wf.concurrency, 2);
  assert.equal(wf.max_failures, 1);
  assert.equal(wf.fail_fast, false);
  assert.deepEqual(wf.inputs, { n: { type: "number", default: 3 }, who: { type: "string" } });
  assert.deepEqual(wf.env, { PORT: "8080", DUMP: "/tmp/${{ run.id }}" });
  assert.equal(wf.steps.length, 4);
  const [login, job, done] = wf.steps;
  assert.equal(login.type, "login");
  assert.deepEqual(login.with, { user: "admin", password: "${{ secrets.PW }}", expire: "P1D" });
  assert.deepEqual(login.pos, { line: 12, col: 5 });
  assert.equal(job.id, "job");
  assert.equal(job.name, "start it");
  assert.equal(job.timeout, 90_000);
  assert.deepEqual(job.retry, { attempts: 3, backoff: "exponential", interval: 2000 });
  assert.equal(done.if, "success()");
  assert.equal(done.continue_on_error, true);
  assert.equal(done.index, 2);
  assert.equal(wf.finally[0].type, "logout");
  assert.deepEqual(wf.finally[0].with, {});
  assert.equal(wf.finally[0].if, "${{ always() }}");
});

test("validate: the name defaults to the file's base name", () => {
  const wf = parseWorkflow("steps:\n  - logout:\n", {
    file: "a/b/nightly.yml",
    registry: REGISTRY,
  });
  assert.equal(wf.name, "nightly");
});

test("validate: every issue at once, sorted, with positions", () => {
  const found = issues(`name: x
stpes: []
steps:
  - add_app:
      name: a
      comand: echo
  - id: job
    run_async: { app: a, command: b }
  - wait: { run: jb, output: strem }
  - ad_app: {}
`);
  assert.deepEqual(found.map(head), [
    '2:1 unknown top-level key "stpes" (did you mean "steps"?)',
    '6:7 unknown key "comand" in add_app (did you mean "command"?)',
    '8:26 run_async takes only one of "app" or "command", not both',
    '9:18 "run" in wait names an undefined step "jb" (did you mean "job"?)',
    '9:30 bad value "strem" for "output" in wait: expected stream, capture or discard (did you mean "stream"?)',
    '10:5 unknown step type "ad_app" (did you mean "add_app"?)',
  ]);
  assert.equal(found[0].file, "t.yaml");
  assert.equal(found[0].source, "stpes: []");
});

test("validate: step structure", () => {
  const found = issues(`steps:
  - logout
  - id: x
  - login: { user: u }
    logout:
  - add_app: [a]
  - assert: { that: true }
    tiemout: PT1S
    command: x
`);
  assert.deepEqual(found.map(head), [
    '2:5 a step must be a mapping with one step type, got a string (write "- logout:" with a colon)',
    '3:5 step "x" has no step type (add one of login, logout, add_app, run_async, ...)',
    '5:5 a step has exactly one step type; found "login" and "logout" (split it into two steps)',
    "6:14 add_app takes a mapping of fields, got a list",
    '8:5 unknown key "tiemout" in steps[4] (did you mean "timeout"?)',
    '9:5 unknown key "command" in steps[4]',
  ]);
});

test("validate: types, required fields, durations, one-of", () => {
  const found = issues(`concurrency: 0
fail_fast: "yes"
nodes: db-1
steps:
  - login: { expire: 5m }
  - add_app: { name: 12, shell: "\${{ inputs.x }} and more", env: { A: [1] } }
  - run_async: { max_time: 10 }
    timeout: -1
    retry: { attempts: 0, backoff: linear }
`);
  assert.deepEqual(found.map(head), [
    '1:14 "concurrency" must be at least 1, got 0',
    '2:12 wrong type for "fail_fast": expected a boolean, got a string',
    '3:8 wrong type for "nodes": expected a list or an expression, got a string (write nodes: [db-1])',
    '5:5 missing required field "user" in login',
    '5:22 bad duration "5m" for "expire" in login (ISO 8601 like PT30S, PT5M, PT2H, P1D, or integer seconds)',
    '6:22 wrong type for "name" in add_app: expected a string, got an integer (quote it: "12")',
    '6:33 wrong type for "shell" in add_app: expected a boolean, got a string (only a value that is one whole ${{ }} keeps its type)',
    '6:45 undefined input "x" (declare it under "inputs:")',
    '6:71 wrong type for "A" in add_app.env: expected a string, got a list',
    '7:5 run_async needs "app" or "command"',
    '8:14 bad duration -1 for "timeout" in steps[2] (ISO 8601 like PT30S, PT5M, PT2H, P1D, or integer seconds)',
    '9:24 "attempts" in retry must be at least 1, got 0',
    '9:36 bad value "linear" for "backoff" in retry: expected fixed or exponential',
  ]);
});

test("validate: duplicate keys and ids, bad ids", () => {
  const found = issues(`steps:
  - id: a
    logout:
  - id: a
    logout:
  - id: 1x
    logout:
    logout:
`);
  assert.deepEqual(found.map(head), [
    '4:9 duplicate step id "a" (first used on line 2)',
    '6:9 bad step id "1x" (use letters, digits, _ and -, starting with a letter or _)',
    '8:5 duplicate key "logout" (first given on line 7)',
  ]);
});

test("validate: references to steps", () => {
  const found = issues(`steps:
  - id: app
    add_app: { name: a }
  - wait: { run: app }
  - wait: { run: later }
  - id: self
    assert: { that: "\${{ steps.self.x }}" }
  - assert: { that: "\${{ steps.later.app && steps.nope.x && steps.app.anything }}" }
  - id: later
    run_async: { app: x }
  - assert: { that: "\${{ steps.later.process_uid }}" }
finally:
  - wait: { run: later }
  - assert: { that: "\${{ steps.later.app }}" }
`);
  assert.deepEqual(found.map(head), [
    '4:18 "run" in wait must name a run_async step; "app" is a step of type add_app',
    '5:18 "run" in wait names step "later", which is defined later (line 9) (a step can only name steps before it in the same list)',
    '7:32 step "self" reads its own outputs (steps.self)',
    '8:32 step "later" is defined later (line 9); a step can only read the outputs of earlier steps',
    '8:51 undefined step "nope"',
    '11:38 step "later" (run_async) has no output "process_uid" (did you mean "process_uuid"?)',
    '13:18 "run" in wait names step "later", which is in "steps" (line 9) (a step can only name steps before it in the same list)',
  ]);
});

test("validate: expressions", () => {
  const found = issues(`inputs:
  n: { type: number, default: "x" }
env:
  A: \${{ steps.x.y }}
connection:
  url: https://\${{ node.host }}
steps:
  - if: failur()
    logout:
  - if: "steps.a.b =="
    logout:
  - assert: { that: "\${{ inpts.n }} \${{ contains('a') }} \${{ run.idd }}" }
  - assert: { that: "\${{ 'a' = 'b' }}" }
  - assert: { that: "\${{ run.id" }
`);
  assert.deepEqual(found.map(head), [
    '2:31 wrong type for the default of input "n": expected a number, got a string',
    '4:10 "steps" is not available in env',
    '6:20 "node" is not available in connection',
    '8:9 unknown function "failur()" (did you mean "failure"?)',
    "10:22 bad expression: expression is incomplete",
    '12:26 unknown context "inpts" (did you mean "inputs"?)',
    "12:41 contains() takes 2 arguments, got 1",
    '12:66 run has no property "idd" (it has id, date, started) (did you mean "id"?)',
    '13:30 bad expression: unexpected "=" (use "==" to compare)',
    '14:22 bad expression: unterminated "${{" (missing "}}")',
  ]);
});

test("validate: a literal secret is an error and never shown", () => {
  let error: WorkflowError | undefined;
  try {
    parseWorkflow("steps:\n  - login:\n      user: u\n      password: hunter2 # oops\n", {
      file: "s.yaml",
      registry: REGISTRY,
    });
  } catch (e) {
    error = e as WorkflowError;
  }
  assert.ok(error instanceof WorkflowError);
  const text = error.format();
  assert.equal(
    text,
    's.yaml:4:17: error: "password" in login is a secret and must not be written in the file (use ${{ secrets.NAME }})\n' +
      " 4 |       password: ******* # oops\n" +
      "   |                 ^^^^^^^",
  );
  assert.ok(!text.includes("hunter2"));
  assert.ok(!error.message.includes("hunter2"));
});

test("validate: malformed YAML is located", () => {
  const found = issues("steps:\n  - logout: {\n  - x\n");
  assert.ok(found.length >= 1);
  assert.match(found[0].message, /^malformed YAML: /);
  assert.ok(found[0].line >= 2);
  assert.deepEqual(issues("").map(head), ['1:1 the workflow is empty; it needs at least "steps:"']);
  assert.deepEqual(issues("- a\n").map(head), [
    "1:1 a workflow is a mapping of keys (name, steps, ...), got a list",
  ]);
  assert.deepEqual(issues("name: x\n").map(head), ['1:1 missing required key "steps"']);
});

test("validate: a workflow built in code", () => {
  const wf = validateWorkflowObject(
    { name: "code", steps: [{ id: "a", add_app: { name: "x", command: "true" } }] },
    { registry: REGISTRY },
  );
  assert.equal(wf.steps[0].type, "add_app");
  assert.equal(wf.steps[0].pos.line, 0);
  try {
    validateWorkflowObject({ steps: [{ add_app: { name: "x", comand: "true" } }] }, {
      registry: REGISTRY,
    });
    assert.fail("expected a WorkflowError");
  } catch (e) {
    assert.ok(e instanceof WorkflowError);
    assert.equal(
      e.format(),
      '<workflow>: steps[0].add_app.comand: error: unknown key "comand" in add_app (did you mean "command"?)',
    );
  }
});

test("validate: format with colour", () => {
  const found = issues("steps:\n  - logut:\n");
  const e = new WorkflowError(found);
  const colored = e.format({ color: true });
  assert.ok(colored.includes("\x1b["));
  // deno-lint-ignore no-control-regex
  assert.equal(colored.replace(/\x1b\[[0-9;]*m/g, ""), e.format());
});

test("durations", () => {
  assert.equal(durationMs("PT30S"), 30_000);
  assert.equal(durationMs("PT1H30M"), 5_400_000);
  assert.equal(durationMs("P1D"), 86_400_000);
  assert.equal(durationMs("P1W"), 604_800_000);
  assert.equal(durationMs("P1DT12H"), 129_600_000);
  assert.equal(durationMs("PT0.5S"), 500);
  assert.equal(durationMs(0), 0);
  assert.equal(durationMs(90), 90_000);
  assert.equal(durationMs("90"), 90_000);
  for (const bad of ["P", "PT", "5m", "P1Y", "P1M", "PT1H2", "pt1s", -1, 1.5, null, "P1DT"]) {
    assert.equal(durationMs(bad), undefined, String(bad));
  }
});

test("suggestions (Damerau-Levenshtein)", () => {
  assert.equal(editDistance("comand", "command"), 1);
  assert.equal(editDistance("tiemout", "timeout"), 1); // a transposition is one edit
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(suggest("comand", ["command", "shell"]), "command");
  assert.equal(suggest("continue-on-error", ["continue_on_error"]), "continue_on_error");
  assert.equal(suggest("xyz", ["command", "shell"]), undefined);
  assert.equal(suggest("id", ["if"]), "if");
});

test("positions: quoted, block and folded scalars", () => {
  const found = issues(`steps:
  - add_app:
      name: "a\\tb \${{ inputs.zz }}"
      command: >-
        echo \${{ steps.q.x }}
        \${{ inputs.yy
        }}
  - add_app: { name: 'it''s \${{ inputs.ww }}' }
`);
  assert.deepEqual(found.map(head), [
    '3:30 undefined input "zz" (declare it under "inputs:")',
    '5:24 undefined step "q"',
    // A folded expression cannot be mapped character by character: its ${{ is shown.
    '6:9 undefined input "yy" (declare it under "inputs:")',
    // '' in a single-quoted scalar shifts the text: the expression is still found.
    '8:40 undefined input "ww" (declare it under "inputs:")',
  ]);
});
