/**
 * The JSON Schema (draft 2020-12) of workflow files, generated from the same definitions the
 * validator reads: the top-level keys, the common step fields and inputs of `fields.ts`, and
 * every step type's fields in the registry. Editors use it through a first line
 * `# yaml-language-server: $schema=<path or URL of schema/workflow.schema.json>`.
 *
 * The shipped copy `schema/workflow.schema.json` is regenerated with
 * `deno run -A src/workflow/language/schema.ts > schema/workflow.schema.json` (a test checks it is
 * up to date).
 *
 * The schema accepts a `${{ }}` expression wherever the validator does, so it cannot check
 * what only the validator can: references to steps and inputs, expression syntax.
 *
 * @module
 */

import type { StepSpec } from "./spec.ts";
import { STEPS } from "./steps/mod.ts";
import {
  COMMON_STEP_FIELDS,
  ENV_NAME,
  ID_PATTERN,
  INPUT_FIELDS,
  ISO_DATE_TIME,
  ISO_DURATION,
  type LangFieldSpec,
  TIME_OF_DAY,
  WORKFLOW_FIELDS,
} from "./fields.ts";

/** A JSON Schema object. */
export type JsonSchema = { [key: string]: unknown };

const EXPRESSION: JsonSchema = { $ref: "#/$defs/expression" };

/** The schema of one field declaration. */
function fieldSchema(spec: LangFieldSpec): JsonSchema {
  const meta: JsonSchema = { description: spec.description };
  if (spec.default !== undefined) meta.default = spec.default;
  if (spec.secret) return { ...meta, ...EXPRESSION };
  const types = (Array.isArray(spec.type) ? spec.type : [spec.type]) as string[];
  const alternatives: JsonSchema[] = types.map((t) => {
    switch (t) {
      case "duration":
        return { $ref: spec.literal ? "#/$defs/literal_duration" : "#/$defs/duration" };
      case "date_time":
        return { $ref: "#/$defs/date_time" };
      case "time_of_day":
        return { $ref: "#/$defs/time_of_day" };
      case "object": {
        if (!spec.fields) return { type: "object" };
        return objectSchema(spec.fields, { open: false });
      }
      case "array":
        return spec.items ? { type: "array", items: fieldSchema(spec.items) } : { type: "array" };
      case "string_map":
        return { $ref: "#/$defs/string_map" };
      case "any":
        return {};
      default: {
        // A `text` string takes any scalar (sent as its text).
        const s: JsonSchema = { type: t === "string" && spec.text ? [t, "number", "boolean"] : t };
        if (spec.minimum !== undefined) s.minimum = spec.minimum;
        if (spec.enum) {
          const values = spec.enum.filter((v) =>
            t === "string"
              ? typeof v === "string"
              : t === "boolean"
              ? typeof v === "boolean"
              : typeof v === "number"
          );
          if (values.length) s.enum = values;
        }
        return s;
      }
    }
  });
  if (types.includes("any")) return meta;
  // A string without an enum already admits an expression.
  const admitsExpression = (types.includes("string") && !spec.enum) ||
    (types.length === 1 && ["duration", "date_time", "time_of_day"].includes(types[0]));
  if (!admitsExpression && !spec.literal) alternatives.push(EXPRESSION);
  return alternatives.length === 1
    ? { ...meta, ...alternatives[0] }
    : { ...meta, anyOf: alternatives };
}

/** The schema of a mapping of declared fields. */
function objectSchema(
  fields: Readonly<Record<string, LangFieldSpec>>,
  options: { open: boolean; oneOf?: readonly (readonly string[])[] },
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    properties[name] = fieldSchema(spec);
    if (spec.required) required.push(name);
  }
  const s: JsonSchema = { type: "object", properties, additionalProperties: options.open };
  if (required.length) s.required = required;
  if (options.oneOf?.length) s.oneOf = options.oneOf.map((group) => ({ required: [...group] }));
  return s;
}

/** The schema of one step type's mapping (null allowed when nothing is required). */
function stepBodySchema(spec: StepSpec): JsonSchema {
  const body = objectSchema(spec.fields, { open: !!spec.openFields, oneOf: spec.oneOf });
  const outputs = Object.keys(spec.outputs);
  const description = spec.description +
    (outputs.length ? ` Outputs: ${outputs.join(", ")}.` : "");
  const nullable = !body.required && !body.oneOf;
  return nullable ? { description, anyOf: [body, { type: "null" }] } : { description, ...body };
}

/**
 * The JSON Schema of workflow files for a step registry (default: every step type).
 *
 * @example
 * ```ts
 * import { generateSchema } from "./schema.ts";
 * const schema = generateSchema();
 * schema.$schema; // "https://json-schema.org/draft/2020-12/schema"
 * ```
 */
