/**
 * Small pieces the step files share: the inline `App` fields of `run_async`/`run_sync`,
 * argument readers that name the step and field in their errors, and output capping.
 *
 * @module
 */

import type { FieldSpec, StepContext } from "./spec.ts";
import { durationSeconds } from "../../runtime/duration.ts";
import { DATE_TIME_TEXT, parseDateTime, parseTimeOfDay, TIME_OF_DAY_TEXT } from "./fields.ts";

/**
 * The fields of an App definition most workflows use (any other App field is accepted too,
 * and passed through unchanged). The string fields are `text`: a number or boolean there is
 * sent as its text, as App Mesh wants strings.
 */
export const APP_FIELDS: Readonly<Record<string, FieldSpec>> = {
  name: { type: "string", text: true, description: "App name (`^[A-Za-z0-9_-]{1,128}$`)." },
  description: { type: "string", text: true, description: "Free text shown by `appc ls`." },
  command: { type: "string", text: true, description: "The command line to run." },
  shell: {
    type: "boolean",
    description: "Run `command` through a shell (pipes, redirections, `&&`).",
  },
  working_dir: { type: "string", text: true, description: "Working directory of the process." },
  env: {
    type: "string_map",
    description: "Environment variables of the process (numbers and booleans become text).",
  },
  sec_env: {
    type: "string_map",
    description: "Environment variables stored encrypted by the server (numbers and booleans " +
      "become text).",
  },
  metadata: {
    type: "any",
    description: "Data handed to the app (structured; readable by the process).",
  },
  behavior: {
    type: "object",
    description: "What the server does when the process exits (`exit`, `control`).",
  },
  status: { type: "integer", description: "1 enabled (default), 0 disabled.", enum: [0, 1] },
  stdout_cache_num: {
    type: "integer",
    description: "How many stdout files of past runs the server keeps.",
  },
  health_check_cmd: {
    type: "string",
    text: true,
    description: "Command whose exit code 0 means healthy.",
  },
  docker_image: {
    type: "string",
    text: true,
    description: "Run the command in this container image.",
  },
  start_time: {
    type: "date_time",
    description: "Not before this time (ISO 8601 with a zone, or epoch seconds); sent as " +
      "epoch seconds.",
  },
  end_time: {
    type: "date_time",
    description: "Not after this time (ISO 8601 with a zone, or epoch seconds); sent as " +
      "epoch seconds.",
  },
  daily_limitation: {
    type: "object",
    description: "Daily window: `daily_start`, `daily_end` (`HH:MM[:SS]` or seconds of the " +
      "day); sent as seconds of the day.",
    fields: {
      daily_start: { type: "time_of_day", description: "Start of the window." },
      daily_end: { type: "time_of_day", description: "End of the window." },
    },
  },
  resource_limit: {
    type: "object",
    description: "Memory and CPU limits (`memory_mb`, `memory_virt_mb`, `cpu_shares`).",
  },
  permission: { type: "integer", description: "Permission bits for other users (e.g. 11)." },
};

/** The fields `run_async` and `run_sync` add to an App definition. */
export const RUN_FIELDS: Readonly<Record<string, FieldSpec>> = {
  app: {
    type: "string",
    description: "Run this registered app (instead of an inline definition).",
  },
  ...APP_FIELDS,
  max_time: {
    type: "duration",
    description: "Kill the process after this long (ISO 8601 or seconds).",
    default: "P2D",
  },
  lifecycle: {
    type: "duration",
    description: "How long the server keeps the finished run app (ISO 8601 or seconds).",
    default: "P2DT12H",
  },
};

/** Keys of a run step that are not part of the App definition sent to the server. */
const RUN_ONLY = new Set(["app", "max_time", "lifecycle", "output", "check", "exit_codes"]);

/** The App (or registered app name) a `run_async`/`run_sync` step runs. */
export function runTarget(args: Record<string, unknown>): Record<string, unknown> {
  if (typeof args.app === "string") return { name: args.app };
  const app: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (!RUN_ONLY.has(k) && v !== undefined) app[k] = v;
  }
  return app;
}

/**
 * The resolved arguments made what the server wants, as the fields declare: a scalar in a
 * `text` field or a `string_map` value becomes its text; a `date_time` becomes epoch seconds;
 * a `time_of_day` seconds of the day (also inside declared `fields` of a mapping). A value
 * that cannot be made so (a mapping where text belongs, an unreadable date) is a TypeError
 * naming the field. Undeclared keys pass through unchanged.
 *
 * @example
 * ```ts
 * import { APP_FIELDS, conformArgs } from "./step_util.ts";
 * conformArgs(APP_FIELDS, { env: { PORT: 8080 }, daily_limitation: { daily_start: "09:30" } });
 * // { env: { PORT: "8080" }, daily_limitation: { daily_start: 34200 } }
 * ```
 */
export function conformArgs(
  fields: Readonly<Record<string, FieldSpec>>,
  args: Record<string, unknown>,
  path = "",
): Record<string, unknown> {
  for (const [name, spec] of Object.entries(fields)) {
    const v = args[name];
    if (v === undefined || v === null) continue;
    args[name] = conform(v, spec, `${path}${name}`);
  }
  return args;
}

