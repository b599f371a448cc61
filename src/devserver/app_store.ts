/**
 * The app store of one node: registration, supervision of each app's process (start when
 * enabled, `behavior.exit` and the crash-loop backoff on exit, stop on disable/delete), the
 * `health_check_cmd` loop, removal of one-shot run apps after their `lifecycle`, and the
 * daemon's owner/`permission` access check.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  App,
  type AppDefinition,
  badRequest,
  formatLocalTime,
  type JsonObject,
  STATUS_DISABLED,
  STATUS_ENABLED,
  STATUS_ONE_SHOT,
} from "./app_model.ts";
import { type AuthUser, HttpError } from "./http.ts";
import type { NodeInfo } from "./node_info.ts";
import { OutputLog } from "./output.ts";
import { ProcessRun, runCheck, shortId } from "./processes.ts";
import { nextStart } from "./schedule.ts";

/** `last_error` text: the local time, then what happened. */
function stamped(message: string): string {
  return `${formatLocalTime(Date.now() / 1000)} ${message}`;
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
  checkAccess(user: AuthUser | undefined, app: App, write: boolean): void;
  /** Same as `checkAccess`, as a boolean (for list filtering). */
  allowed(user: AuthUser | undefined, app: App, write: boolean): boolean;
  /**
   * Registers (or replaces) an app and starts it when enabled; a periodic or cron app is not
   * started but scheduled (`next_start_time`).
   */
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
  readonly #node: NodeInfo;
  readonly #outDir: string;
  readonly #workDir: string;
  readonly #runIndex = new Map<string, number>();

  constructor(node: NodeInfo) {
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

  checkAccess(caller: AuthUser | undefined, app: App, write: boolean): void {
    if (!this.allowed(caller, app, write)) {
      throw badRequest(
        `User <${caller?.name}> is not allowed to <${write ? "EDIT" : "VIEW"}> app <${app.name}>`,
      );
    }
  }

  allowed(caller: AuthUser | undefined, app: App, write: boolean): boolean {
    const user = caller?.name;
    const perm = app.def.permission;
    if (!user || !app.owner || user === app.owner || !perm || user === "admin") return true;
    const level = caller?.group === app.ownerGroup ? perm % 10 : Math.floor(perm / 10) % 10;
    // 1 deny, 2 read, 3 write (group digit); the same for the tens digit (others).
    return write ? level === 3 : level === 2 || level === 3;
  }

  register(def: AppDefinition, owner: string, ownerGroup: string, oneShot = false): App {
    const old = this.#apps.get(def.name);
    if (old && oneShot) throw badRequest("on-demand application name is already in use");
    if (old) this.#stop(old, true);
    const app = new App(def, owner, ownerGroup, oneShot ? STATUS_ONE_SHOT : def.status);
    this.#apps.set(def.name, app);
    if (app.status === STATUS_ENABLED) this.#launch(app);
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
        posixExitCodes: this.#node.posixExitCodes,
      });
    } catch (e) {
      log.seal();
      app.lastError = stamped((e as Error).message);
      throw badRequest((e as Error).message);
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
    this.#launch(app);
  }

  disable(app: App): void {
    if (app.status !== STATUS_ENABLED) return;
    app.status = STATUS_DISABLED;
    if (app.current?.running) app.lastError = stamped("not enabled");
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

  /** Starts an enabled app now, or schedules its next start if it is periodic. */
  #launch(app: App): void {
    if (app.def.schedule) this.#schedulePeriodic(app);
    else this.#startManaged(app);
  }

  /**
   * The daemon's timer of a periodic or cron app: start at the next start time (unless still
   * running), then schedule the one after. No next start (past `end_time`): no timer.
   */
  #schedulePeriodic(app: App): void {
    clearTimeout(app.restartTimer);
    // Sub-second "now", as the daemon's clock: a start at exactly `start_time` is in the past.
    const next = nextStart(app.def.schedule!, Date.now() / 1000);
    app.nextStart = next;
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next * 1000 - Date.now()), 2_000_000_000);
    app.restartTimer = setTimeout(() => {
      app.restartTimer = undefined;
      if (app.removed || app.status !== STATUS_ENABLED) return;
      if (!app.current?.running) {
        try {
          this.start(app);
        } catch { /* last_error is set; the next period tries again */ }
      }
      this.#schedulePeriodic(app);
    }, delay);
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
      app.lastError = stamped(`exited with return code: ${code}`);
    }
    if (app.removed || app.status !== STATUS_ENABLED || run.killedByUs) return;
    if (app.def.schedule) {
      // A periodic app waits for its next start time, whatever its exit.
      if (app.restartTimer === undefined) this.#schedulePeriodic(app);
      return;
    }
    const action = app.def.behavior.control[String(code)] ?? app.def.behavior.exit;
    if (action === "restart" || action === "keepalive") {
      this.#scheduleRestart(app, this.#backoff(app, (run.exitedAt! - run.startedAt) / 1000));
    } else if (action === "remove") {
      this.scheduleRemoval(app, app.def.retentionSeconds);
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
 * const store = createAppStore({ name: "127.0.0.1:6060", port: 6060, stateDir: "/tmp/s" });
 * await store.close();
 * ```
 */
export function createAppStore(node: NodeInfo): AppStore {
  return new Store(node);
}
