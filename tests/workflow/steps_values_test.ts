/**
 * Values are what App Mesh wants: a scalar in a string field of an App becomes its text, an
 * object or list there is an error; ISO 8601 date-times and `HH:MM[:SS]` times of day become
 * epoch seconds and seconds of the day; an unquoted `${{ }}` in a flow mapping is one error.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { LOGIN, world } from "./engine_helpers.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { WorkflowError } from "../../src/workflow/load/errors.ts";
import { APP_FIELDS, conformArgs } from "../../src/workflow/language/step_util.ts";
import { generateSchema } from "../../src/workflow/language/schema.ts";

function issues(yaml: string): string[] {
  try {
    parseWorkflow(yaml, { file: "w.yaml" });
  } catch (e) {
    if (e instanceof WorkflowError) {
      return e.issues.map((i) => `${i.line}:${i.col} ${i.message}${i.hint ? ` (${i.hint})` : ""}`);
    }
    throw e;
  }
  return [];
}

test("values: an unquoted ${{ }} in a flow mapping is one located error with the hint to quote it", () => {
  const found = issues(`name: flow
steps:
  - run_sync:
      command: env
      env: { PORT: \${{ node.port }}, HOST: \${{ node.host }}, X: "\${{ node.name }}" }
      shell: true
  - run_sync: { command: "echo \${{ node.name }}", shell: true }
`);
  assert.deepEqual(found, [
    "5:20 malformed YAML: an unquoted ${{ }} inside a flow mapping or list ({ } or [ ]), " +
    `whose braces YAML reads as mappings (quote each one: "\${{ node.port }}")`,
  ]);
  // A flow mapping over several lines is one error too.
  const lines = issues(`name: flow
steps:
  - run_sync:
      command: env
      env: {
        PORT: \${{ node.port }},
        HOST: \${{ node.host }}
      }
`);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0],
    /^6:15 malformed YAML: an unquoted .* \(quote each one: "\$\{\{ node.port \}\}"\)$/,
  );
  // A real error before it is still reported; a list form is caught too.
  const two = issues(`name: flow
steps:
  - run_sync:
      command: echo a: b
  - run_sync: { command: echo, env: [\${{ node.port }}] }
`);
  assert.equal(two.length, 2, two.join("\n"));
  assert.match(two[0], /^4:16 malformed YAML: nested mappings/);
  assert.match(two[1], /^5:38 malformed YAML: an unquoted/);
});

test("values: scalars in string App fields validate; objects and bad times are located errors", () => {
  assert.deepEqual(
    issues(`name: ok
steps:
  - add_app:
      name: 4711
      description: true
      command: 42
      working_dir: 7
      env: { PORT: 8080, ON: true }
      start_time: 2026-12-01T09:00:00+02:00
      end_time: 1796115600
      daily_limitation: { daily_start: "09:30", daily_end: 64800 }
  - run_sync: { command: "true", shell: true, start_time: "\${{ env.START }}" }
`),
    [],
  );
  assert.deepEqual(
    issues(`name: bad
steps:
  - add_app:
      name: x
      command: { run: this }
      working_dir: [a, b]
      env: { A: [1] }
      start_time: "2026-12-01 09:00"
      end_time: 2026-12-01T09:00
      daily_limitation: { daily_start: "25:00", daily_end: 86400, start: 1 }
`),
    [
      '5:16 wrong type for "command" in add_app: expected a string, got a mapping',
      '6:20 wrong type for "working_dir" in add_app: expected a string, got a list',
      '7:17 wrong type for "A" in add_app.env: expected a string, got a list',
      '8:19 bad date-time "2026-12-01 09:00" for "start_time" in add_app (ISO 8601 with a zone ' +
      "like 2026-12-01T09:00:00Z or 2026-12-01T09:00+02:00, or epoch seconds)",
      '9:17 bad date-time "2026-12-01T09:00" for "end_time" in add_app (ISO 8601 with a zone ' +
      "like 2026-12-01T09:00:00Z or 2026-12-01T09:00+02:00, or epoch seconds)",
      '10:40 bad time of day "25:00" for "daily_start" in add_app.daily_limitation (HH:MM or ' +
      "HH:MM:SS like 09:30, or seconds of the day (0-86399))",
      '10:60 bad time of day 86400 for "daily_end" in add_app.daily_limitation (HH:MM or ' +
      "HH:MM:SS like 09:30, or seconds of the day (0-86399))",
      '10:67 unknown key "start" in add_app.daily_limitation',
    ],
  );
});

test("values: conformArgs makes the App what the daemon wants, and names what it cannot", () => {
  assert.deepEqual(
    conformArgs(APP_FIELDS, {
      name: 4711,
      env: { PORT: 8080, ON: false, EMPTY: null },
      start_time: "2026-12-01T10:00:00+01:00",
      end_time: "1796119200",
      daily_limitation: { daily_start: "09:30", daily_end: "18:00:30" },
      start_interval_seconds: 30,
      metadata: { n: 1 },
    }),
    {
      name: "4711",
      env: { PORT: "8080", ON: "false", EMPTY: "" },
      start_time: 1796115600,
      end_time: 1796119200,
      daily_limitation: { daily_start: 34200, daily_end: 64830 },
      // Every other field passes through unchanged.
      start_interval_seconds: 30,
      metadata: { n: 1 },
    },
  );
  assert.throws(
    () => conformArgs(APP_FIELDS, { env: { A: { b: 1 } } }),
    /field "env.A" must be text, got a mapping/,
  );
  assert.throws(() => conformArgs(APP_FIELDS, { command: ["a"] }), /"command" must be text/);
  assert.throws(
    () => conformArgs(APP_FIELDS, { start_time: "tomorrow" }),
    /field "start_time": bad date-time "tomorrow"/,
  );
});

test("values: the schema says what start_time, daily_limitation and text fields accept", () => {
  const defs = generateSchema().$defs as Record<string, Record<string, unknown>>;
  const props = (defs.add_app as { properties: Record<string, Record<string, unknown>> })
    .properties;
  assert.deepEqual(props.name.type, ["string", "number", "boolean"]);
  assert.equal(props.start_time.$ref, "#/$defs/date_time");
  const window = (props.daily_limitation.anyOf as { properties: Record<string, unknown> }[])[0];
  assert.deepEqual(window.properties.daily_start, {
    description: "Start of the window.",
    $ref: "#/$defs/time_of_day",
  });
  const tod = JSON.stringify(defs.time_of_day);
  assert.ok(tod.includes('"maximum":86399'), tod);
});

test("values: env numbers reach the process as text; dates and times reach App Mesh as numbers", async () => {
  const w = await world(1);
  try {
    const { report } = await w.run(`name: values
inputs:
  n: { type: number, default: 3 }
steps:
${LOGIN}  - id: s
    run_sync:
      command: echo "$PORT-$FLAG-$COUNT"
      shell: true
      env:
        PORT: \${{ node.port }}
        FLAG: \${{ inputs.n > 2 }}
        COUNT: \${{ inputs.n }}
  - id: app
    add_app:
      name: values-app
      status: 0
      description: \${{ inputs.n }}
      command: sleep 1
      start_time: 2026-12-01T10:00:00+01:00
      daily_limitation: { daily_start: "09:30", daily_end: "\${{ format('18:{0}', '00') }}" }
  - id: got
    get_app: { name: values-app }
  - id: bad
    run_sync:
      command: env
      env: \${{ fromJSON('{"A":{"b":1}}') }}
    continue_on_error: true
finally:
  - delete_app: { name: values-app }
`);
    const steps = Object.fromEntries(report.nodes[0].steps.map((s) => [s.id, s]));
    const port = w.nodes[0].split(":")[1];
    assert.equal(steps.s.status, "success", steps.s.error);
    assert.equal(steps.s.outputs?.stdout, `${port}-true-3\n`);
    assert.equal(steps.got.status, "success", steps.got.error);
    const app = steps.got.outputs!;
    assert.equal(app.description, "3");
    assert.equal(app.start_time, 1796115600);
    const window = app.daily_limitation as Record<string, unknown>;
    assert.equal(window.daily_start, 34200);
    assert.equal(window.daily_end, 64800);
    assert.equal(steps.bad.status, "allowed_failure");
    assert.match(steps.bad.error!, /field "env.A" must be text, got a mapping/);
  } finally {
    await w.close();
  }
});