function conform(v: unknown, spec: FieldSpec, path: string): unknown {
  const type = Array.isArray(spec.type) ? undefined : spec.type as FieldSpec["type"];
  if (spec.text) return textOf(v, path);
  switch (type) {
    case "string_map": {
      if (!isMapping(v)) {
        throw new TypeError(`field "${path}" must be a mapping, got ${describe(v)}`);
      }
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, x === null ? "" : textOf(x, `${path}.${k}`)]),
      );
    }
    case "date_time": {
      const seconds = parseDateTime(v);
      if (seconds === undefined) {
        throw new TypeError(`field "${path}": bad date-time ${show(v)} (${DATE_TIME_TEXT})`);
      }
      return seconds;
    }
    case "time_of_day": {
      const seconds = parseTimeOfDay(v);
      if (seconds === undefined) {
        throw new TypeError(`field "${path}": bad time of day ${show(v)} (${TIME_OF_DAY_TEXT})`);
      }
      return seconds;
    }
    case "object":
      return spec.fields && isMapping(v) ? conformArgs(spec.fields, { ...v }, `${path}.`) : v;
  }
  return v;
}

function textOf(v: unknown, path: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new TypeError(`field "${path}" must be text, got ${describe(v)}`);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? JSON.stringify(v) : describe(v);
}

/**
 * {@linkcode runTarget}, with an inline definition named here (unless it has a name) and that
 * name passed to `track` before the request is sent: when the answer is lost (a connection
 * cut after the server started the process) or the step is interrupted, the engine still
 * knows which temporary app to delete. Returns the target and the tracked name, if any.
 */
export function trackedRunTarget(
  args: Record<string, unknown>,
  track: (name: string) => void,
): { target: Record<string, unknown>; tracked?: string } {
  const target = runTarget(args);
  if (typeof args.app === "string") return { target };
  if (typeof target.name !== "string" || target.name === "") {
    target.name = `wf-${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  }
  track(target.name as string);
  return { target, tracked: target.name as string };
}

/** The named string argument; throws a TypeError naming it when absent or not a string. */
export function str(args: Record<string, unknown>, name: string): string {
  const v = args[name];
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number") return String(v);
  throw new TypeError(`field "${name}" must be a non-empty string, got ${describe(v)}`);
}

/** The named optional string argument. */
export function optStr(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  return str(args, name);
}

/** A number or ISO 8601 duration, passed through as the client takes it. */
export function optDuration(
  args: Record<string, unknown>,
  name: string,
): number | string | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" || typeof v === "string") return v;
  throw new TypeError(`field "${name}" must be a duration, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a mapping" : typeof v;
}

/** Largest `stdout` output kept by `capture` (the tail is kept). */
export const OUTPUT_CAP = 1024 * 1024;

/** Collects output up to `cap` characters (default `OUTPUT_CAP`), keeping the tail. */
export class OutputBuffer {
  #parts: string[] = [];
  #size = 0;
  #cap: number;
  /** Whether anything was dropped. */
  truncated = false;
  /** Keeps at most `cap` characters. */
  constructor(cap: number = OUTPUT_CAP) {
    this.#cap = cap;
  }
  /** Adds a chunk. */
  push(chunk: string): void {
    this.#parts.push(chunk);
    this.#size += chunk.length;
    if (this.#size > this.#cap * 2) this.#compact();
  }
  #compact(): void {
    const all = this.#parts.join("");
    if (all.length > this.#cap) {
      this.truncated = true;
      this.#parts = [all.slice(all.length - this.#cap)];
    } else this.#parts = [all];
    this.#size = this.#parts[0].length;
  }
  /** The collected text (at most `cap` characters). */
  text(): string {
    this.#compact();
    return this.#parts[0] ?? "";
  }
}

/**
 * Where `wait` finds the `AppRun` of a `run_async` step: a symbol key on its outputs, so it
 * is never serialised into a report or an event.
 */
export const APP_RUN: unique symbol = Symbol("appmesh.appRun");

/** Seconds since `t0` (from `performance.now()`), to the millisecond. */
export function secondsSince(t0: number): number {
  return Math.round(performance.now() - t0) / 1000;
}

/** A duration (integer seconds, or ISO 8601) in whole seconds; a TypeError names a bad one. */
export function toSeconds(v: number | string): number {
  return durationSeconds(v);
}

/**
 * `local` resolved against the workflow's folder (`~/` against the home folder); with
 * `mkdir`, its parent folder is created.
 */
export async function localPath(
  cwd: string,
  local: string,
  options: { mkdir?: boolean } = {},
): Promise<string> {
  const path = await import("node:path");
  let full = local;
  if (local === "~" || local.startsWith("~/")) {
    const { homeDir } = await import("../../runtime/env.ts");
    full = path.join(homeDir(), local.slice(1));
  } else full = path.resolve(cwd, local);
  if (options.mkdir) {
    const fs = await import("node:fs/promises");
    await fs.mkdir(path.dirname(full), { recursive: true });
  }
  return full;
}

/** `onProgress` for a transfer: `step_progress` events, at most one per 100 ms, plus the last. */
export function progressEmitter(
  ctx: Pick<StepContext, "emit">,
): (bytes: number, total?: number) => void {
  let last = 0;
  return (bytes, total) => {
    const now = performance.now();
    if (now - last < 100 && bytes !== total) return;
    last = now;
    ctx.emit({ type: "step_progress", data: total === undefined ? { bytes } : { bytes, total } });
  };
}

/**
 * SHA-256 of a file, hex. Small files are read whole: an async file operation costs a thread
 * hop (~0.1 ms on Deno), so a tiny file is read synchronously (blocking well under a
 * millisecond), one below 8 MiB with one async read; a big one is streamed, never held whole.
 */
export async function sha256File(file: string): Promise<string> {
  const [{ createHash }, { createReadStream, readFileSync, statSync }] = await Promise.all([
    import("node:crypto"),
    import("node:fs"),
  ]);
  const { size } = statSync(file);
  if (size < 256 * 1024) return createHash("sha256").update(readFileSync(file)).digest("hex");
  if (size < 8 * 2 ** 20) {
    const { readFile } = await import("node:fs/promises");
    return createHash("sha256").update(await readFile(file)).digest("hex");
  }
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}
