/**
 * Apps of one node: registration, the app JSON as the daemon answers it, supervision of the
 * app's process (start when enabled, `behavior.exit` on exit, stop on disable/delete), one-shot
 * run apps with their `lifecycle`, and the routes for apps, runs and output.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { HttpError, json, type NodeHandle, type RequestContext, type Route, text } from "./http.ts";
import { OutputHistory, OutputLog, outputRoute, VIEW_DEFAULT_SIZE } from "./output.ts";
import { lifecycleParams, ProcessRun, runCheck, shortId } from "./processes.ts";
import { TaskChannel } from "./tasks.ts";

/** JSON object as parsed from a request. */
export type JsonObject = Record<string, unknown>;

const STATUS_DISABLED = 0;
const STATUS_ENABLED = 1;
const STATUS_ONE_SHOT = 2;
const ACTIONS = ["standby", "restart", "keepalive", "remove"];
const NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** Definition fields kept as given and answered back (not interpreted by the local server). */
const PASSTHROUGH = [
  "resource_limit",
  "daily_limitation",
  "start_time",
  "end_time",
  "start_interval_seconds",
  "cron",
  "retention",
  "version",
];

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

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw bad(`${field} must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw bad(`${field} value of <${k}> must be a string`);
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
  /** Fields answered back as given, not enforced (schedule, limits, retention...). */
  extra: JsonObject;
}

/** Checks a name as the daemon's `normalizeAppName`. */
export function normalizeAppName(raw: unknown): string {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (!NAME_RE.test(name)) {
    throw bad("application name must be 1-128 characters using only letters, digits, '_' or '-'");
  }
  return name;
}

/** Parses an app JSON body into a definition (400 on what the daemon refuses). */
export function parseDefinition(body: unknown): AppDefinition {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw bad("Empty json input");
  }
  const o = body as JsonObject;
  const name = normalizeAppName(o.name);
  if (o.docker_image) throw bad("Docker applications are not supported by the local server");
  const command = typeof o.command === "string" ? o.command.trim() : "";
  if (!command) throw bad("no command line provide");
  if (command.length >= 2048) throw bad("command line length should less than 2048");
  const behaviorIn = (o.behavior ?? {}) as JsonObject;
  const action = (v: unknown) => {
    const a = String(v).toLowerCase();
    if (!ACTIONS.includes(a)) throw bad("invalid action input");
    return a;
  };
  const control: Record<string, string> = {};
  if (behaviorIn.control && typeof behaviorIn.control === "object") {
    for (const [code, a] of Object.entries(behaviorIn.control as JsonObject)) {
      if (!/^-?\d+$/.test(code)) throw bad("invalid control code");
      control[String(Number(code))] = action(a);
    }
  }
  const extra: JsonObject = {};
  for (const k of PASSTHROUGH) if (o[k] !== undefined && o[k] !== null) extra[k] = o[k];
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
    r.register_time = this.registerTime;
    r.behavior = Object.keys(d.behavior.control).length ? d.behavior : { exit: d.behavior.exit };
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

/** Per-node app store: what the route handlers (and metrics) use. */
export interface AppStore {
  /** Number of apps. */
  count(): number;
  /** Every app as JSON (the `/appmesh/applications` shape). */
  list(): JsonObject[];
  /** The app, or undefined. */
  get(name: string): App | undefined;
  /** The app, or 404 `No such application`. */
  mustGet(name: string): App;
  /** The daemon's owner/`permission` check (400 `User <u> is not allowed to <EDIT> app <a>`). */
  checkAccess(ctx: RequestContext, app: App, write: boolean): void;
  /** Registers (or replaces) an app and starts it when enabled. */
  register(def: AppDefinition, owner: string, ownerGroup: string, oneShot?: boolean): App;
  /** Starts a run of `app`; throws 400 when it cannot start. */
  start(app: App, timeoutSeconds?: number): ProcessRun;
  /** Enables and starts. */
  enable(app: App): void;
  /** Disables and stops. */
  disable(app: App): void;
  /** Stops and removes. */
  remove(app: App): void;
  /** Removes `app` after `seconds`. */
  scheduleRemoval(app: App, seconds: number): void;
  /** A free run-app name derived from `base` (`base_1`, `base_2`, ...). */
  runName(base: string): string;
  /** Stops every process, clears every timer, deletes the output files. */
  close(): Promise<void>;
}

class Store implements AppStore {
  readonly #apps = new Map<string, App>();
  readonly #node: NodeHandle;
  readonly #outDir: string;
  readonly #workDir: string;
  readonly #runIndex = new Map<string, number>();

  constructor(node: NodeHandle) {
    this.#node = node;
    this.#outDir = join(node.stateDir, "stdout", String(node.port));
    this.#workDir = join(node.stateDir, "work");
  }

  count(): number {
    return this.#apps.size;
  }

  list(): JsonObject[] {
    return [...this.#apps.values()].map((a) => a.toJson());
  }

  get(name: string): App | undefined {
    return this.#apps.get(name);
  }

  mustGet(name: string): App {
    const app = this.#apps.get(name);
    if (!app) throw new HttpError(404, "No such application");
    return app;
  }

  checkAccess(ctx: RequestContext, app: App, write: boolean): void {
    if (!this.allowed(ctx, app, write)) {
      throw bad(
        `User <${ctx.user?.name}> is not allowed to <${write ? "EDIT" : "VIEW"}> app <${app.name}>`,
      );
    }
  }

  /** Same as `checkAccess`, as a boolean (for list filtering). */
  allowed(ctx: RequestContext, app: App, write: boolean): boolean {
    const user = ctx.user?.name;
    const perm = app.def.permission;
    if (!user || !app.owner || user === app.owner || !perm || user === "admin") return true;
    const level = ctx.user?.group === app.ownerGroup ? perm % 10 : Math.floor(perm / 10) % 10;
    // 1 deny, 2 read, 3 write (group digit); the same for the tens digit (others).
    return write ? level === 3 : level === 2 || level === 3;
  }

  register(def: AppDefinition, owner: string, ownerGroup: string, oneShot = false): App {
    const old = this.#apps.get(def.name);
    if (old && oneShot) throw bad("on-demand application name is already in use");
    if (old) this.#stop(old, true);
    const app = new App(def, owner, ownerGroup, oneShot ? STATUS_ONE_SHOT : def.status);
    this.#apps.set(def.name, app);
    if (app.status === STATUS_ENABLED) this.#startManaged(app);
    if (def.healthCheckCmd) this.#healthLoop(app);
    return app;
  }

  start(app: App, timeoutSeconds = 0): ProcessRun {
    clearTimeout(app.restartTimer);
    app.nextStart = undefined;
    const log = new OutputLog(join(this.#outDir, `appmesh.${app.name}.${shortId()}.out`));
    app.history.push(log);
    let cwd = app.def.workingDir;
    if (cwd) cwd = resolve(this.#node.stateDir, cwd);
    else mkdirSync(cwd = this.#workDir, { recursive: true });
    let run: ProcessRun;
    try {
      run = new ProcessRun({
        command: app.def.command,
        shell: app.def.shell,
        env: { ...app.def.env, ...app.def.secEnv },
        cwd,
        appName: app.name,
        output: log,
        timeoutSeconds,
      });
    } catch (e) {
      log.seal();
      app.lastError = `${formatLocalTime(Date.now() / 1000)} ${(e as Error).message}`;
      throw bad((e as Error).message);
    }
    app.current = run;
    app.starts++;
    app.lastError = "";
    app.task.activate(run.key);
    run.done.then((code) => this.#onExit(app, run, code));
    return run;
  }

  enable(app: App): void {
    if (app.status !== STATUS_DISABLED) return;
    app.status = STATUS_ENABLED;
    this.#startManaged(app);
  }

  disable(app: App): void {
    if (app.status !== STATUS_ENABLED) return;
    app.status = STATUS_DISABLED;
    if (app.current?.running) app.lastError = `${formatLocalTime(Date.now() / 1000)} not enabled`;
    this.#stop(app, false);
  }

  remove(app: App): void {
    if (this.#apps.get(app.name) === app) this.#apps.delete(app.name);
    this.#stop(app, true);
  }

  scheduleRemoval(app: App, seconds: number): void {
    clearTimeout(app.removalTimer);
    app.removalTimer = setTimeout(() => this.remove(app), Math.min(seconds, 2_000_000) * 1000);
  }

  runName(base: string): string {
    let i = (this.#runIndex.get(base) ?? 0) + 1;
    while (this.#apps.has(`${base}_${i}`)) i++;
    this.#runIndex.set(base, i);
    return `${base}_${i}`;
  }

  async close(): Promise<void> {
    const runs: Promise<number>[] = [];
    for (const app of this.#apps.values()) {
      if (app.current?.running) runs.push(app.current.done);
      this.#stop(app, true);
    }
    this.#apps.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(runs),
      new Promise((r) => (timer = setTimeout(r, 3000))),
    ]);
    clearTimeout(timer);
  }

  #startManaged(app: App): void {
    try {
      this.start(app);
    } catch {
      this.#scheduleRestart(app, this.#backoff(app, 0));
    }
  }

  /** Stops the process, timers and tasks; `purge` also deletes the output files. */
  #stop(app: App, purge: boolean): void {
    clearTimeout(app.restartTimer);
    app.nextStart = undefined;
    if (purge) {
      app.removed = true;
      clearTimeout(app.removalTimer);
      clearTimeout(app.healthTimer);
    }
    app.current?.kill();
    app.task.terminate();
    if (purge) {
      // Let a waiting syncrun or long-poll read the last bytes before the files go.
      const run = app.current;
      if (run?.running) run.done.then(() => app.history.clear());
      else app.history.clear();
    }
  }

  /** The daemon's health check: every second, the command's exit status (only while enabled). */
  #healthLoop(app: App): void {
    app.healthTimer = setTimeout(async () => {
      if (app.removed) return;
      app.checkedHealthy = app.status === STATUS_ENABLED && await runCheck(app.def.healthCheckCmd);
      if (!app.removed) this.#healthLoop(app);
    }, 1000);
  }

  #onExit(app: App, run: ProcessRun, code: number): void {
    if (app.current !== run) return;
    app.task.terminate();
    if (code !== 0 && !run.killedByUs) {
      app.lastError = `${formatLocalTime(Date.now() / 1000)} exited with return code: ${code}`;
    }
    if (app.removed || app.status !== STATUS_ENABLED || run.killedByUs) return;
    const action = app.def.behavior.control[String(code)] ?? app.def.behavior.exit;
    if (action === "restart" || action === "keepalive") {
      this.#scheduleRestart(app, this.#backoff(app, (run.exitedAt! - run.startedAt) / 1000));
    } else if (action === "remove") {
      this.scheduleRemoval(app, Number(app.def.extra.retention) || 0);
    }
  }

  /** The daemon's crash-loop backoff: 0 after a run of 60 s or more, else 1, 2, 4 ... 300 s. */
  #backoff(app: App, ranForSeconds: number): number {
    if (ranForSeconds >= 60) {
      app.failures = 0;
      return 0;
    }
    const delay = Math.min(1 << Math.min(app.failures, 9), 300);
    app.failures++;
    return delay;
  }

  #scheduleRestart(app: App, seconds: number): void {
    clearTimeout(app.restartTimer);
    app.nextStart = Math.floor(Date.now() / 1000) + seconds;
    app.restartTimer = setTimeout(() => {
      app.nextStart = undefined;
      if (!app.removed && app.status === STATUS_ENABLED && !app.current?.running) {
        this.#startManaged(app);
      }
    }, seconds * 1000);
  }
}

/**
 * Creates the app store of one node.
 *
 * @example
 * ```ts
 * const store = createAppStore({ name: "127.0.0.1:6060", port: 6060, stateDir: "/tmp/s", stores: {} });
 * await store.close();
 * ```
 */
export function createAppStore(node: NodeHandle): AppStore {
  return new Store(node);
}

function store(ctx: RequestContext): AppStore {
  return ctx.node.stores.apps as AppStore;
}

async function readBody(req: Request): Promise<unknown> {
  const raw = await req.text();
  try {
    return JSON.parse(raw);
  } catch {
    throw bad("Invalid JSON body");
  }
}

/** Builds the one-shot app of a run request (`parseAndRegRunApp`). */
async function runApp(ctx: RequestContext, lifecycle: number): Promise<App> {
  const s = store(ctx);
  const body = await readBody(ctx.req);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw bad("Should specify command run application");
  }
  let o = { ...(body as JsonObject) };
  if (typeof o.name === "string" && o.name.length > 0) {
    const name = normalizeAppName(o.name);
    const from = s.get(name);
    if (from) {
      s.checkAccess(ctx, from, false);
      if (o.command !== undefined) {
        throw bad(`Should not specify command for an existing application <${name}>`);
      }
      const copy = { ...from.toJson(), sec_env: from.def.secEnv } as JsonObject;
      for (const k of ["metadata", "env", "sec_env"]) if (o[k] !== undefined) copy[k] = o[k];
      copy.name = s.runName(name);
      o = copy;
    } else if (o.command === undefined) {
      throw bad("Should specify command to run application");
    }
  } else {
    if (o.command === undefined) throw bad("Should specify command run application");
    o.name = shortId();
  }
  if (lifecycle === 0) throw bad("Zero timeout and lifecycle speficied");
  const def = parseDefinition(o);
  const app = s.register(def, ctx.user?.name ?? "", ctx.user?.group ?? "", true);
  s.scheduleRemoval(app, lifecycle);
  return app;
}

/** Routes of the apps area (apps, runs, output, health). */
export const appRoutes: Route[] = [
  {
    method: "GET",
    path: "/appmesh/applications",
    auth: true,
    permission: "app-view-all",
    handler: (ctx) => {
      const s = store(ctx) as Store;
      const apps = s.list().filter((a) => s.allowed(ctx, s.get(a.name as string)!, false));
      return json(200, apps);
    },
  },
  {
    method: "GET",
    path: "/appmesh/app/:name",
    auth: true,
    permission: "app-view",
    handler: (ctx) => {
      const app = store(ctx).mustGet(ctx.params.name);
      store(ctx).checkAccess(ctx, app, false);
      return json(200, app.toJson());
    },
  },
  {
    method: "PUT",
    path: "/appmesh/app/:name",
    auth: true,
    permission: "app-reg",
    handler: async (ctx) => {
      const s = store(ctx);
      const def = parseDefinition(await readBody(ctx.req));
      const old = s.get(def.name);
      if (old) s.checkAccess(ctx, old, true);
      const app = s.register(def, ctx.user?.name ?? "", ctx.user?.group ?? "");
      return json(200, app.toJson());
    },
  },
  {
    method: "DELETE",
    path: "/appmesh/app/:name",
    auth: true,
    handler: (ctx) => {
      const s = store(ctx);
      const app = s.get(ctx.params.name);
      if (!app) return new Response(null, { status: 404 });
      // Deleting one's own app needs no app-delete permission (the daemon's owner shortcut).
      if (app.owner !== ctx.user?.name) ctx.require("app-delete");
      s.checkAccess(ctx, app, true);
      s.remove(app);
      return json(200, { message: `Application <${app.name}> removed.` });
    },
  },
  {
    method: "POST",
    path: "/appmesh/app/:name/enable",
    auth: true,
    permission: "app-control",
    handler: (ctx) => {
      const app = store(ctx).mustGet(ctx.params.name);
      store(ctx).checkAccess(ctx, app, true);
      store(ctx).enable(app);
      return json(200, { message: `Enable <${app.name}> success.` });
    },
  },
  {
    method: "POST",
    path: "/appmesh/app/:name/disable",
    auth: true,
    permission: "app-control",
    handler: (ctx) => {
      const app = store(ctx).mustGet(ctx.params.name);
      store(ctx).checkAccess(ctx, app, true);
      store(ctx).disable(app);
      return json(200, { message: `Disable <${app.name}> success.` });
    },
  },
  {
    method: "GET",
    path: "/appmesh/app/:name/health",
    auth: false,
    handler: (ctx) => text(200, String(store(ctx).mustGet(ctx.params.name).health)),
  },
  {
    method: "POST",
    path: "/appmesh/app/run",
    auth: true,
    permission: "app-run-async",
    handler: async (ctx) => {
      const { timeout, lifecycle } = lifecycleParams(ctx.url);
      const app = await runApp(ctx, lifecycle);
      let run: ProcessRun;
      try {
        run = store(ctx).start(app, timeout);
      } catch (e) {
        store(ctx).remove(app);
        throw e;
      }
      return json(200, { name: app.name, process_uuid: run.uuid });
    },
  },
  {
    method: "POST",
    path: "/appmesh/app/syncrun",
    auth: true,
    permission: "app-run-sync",
    handler: async (ctx) => {
      const s = store(ctx);
      const { timeout, lifecycle } = lifecycleParams(ctx.url);
      const app = await runApp(ctx, lifecycle);
      let run: ProcessRun;
      try {
        run = s.start(app, timeout);
      } catch (e) {
        s.remove(app);
        throw e;
      }
      const code = await run.done;
      // As the daemon: the answer holds at most the first 3 MiB of the output.
      const { data, next } = run.output.read(0, VIEW_DEFAULT_SIZE);
      s.remove(app);
      return new Response(data.length ? data as Uint8Array<ArrayBuffer> : null, {
        status: 200,
        headers: {
          "X-Exit-Code": String(code),
          "X-Output-Position": String(next),
          "Content-Type": "text/plain; charset=utf-8",
        },
      });
    },
  },
  outputRoute,
];
