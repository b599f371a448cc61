/**
 * Runs and tasks: `runAppAsync` → `AppRun`, `waitForAsyncRun` (long-poll on the output
 * endpoint), `runAppSync`, `runTask`, `cancelTask`.
 *
 * @module
 */
import { durationSeconds } from "../runtime/duration.ts";
import { sleep } from "../runtime/timers.ts";
import { deleteApp, getAppOutput } from "./apps.ts";
import { call, type Core } from "./core.ts";
import { AppMeshResponseError } from "./errors.ts";
import { intHeader, readJson } from "./answers.ts";
import type {
  App,
  CallOptions,
  RunOptions,
  SyncRunResult,
  TaskOptions,
  WaitOptions,
} from "./types.ts";

const TWO_DAYS = "P2D";
const TWO_AND_A_HALF_DAYS = "P2DT12H";
/**
 * Seconds one output long-poll may be held on the server. App Mesh answers an output poll
 * only when the process exits or the poll's `timeout` passes (not when output arrives), so
 * live output (`onOutput`) polls every second; without it, longer polls mean fewer requests.
 */
const LIVE_POLL_SECONDS = 1;
const QUIET_POLL_SECONDS = 5;

/** A run started by `runAppAsync`: what `waitForAsyncRun` follows (an `AppRun` is one). */
export interface RunRef {
  /** Name of the (generated) run app. */
  readonly appName: string;
  /** The process instance. */
  readonly processUuid: string;
  /** Node the run was started on (`host:port`), undefined for the base URL's node. */
  readonly node?: string | undefined;
}

function toApp(app: App | string): App {
  return typeof app === "string" ? { command: app, shell: true } : app;
}

function runQuery(o: RunOptions) {
  return {
    timeout: durationSeconds(o.maxTime ?? TWO_DAYS),
    lifecycle: durationSeconds(o.lifecycle ?? TWO_AND_A_HALF_DAYS),
  };
}

/** `runAppAsync`: the run, on the node of `core` (the client class makes it an `AppRun`). */
export async function runAppAsync(
  core: Core,
  app: App | string,
  o: RunOptions = {},
): Promise<RunRef> {
  const res = await core.request({
    endpoint: "runAppAsync",
    query: runQuery(o),
    json: toApp(app),
    call: o,
  });
  const body = await readJson<{ name?: unknown; process_uuid?: unknown }>(res, res.url);
  if (typeof body.name !== "string" || typeof body.process_uuid !== "string") {
    throw new AppMeshResponseError(res.url, "name and process_uuid", "got neither");
  }
  return { appName: body.name, processUuid: body.process_uuid, node: core.node };
}

/**
 * Cross-origin, `X-Exit-Code` is unreadable: the exit shows in the app's JSON instead (no
 * `pid`, a `return_code`). Undefined while the process runs.
 */
async function exitedWith(node: Core, run: RunRef, o: WaitOptions) {
  const options = { signal: o.signal, headers: o.headers };
  const app = await call(node, "getApp", { params: { name: run.appName }, call: options }) as App;
  return app.pid === undefined && typeof app.return_code === "number" ? app.return_code : undefined;
}

/** `waitForAsyncRun`: long-polls the run's node until `X-Exit-Code`. */
export async function waitForAsyncRun(
  core: Core,
  run: RunRef,
  o: WaitOptions = {},
): Promise<number | undefined> {
  // A private view on the run's node: nobody else's forwardTo changes can move it.
  const node = core.forNode(run.node);
  const deadline = o.timeout ? Date.now() + o.timeout : undefined;
  const most = Math.max(
    1,
    Math.round(o.pollTimeout ?? (o.onOutput ? LIVE_POLL_SECONDS : QUIET_POLL_SECONDS)),
  );
  let position = 0;
  while (true) {
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if (left !== undefined && left <= 0) return undefined;
    const poll = left === undefined ? most : Math.max(1, Math.min(most, Math.floor(left / 1000)));
    const asked = Date.now();
    const out = await getAppOutput(node, run.appName, {
      stdoutPosition: position,
      processUuid: run.processUuid,
      timeout: poll,
      signal: o.signal,
      headers: o.headers,
    });
    if (out.output) o.onOutput?.(out.output);
    if (out.outPosition !== undefined) position = out.outPosition;
    let exitCode = out.exitCode;
    if (exitCode === undefined && !out.output && core.browser === "cross-origin") {
      // A long-poll that brought nothing: the process exited, or the poll's time ran out.
      exitCode = await exitedWith(node, run, o);
      // What the process wrote between that read and its exit.
      while (exitCode !== undefined) {
        const rest = await getAppOutput(node, run.appName, {
          stdoutPosition: position,
          processUuid: run.processUuid,
          signal: o.signal,
          headers: o.headers,
        });
        if (!rest.output) break;
        o.onOutput?.(rest.output);
        position = rest.outPosition ?? position;
      }
    }
    if (exitCode !== undefined) {
      if (o.deleteApp ?? true) {
        try {
          await deleteApp(node, run.appName, { signal: o.signal });
        } catch (e) {
          // Best effort: the exit code is the result, whatever happens to the cleanup.
          core.logger.warn?.(
            `could not delete run app ${run.appName}: ${(e as Error)?.message ?? e}`,
          );
        }
      }
      return exitCode;
    }
    if (!out.output && Date.now() - asked < 500) {
      // A server that ignores the long-poll `timeout` must not be hammered.
      await sleep(500, o.signal);
    }
  }
}

/**
 * `runAppSync`: 200 whatever the exit code; errors raise. Cross-origin, the answer's
 * `X-Exit-Code` is unreadable, so the run goes through `runAppAsync` and `waitForAsyncRun`
 * (output and exit code alike, the run app deleted after).
 */
export async function runAppSync(
  core: Core,
  app: App | string,
  o: RunOptions = {},
): Promise<SyncRunResult> {
  if (core.browser === "cross-origin") {
    const run = await runAppAsync(core, app, o);
    let output = "";
    const exitCode = await waitForAsyncRun(core, run, {
      signal: o.signal,
      headers: o.headers,
      onOutput: (chunk) => output += chunk,
    });
    return { exitCode, output };
  }
  const query = runQuery(o);
  const res = await core.request({
    endpoint: "runAppSync",
    query,
    json: toApp(app),
    wait: query.timeout * 1000,
    call: o,
  });
  const output = await res.text();
  return { exitCode: intHeader(res, "X-Exit-Code", res.url), output };
}

/** `runTask`: the app's answer, as text. */
export async function runTask(
  core: Core,
  name: string,
  data: string,
  o: TaskOptions = {},
): Promise<string> {
  const timeout = durationSeconds(o.timeout ?? 300);
  return await core.text({
    endpoint: "runTask",
    params: { name },
    query: { timeout },
    body: data,
    wait: timeout * 1000,
    call: o,
  });
}

/** `cancelTask`: false on 208 (nothing pending). */
export async function cancelTask(core: Core, name: string, o: CallOptions = {}): Promise<boolean> {
  const res = await core.request({
    endpoint: "cancelTask",
    params: { name },
    expect: [208],
    call: o,
  });
  await res.body?.cancel();
  return res.status !== 208;
}
