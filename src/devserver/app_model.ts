/**
 * The model of one app: its definition as parsed from the app JSON (with the daemon's checks
 * and defaults), and the `App` record that holds the definition with its runtime state and
 * answers the app JSON as the daemon does.
 *
 * @module
 */
import { userInfo } from "node:os";
import { HttpError } from "./http.ts";
import { OutputHistory } from "./output.ts";
import { processUsage } from "./process_usage.ts";
import type { ProcessRun } from "./processes.ts";
import { parseCron, parseIsoDuration, type Schedule } from "./schedule.ts";
import { TaskChannel } from "./tasks.ts";

/** JSON object as parsed from a request. */
export type JsonObject = Record<string, unknown>;

/** `status` of a disabled app. */
export const STATUS_DISABLED = 0;
/** `status` of an enabled app (supervised: started, restarted by `behavior`). */
export const STATUS_ENABLED = 1;
/** `status` of a one-shot run app (`/appmesh/app/run`, `/appmesh/app/syncrun`). */
export const STATUS_ONE_SHOT = 2;
const ACTIONS = ["standby", "restart", "keepalive", "remove"];
const NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** Definition fields kept as given and answered back (not interpreted by the local server). */
const PASSTHROUGH = ["resource_limit", "version"];
/** The daemon's start interval when the one given is not positive (its token lifetime, 7 days). */
const DEFAULT_INTERVAL = 7 * 24 * 3600;
const DAY = 24 * 3600;