export function generateSchema(registry: Readonly<Record<string, StepSpec>> = STEPS): JsonSchema {
  const common: Record<string, JsonSchema> = {};
  for (const [name, spec] of Object.entries(COMMON_STEP_FIELDS)) common[name] = fieldSchema(spec);
  common.id = { ...common.id, pattern: ID_PATTERN.source };

  const defs: Record<string, JsonSchema> = {
    expression: {
      description: "A `${{ }}` expression making the whole value.",
      type: "string",
      pattern: "^\\s*\\$\\{\\{[\\s\\S]*\\}\\}\\s*$",
    },
    duration: {
      description: "ISO 8601 (PT30S, PT5M, PT2H, P1D, P1W) or integer seconds.",
      anyOf: [
        { type: "integer", minimum: 0 },
        { type: "string", pattern: `${ISO_DURATION.source}|^\\d+$` },
        EXPRESSION,
      ],
    },
    literal_duration: {
      description: "ISO 8601 (PT30S, PT5M, PT2H, P1D, P1W) or integer seconds, written literally.",
      anyOf: [
        { type: "integer", minimum: 0 },
        { type: "string", pattern: `${ISO_DURATION.source}|^\\d+$` },
      ],
    },
    date_time: {
      description: "A date-time, sent as epoch seconds: ISO 8601 with a zone " +
        "(2026-12-01T09:00:00Z, 2026-12-01T09:00+02:00) or epoch seconds.",
      anyOf: [
        { type: "integer", minimum: 0 },
        { type: "string", pattern: `${ISO_DATE_TIME.source}|^\\d+$` },
        EXPRESSION,
      ],
    },
    time_of_day: {
      description: "A time of day, sent as seconds of the day: HH:MM or HH:MM:SS (09:30), " +
        "or seconds of the day (0-86399).",
      anyOf: [
        { type: "integer", minimum: 0, maximum: 86399 },
        { type: "string", pattern: TIME_OF_DAY.source },
        EXPRESSION,
      ],
    },
    string_map: {
      type: "object",
      additionalProperties: { type: ["string", "number", "boolean"] },
    },
    input: {
      description: "A declared input.",
      anyOf: [objectSchema(INPUT_FIELDS, { open: false }), { type: "null" }],
    },
    step: {
      description: "One step: the common fields and exactly one step type.",
      oneOf: Object.keys(registry).map((type) => ({ $ref: `#/$defs/step_${type}` })),
    },
  };
  for (const [type, spec] of Object.entries(registry)) {
    defs[`step_${type}`] = {
      type: "object",
      properties: { ...common, [type]: { $ref: `#/$defs/${type}` } },
      required: [type],
      additionalProperties: false,
    };
    defs[type] = stepBodySchema(spec);
  }

  const properties: Record<string, JsonSchema> = {};
  for (const [name, spec] of Object.entries(WORKFLOW_FIELDS)) {
    properties[name] = fieldSchema(spec);
  }
  properties.nodes = {
    description: WORKFLOW_FIELDS.nodes.description,
    anyOf: [{ type: "array", items: { type: "string" } }, EXPRESSION],
  };
  properties.inputs = {
    description: WORKFLOW_FIELDS.inputs.description,
    type: "object",
    propertyNames: { pattern: ID_PATTERN.source },
    additionalProperties: { $ref: "#/$defs/input" },
  };
  properties.env = {
    description: WORKFLOW_FIELDS.env.description,
    type: "object",
    propertyNames: { pattern: ENV_NAME.source },
    additionalProperties: { type: ["string", "number", "boolean"] },
  };
  properties.steps = {
    description: WORKFLOW_FIELDS.steps.description,
    type: "array",
    minItems: 1,
    items: { $ref: "#/$defs/step" },
  };
  properties.finally = {
    description: WORKFLOW_FIELDS.finally.description,
    type: "array",
    items: { $ref: "#/$defs/step" },
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "App Mesh workflow",
    description: "A workflow of App Mesh operations run by `appmesh workflow run`.",
    type: "object",
    properties,
    required: ["steps"],
    additionalProperties: false,
    $defs: defs,
  };
}

/**
 * The schema as the text of `schema/workflow.schema.json` (2-space JSON, final newline).
 *
 * @example
 * ```ts
 * import { schemaText } from "./schema.ts";
 * schemaText().startsWith("{"); // true
 * ```
 */
export function schemaText(registry: Readonly<Record<string, StepSpec>> = STEPS): string {
  return JSON.stringify(generateSchema(registry), null, 2) + "\n";
}

if (import.meta.main) {
  // `deno run -A src/workflow/language/schema.ts > schema/workflow.schema.json`
  console.log(schemaText().trimEnd());
}
