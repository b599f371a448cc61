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
  rerun: {
    type: "string",
    literal: true,
    description: "`skip`: safe to skip when the run is repeated from a node's failed step " +
      "(`--rerun-failed REPORT --from-failed-step`), because what it did lasts (an `add_app`, " +
      "an uploaded file): it is skipped when it succeeded in that run, its recorded outputs " +
      "restored. A node runs from its first step unless every step before the failed one is " +
      "`skip` (`login`, `logout` always run, and may not say so; nor may `run_async`, whose " +
      "app is temporary, or a `finally` step, which always runs).",
    enum: ["run", "skip"],
    default: "run",
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

/** How date-times are written, for messages and descriptions. */
export const DATE_TIME_TEXT =
  "ISO 8601 with a zone like 2026-12-01T09:00:00Z or 2026-12-01T09:00+02:00, or epoch seconds";
/** How times of day are written, for messages and descriptions. */
export const TIME_OF_DAY_TEXT = "HH:MM or HH:MM:SS like 09:30, or seconds of the day (0-86399)";

/** An ISO 8601 date-time with its zone (`Z` or an offset); seconds and fractions optional. */
export const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
/** A time of day, `HH:MM` or `HH:MM:SS`. */
export const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * A date-time as the daemon wants it, epoch seconds: from an ISO 8601 date-time with a zone
 * (`2026-12-01T09:00:00Z`, `2026-12-01T09:00+02:00`; fractions of a second are dropped) or
 * from epoch seconds (an integer, or a string of digits). Undefined when it is neither: a
 * date-time without a zone is refused, as the runner's zone need not be the node's.
 *
 * @example
 * ```ts
 * import { parseDateTime } from "./fields.ts";
 * parseDateTime("2026-12-01T09:00:00Z"); // 1796115600
 * parseDateTime("2026-12-01T10:00+01:00"); // 1796115600
 * parseDateTime(1796115600); // 1796115600
 * parseDateTime("2026-12-01 09:00"); // undefined
 * ```
 */
export function parseDateTime(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  // Date.UTC rolls 2026-02-30 over into March: such a date does not exist.
  if (
    mo < 1 || mo > 12 || check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1 ||
    h > 23 || mi > 59 || s > 59
  ) return undefined;
  const offset = m[7] ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  if (Math.abs(offset) > 14 * 60) return undefined;
  return Math.floor(utc / 1000) - offset * 60;
}

/**
 * A time of day as the daemon wants it, integer seconds of the day: from `HH:MM[:SS]` or from
 * seconds (an integer 0..86399). Undefined when it is neither.
 *
 * @example
 * ```ts
 * import { parseTimeOfDay } from "./fields.ts";
 * parseTimeOfDay("09:30"); // 34200
 * parseTimeOfDay("23:59:59"); // 86399
 * parseTimeOfDay(3600); // 3600
 * parseTimeOfDay("25:00"); // undefined
 * ```
 */
export function parseTimeOfDay(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 && value < 86400 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const m = TIME_OF_DAY.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

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
 * import { durationMs } from "./fields.ts";
 * durationMs("PT1M30S"); // 90000
 * durationMs(30); // 30000
 * durationMs("5m"); // undefined
 * ```
 */
export function durationMs(value: unknown): number | undefined {
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