/** `2026-11-28T09:33:25+08`: the daemon's `*_TEXT` form of a time, in local time. */
export function formatLocalTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const oh = p(Math.floor(Math.abs(off) / 60));
  const om = Math.abs(off) % 60;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:` +
    `${p(d.getMinutes())}:${p(d.getSeconds())}${sign}${oh}${om ? `:${p(om)}` : ""}`;
}

/** Sorts object keys recursively (the daemon's nlohmann::json answers keys in order). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    const out: JsonObject = {};
    for (const k of Object.keys(value).sort()) out[k] = sorted((value as JsonObject)[k]);
    return out;
  }
  return value;
}

/** A 400 answer with `message` (what the daemon answers for a refused request). */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/**
 * The daemon's answer when reading a JSON field throws a type error (e.g. a string where it
 * reads an integer): 500 `Internal server error`.
 */
function internalError(): HttpError {
  return new HttpError(500, "Internal server error");
}

/** An integer field as the daemon's `GET_JSON_INT64_VALUE`: a number, else its 500. */
function int64(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw internalError();
  return Math.trunc(value);
}

/** A field as the daemon's `GET_JSON_STR_INT_TEXT`: a string or a number as text, else 500. */
function strIntText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(Math.trunc(value));
  throw internalError();
}

/** A duration field (`retention`, `start_interval_seconds`): its seconds, else the daemon's 400. */
function durationSeconds(text: string): number {
  const seconds = parseIsoDuration(text);
  if (seconds === undefined) throw badRequest("invalid ISO8601 duration format");
  return seconds;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(`${field} must be an object`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw badRequest(`${field} value of <${k}> must be a string`);
    out[k] = v;
  }
  return out;
}

/** The validated, normalized definition of an app. */
export interface AppDefinition {
  /** `name` of the app JSON. */
  name: string;
  /** `command` of the app JSON. */
  command: string;
  /** `shell` of the app JSON. */
  shell: boolean;
  /** `session_login` of the app JSON. */
  sessionLogin: boolean;
  /** `description` of the app JSON. */
  description: string;
  /** `health_check_cmd` of the app JSON. */
  healthCheckCmd: string;
  /** `working_dir` of the app JSON. */
  workingDir: string;
  /** `env` of the app JSON. */
  env: Record<string, string>;
  /** `sec_env` of the app JSON. */
  secEnv: Record<string, string>;
  /** `metadata` of the app JSON. */
  metadata: unknown;
  /** `stdout_cache_num` of the app JSON. */
  stdoutCacheNum: number;
  /** `permission` of the app JSON. */
  permission: number;
  /** `status` of the app JSON. */
  status: number;
  /** `behavior` of the app JSON. */
  behavior: { exit: string; control: Record<string, string> };
  /** `start_time`, epoch seconds (0: none; a periodic app defaults to registration + 1 s). */
  startTime: number;
  /** `end_time`, epoch seconds (0: none). */
  endTime: number;
  /** `daily_limitation` as integer seconds of the day (UTC), or undefined. */
  dailyLimitation?: { daily_start: number; daily_end: number };
  /** `start_interval_seconds` as given (a number becomes its text), "" when absent. */
  startIntervalText: string;
  /** `retention` as given (a number becomes its text), "" when absent. */
  retentionText: string;
  /** `retention` in seconds. */
  retentionSeconds: number;
  /** The schedule of a periodic or cron app; undefined for a long-running one. */
  schedule?: Schedule;
  /** Fields answered back as given, not enforced (resource limits, version). */
  extra: JsonObject;
}

/** Checks a name as the daemon's `normalizeAppName`. */
export function normalizeAppName(raw: unknown): string {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (!NAME_RE.test(name)) {
    throw badRequest(
      "application name must be 1-128 characters using only letters, digits, '_' or '-'",
    );
  }
  return name;
}

/** Parses an app JSON body into a definition (400 on what the daemon refuses). */
export function parseDefinition(body: unknown): AppDefinition {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("Empty json input");
  }
  const o = body as JsonObject;
  const name = normalizeAppName(o.name);
  if (o.docker_image) throw badRequest("Docker applications are not supported by the local server");
  const command = typeof o.command === "string" ? o.command.trim() : "";
  if (!command) throw badRequest("no command line provide");
  if (command.length >= 2048) throw badRequest("command line length should less than 2048");
  const behaviorIn = (o.behavior ?? {}) as JsonObject;
  const action = (v: unknown) => {
    const a = String(v).toLowerCase();
    if (!ACTIONS.includes(a)) throw badRequest("invalid action input");
    return a;
  };
  const control: Record<string, string> = {};
  if (behaviorIn.control && typeof behaviorIn.control === "object") {
    for (const [code, a] of Object.entries(behaviorIn.control as JsonObject)) {
      if (!/^-?\d+$/.test(code)) throw badRequest("invalid control code");
      control[String(Number(code))] = action(a);
    }
  }
  const extra: JsonObject = {};
  for (const k of PASSTHROUGH) if (o[k] !== undefined && o[k] !== null) extra[k] = o[k];
  const has = (k: string) => o[k] !== undefined && o[k] !== null;
  // The daemon's order: start_time, end_time, daily_limitation, retention, start interval.
  let startTime = has("start_time") ? int64(o.start_time) : 0;
  if (!has("start_time") && has("start_interval_seconds")) {
    startTime = Math.floor(Date.now() / 1000) + 1;
  }
  const endTime = has("end_time") ? int64(o.end_time) : 0;
  if (endTime && startTime > endTime) {
    throw badRequest("end_time should greater than the start_time");
  }
  let dailyLimitation: AppDefinition["dailyLimitation"];
  if (has("daily_limitation")) {
    const dl = o.daily_limitation as JsonObject;
    if (
      typeof dl !== "object" || Array.isArray(dl) || dl.daily_start == null || dl.daily_end == null
    ) {
      throw badRequest("should both have daily_start and daily_end parameter");
    }
    dailyLimitation = {
      daily_start: int64(dl.daily_start) % DAY,
      daily_end: int64(dl.daily_end) % DAY,
    };
  }
  const retentionText = strIntText(o.retention);
  const retentionSeconds = durationSeconds(retentionText);
  const startIntervalText = strIntText(o.start_interval_seconds);
  let schedule: Schedule | undefined;
  if (has("start_interval_seconds")) {
    if (o.cron === true) {
      schedule = { startTime, endTime, intervalSeconds: 0, cron: parseCron(startIntervalText) };
    } else {
      const seconds = durationSeconds(startIntervalText);
      schedule = { startTime, endTime, intervalSeconds: seconds > 0 ? seconds : DEFAULT_INTERVAL };
    }
  }
  let metadata = o.metadata;
  if (typeof metadata === "string") {
    try {
      metadata = JSON.parse(metadata);
    } catch { /* plain text metadata stays text */ }
  }
  return {
    name,
    command,
    shell: o.shell === true,
    sessionLogin: o.session_login === true,
    description: typeof o.description === "string" ? o.description.trim() : "",
    healthCheckCmd: typeof o.health_check_cmd === "string" ? o.health_check_cmd.trim() : "",
    workingDir: typeof o.working_dir === "string" ? o.working_dir.trim() : "",
    env: stringMap(o.env, "env"),
    secEnv: stringMap(o.sec_env, "sec_env"),
    metadata,
    stdoutCacheNum: Math.max(0, Math.trunc(Number(o.stdout_cache_num) || 0)),
    permission: Math.trunc(Number(o.permission) || 0),
    status: o.status === 0 ? STATUS_DISABLED : STATUS_ENABLED,
    behavior: { exit: behaviorIn.exit ? action(behaviorIn.exit) : "standby", control },
    startTime,
    endTime,
    dailyLimitation,
    startIntervalText,
    retentionText,
    retentionSeconds,
    schedule,
    extra,
  };
}

/** One registered app and its runtime state. */
export class App {
  /** The definition. */
  readonly def: AppDefinition;
  /** Owner user name. */
  readonly owner: string;
  /** Owner's group (for the app's `permission` digits). */
  readonly ownerGroup: string;
  /** 0 disabled, 1 enabled, 2 one-shot run app. */
  status: number;
  /** Registration time, seconds. */
  readonly registerTime: number = Math.floor(Date.now() / 1000);
  /** Outputs of the current and previous runs. */
  readonly history: OutputHistory;
  /** Task channel between clients and the app's process. */
  readonly task: TaskChannel = new TaskChannel();
  /** The last started run. */
  current: ProcessRun | undefined;
  /** Number of starts. */
  starts = 0;
  /** Last error text. */
  lastError = "";
  /** Pending restart. */
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending removal (lifecycle, behavior `remove`). */
  removalTimer: ReturnType<typeof setTimeout> | undefined;
  /** Next scheduled start, seconds. */
  nextStart: number | undefined;
  /** Consecutive short runs (crash-loop backoff). */
  failures = 0;
  /** Removed from the store. */
  removed = false;
  /** Result of the last `health_check_cmd` run (true: healthy). */
  checkedHealthy = true;
  /** Next health check. */
  healthTimer: ReturnType<typeof setTimeout> | undefined;

  /** A new app; `status` 0 disabled, 1 enabled, 2 one-shot. */
  constructor(def: AppDefinition, owner: string, ownerGroup: string, status: number) {
    this.def = def;
    this.owner = owner;
    this.ownerGroup = ownerGroup;
    this.status = status;
    this.history = new OutputHistory(def.stdoutCacheNum);
  }

  /** Name. */
  get name(): string {
    return this.def.name;
  }

  /** 0 healthy, 1 not: the `health_check_cmd` result if there is one, else "running". */
  get health(): number {
    if (this.def.healthCheckCmd) return this.checkedHealthy ? 0 : 1;
    return this.current?.running ? 0 : 1;
  }

  /** The app as the daemon answers it (`AsJson(true)`), keys sorted. */
  toJson(): JsonObject {
    const d = this.def;
    const r: JsonObject = { name: d.name, owner: this.owner, status: this.status };
    if (d.permission) r.permission = d.permission;
    if (d.shell) r.shell = true;
    if (d.sessionLogin) r.session_login = true;
    if (d.metadata !== undefined && d.metadata !== null && d.metadata !== "") {
      r.metadata = d.metadata;
    }
    r.command = d.command;
    if (d.description) r.description = d.description;
    if (d.stdoutCacheNum) r.stdout_cache_num = d.stdoutCacheNum;
    if (d.healthCheckCmd) r.health_check_cmd = d.healthCheckCmd;
    if (d.workingDir) r.working_dir = d.workingDir;
    if (Object.keys(d.env).length) r.env = d.env;
    Object.assign(r, d.extra);
    if (d.startTime) r.start_time = d.startTime;
    if (d.endTime) r.end_time = d.endTime;
    if (d.dailyLimitation) {
      const dl: JsonObject = { ...d.dailyLimitation };
      // The daemon's `_TEXT` of a time of day: the local time part of that second.
      for (const k of ["daily_start", "daily_end"]) {
        dl[`${k}_TEXT`] = formatLocalTime(dl[k] as number).split("T").pop();
      }
      r.daily_limitation = dl;
    }
    r.register_time = this.registerTime;
    r.behavior = Object.keys(d.behavior.control).length ? d.behavior : { exit: d.behavior.exit };
    if (d.retentionSeconds) r.retention = d.retentionText;
    if (d.schedule?.cron) r.cron = true;
    if (d.startIntervalText) r.start_interval_seconds = d.startIntervalText;
    const run = this.current;
    if (run && run.exitCode !== undefined) r.return_code = run.exitCode;
    if (run?.running) {
      const [id, status] = this.task.status();
      r.task_id = id;
      r.task_status = status;
      r.pid = run.pid;
      try {
        r.pid_user = userInfo().username;
      } catch { /* no user name available */ }
      const usage = processUsage(run);
      if (usage) {
        r.memory = usage.memory;
        r.cpu = usage.cpu;
        r.fd = usage.fd;
        r.pstree = usage.pstree;
      }
    }
    if (run) r.last_start_time = Math.floor(run.startedAt / 1000);
    if (run?.exitedAt) r.last_exit_time = Math.floor(run.exitedAt / 1000);
    r.health = this.health;
    if (this.history.size) r.stdout_cache_size = this.history.size;
    if (this.lastError) r.last_error = this.lastError;
    r.starts = this.starts;
    if (this.nextStart) r.next_start_time = this.nextStart;
    for (
      const k of [
        "register_time",
        "start_time",
        "end_time",
        "last_start_time",
        "last_exit_time",
        "next_start_time",
      ]
    ) {
      if (typeof r[k] === "number") r[`${k}_TEXT`] = formatLocalTime(r[k] as number);
    }
    return sorted(r) as JsonObject;
  }
}
