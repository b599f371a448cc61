// The generated JSON Schema (pure).
// @bun
// @node
import { test } from "../harness.ts";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { generateSchema, schemaText } from "../../src/workflow/language/schema.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";
import { COMMON_STEP_FIELDS, WORKFLOW_FIELDS } from "../../src/workflow/language/fields.ts";

type Obj = Record<string, unknown>;

test("schema: the shipped schema/workflow.schema.json is up to date", async () => {
  const shipped = await readFile(
    new URL("../../schema/workflow.schema.json", import.meta.url),
    "utf8",
  );
  assert.deepEqual(
    JSON.parse(shipped),
    generateSchema(),
    "regenerate: deno run -A src/workflow/language/schema.ts > schema/workflow.schema.json",
  );
  assert.deepEqual(JSON.parse(schemaText()), generateSchema());
});

test("schema: draft 2020-12, every top-level key, every step type", () => {
  const s = generateSchema() as Obj & { properties: Obj; $defs: Obj };
  assert.equal(s.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(Object.keys(s.properties).sort(), Object.keys(WORKFLOW_FIELDS).sort());
  assert.deepEqual(s.required, ["steps"]);
  assert.equal(s.additionalProperties, false);
  const oneOf = (s.$defs.step as { oneOf: { $ref: string }[] }).oneOf.map((r) => r.$ref);
  assert.deepEqual(oneOf, Object.keys(STEPS).map((t) => `#/$defs/step_${t}`));
  for (const [type, spec] of Object.entries(STEPS)) {
    const wrapper = s.$defs[`step_${type}`] as { properties: Obj; required: string[] };
    assert.deepEqual(wrapper.required, [type]);
    for (const common of Object.keys(COMMON_STEP_FIELDS)) assert.ok(common in wrapper.properties);
    const body = s.$defs[type] as Obj;
    const obj = (body.anyOf ? (body.anyOf as Obj[])[0] : body) as {
      properties: Obj;
      additionalProperties: boolean;
    };
    assert.deepEqual(Object.keys(obj.properties), Object.keys(spec.fields), type);
    assert.equal(obj.additionalProperties, !!spec.openFields, type);
  }
});

test("schema: secrets admit only an expression; durations and enums", () => {
  const defs =
    (generateSchema() as { $defs: Record<string, Obj & { properties: Record<string, Obj> }> })
      .$defs;
  const login = defs.login.properties ??
    ((defs.login.anyOf as Obj[])[0] as { properties: Record<string, Obj> }).properties;
  assert.equal(login.password.$ref, "#/$defs/expression");
  const wait = defs.wait.properties;
  assert.equal(wait.timeout.$ref, "#/$defs/duration");
  const output = (wait.output.anyOf as Obj[])[0];
  assert.deepEqual(output.enum, ["stream", "capture", "discard"]);
  const pattern = new RegExp((defs.expression as Obj).pattern as string);
  assert.ok(pattern.test("${{ secrets.PW }}"));
  assert.ok(!pattern.test("hunter2"));
  const duration = ((defs.duration as Obj).anyOf as Obj[])[1].pattern as string;
  for (const ok of ["PT30S", "P1D", "P1DT12H", "90"]) assert.ok(new RegExp(duration).test(ok), ok);
  for (const bad of ["5m", "P1Y", "PT"]) assert.ok(!new RegExp(duration).test(bad), bad);
});
