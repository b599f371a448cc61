/**
 * The language's own definitions: the top-level keys of a workflow, the common step fields
 * and the declaration of inputs, as {@linkcode FieldSpec}s, and durations. The validator
 * (`validate.ts`) and the JSON Schema (`schema.ts`) both read these (and the step registry).
 *
 * @module
 */

import type { FieldSpec } from "./spec.ts";

/**
 * A field declaration with what the language's own keys need besides {@linkcode FieldSpec}:
 * a lower bound, and `literal` for the keys the runner reads before any expression can be
 * evaluated (fan-out settings, timeouts, retry policies, ids, input declarations).
 */
export type LangFieldSpec = FieldSpec & {
  /** Least accepted number. */
  minimum?: number;
  /** No `${{ }}` accepted. */
  literal?: boolean;
  /** `fields` of nested declarations may carry a minimum too. */
  fields?: Readonly<Record<string, LangFieldSpec>>;
};

/** How durations are written, for messages and descriptions. */
export const DURATION_TEXT = "ISO 8601 like PT30S, PT5M, PT2H, P1D, or integer seconds";

/** The fields every step takes besides its step-type key. */
export const COMMON_STEP_FIELDS: Readonly<Record<string, LangFieldSpec>> = {
  id: {
    type: "string",
    literal: true,
    description: "Names the step so later steps can read its outputs (`steps.<id>.<output>`): " +
      "letters, digits, `_` and `-`, starting with a letter or `_`.",
  },
  name: { type: "string", description: "A readable name for progress lines and reports." },
  if: {
    type: ["string", "boolean"],
    description: "Run the step only when this expression is true (bare or in `${{ }}`); " +
      "`failure()` and `always()` select steps that run after a failure.",
  },
  timeout: {
    type: "duration",
    literal: true,
    description: `Fail the step after this long (${DURATION_TEXT}).`,
  },
  retry: {
    type: "object",
    literal: true,
    description: "Retry on connection errors, timeouts and 5xx answers (never on 4xx).",
    fields: {
      attempts: {
        type: "integer",
        literal: true,
        description: "Attempts in all, the first included.",
        required: true,
        minimum: 1,
      },
      backoff: {
        type: "string",
        literal: true,
        description: "Growth of the wait between attempts (with jitter).",
        enum: ["fixed", "exponential"],
        default: "exponential",
      },
      interval: {
        type: "duration",
        literal: true,
        description: "The first wait.",
        default: "PT1S",
      },
    },
  },
  continue_on_error: {
    type: "boolean",
    literal: true,
    description: "A failure is reported as allowed and the node goes on.",
    default: false,
  },
};

/** The fields of one declared input (`inputs: { NAME: { ... } }`). */
export const INPUT_FIELDS: Readonly<Record<string, LangFieldSpec>> = {
  type: {
    type: "string",
    literal: true,
    description: "The input's type; `--input k=v` strings are converted to it.",
    enum: ["string", "number", "boolean"],
    default: "string",
  },
  default: {
    type: ["string", "number", "boolean"],
    literal: true,
    description: "The value when not given.",
  },
  required: {
    type: "boolean",
    literal: true,
    description: "Must be given (when there is no default).",
  },
  description: { type: "string", literal: true, description: "Help text." },
};

/** The top-level keys of a workflow file (`inputs`, `steps` and `finally` are checked apart). */
export const WORKFLOW_FIELDS: Readonly<Record<string, LangFieldSpec>> = {
  name: { type: "string", description: "The workflow's name (default: the file's base name)." },
  description: { type: "string", description: "What it does." },
  connection: {
    type: "object",
    literal: true,
    description: "How to reach the server (all optional; command-line flags win).",
    fields: {
      url: {
        type: "string",
        description: "Server URL (default: $APPMESH_URL, else https://127.0.0.1:6060).",
      },
      ca: { type: "string", description: "CA certificate file (PEM) to verify the server with." },
      verify: {
        type: "boolean",
        description: "false: do not verify TLS (warned about).",
        default: true,
      },
      cert: { type: "string", description: "Client certificate file (PEM)." },
      key: { type: "string", description: "Client key file (PEM)." },
      cookie_file: {
        type: "string",
        description: "Session cookie file (default: $APPMESH_COOKIE_FILE).",
      },
    },
  },
  nodes: {
    type: ["array", "string"],
    description: "The nodes to run on (forward targets, `host` or `host:port`), or an expression " +
      "yielding a list (`${{ fromJSON(env.NODES) }}`); omitted: the server itself.",
    items: { type: "string", description: "A node." },
  },
  concurrency: {
    type: "integer",
    literal: true,
    description: "Nodes in flight at once (default: all).",
    minimum: 1,
  },
  fail_fast: {
    type: "boolean",
    literal: true,
    description: "After a node fails, start no new node.",
    default: false,
  },
  max_failures: {
    type: "integer",
    literal: true,
    description: "Start no new node once this many failed.",
    minimum: 1,
  },
  inputs: {
    type: "object",
    literal: true,
    description: "Declared inputs (`--input k=v`), by name.",
  },
  env: { type: "string_map", description: "Environment overlaid on the runner's (`env.NAME`)." },
  steps: { type: "array", description: "The steps, run in order on each node.", required: true },
  finally: {
    type: "array",
    description: "Steps run on each node that started, always (after a failure or an interrupt).",
  },
};

/** A step id or input name. */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** An environment variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An ISO 8601 duration without years and months (their length varies). */
export const ISO_DURATION =
  /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * A duration in milliseconds: ISO 8601 (`PT30S`, `PT1H30M`, `P1D`, `P1W`; no years or months,
 * whose length varies) or integer seconds (a number or a string of digits). Undefined when
 * it is not one.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./fields.ts";
 * parseDuration("PT1M30S"); // 90000
 * parseDuration(30); // 30000
 * parseDuration("5m"); // undefined
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const m = ISO_DURATION.exec(value);
  if (!m) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round((((w * 7 + d) * 24 + h) * 60 + min) * 60_000 + s * 1000);
}
