/**
 * The output route of the apps area: `GET /appmesh/app/{name}/output`, reading a run's
 * `OutputLog` (held until the exit when asked to, as the daemon does).
 *
 * @module
 */
import { requestedApp } from "./app_requests.ts";
import type { Route } from "./context.ts";
import { empty, plainBytes, queryValue } from "./http.ts";
import { type OutputLog, type OutputSlice, VIEW_DEFAULT_SIZE } from "./output.ts";
import type { ProcessRun } from "./processes.ts";

/** Resolves when `run` exits, after `ms`, or when `signal` aborts, whichever comes first. */
function untilExit(run: ProcessRun, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    run.done.then(done, done);
  });
}

/**
 * `GET /appmesh/app/{name}/output`: the output from `stdout_position` (at most
 * `stdout_maxsize`), of run `stdout_index` (0 current), checked against `process_uuid` (417
 * when it is not the current run). With `timeout=N` it is held until the exit or N seconds,
 * as the daemon holds it, and answered once with everything since `stdout_position`.
 * `X-Output-Position` when the next position is not 0, `X-Exit-Code` once exited.
 */
export const outputRoute: Route = {
  method: "GET",
  path: "/appmesh/app/:name/output",
  auth: true,
  permission: "app-output-view",
  handler: async (ctx) => {
    const app = requestedApp(ctx, false);
    const url = ctx.url;
    const timeout = queryValue(url, "timeout", { fallback: 0 });
    const index = queryValue(url, "stdout_index", { fallback: 0 });
    const position = queryValue(url, "stdout_position", { fallback: 0 });
    const maxSize = queryValue(url, "stdout_maxsize", {
      fallback: VIEW_DEFAULT_SIZE,
      min: 1024,
      max: VIEW_DEFAULT_SIZE,
    });
    const uuid = url.searchParams.get("process_uuid") ?? "";
    let run = app.current;
    const matches = run !== undefined && (uuid === "" || run.uuid === uuid);
    if (matches && index === 0 && run!.running && timeout > 0) {
      // As the daemon: held until the process exits or `timeout` passes, then answered once.
      await untilExit(run!, timeout * 1000, ctx.req.signal);
    }
    run = app.current;
    let log: OutputLog | undefined;
    let finished = false;
    if (run && index === 0) {
      if (uuid !== "" && run.uuid !== uuid) return empty(417);
      log = run.output;
      finished = !run.running;
    } else {
      log = app.history.at(index);
    }
    if (!log) return empty(417);
    let slice: OutputSlice;
    try {
      slice = log.read(position, maxSize);
    } catch {
      return empty(417);
    }
    const headers: Record<string, string> = {};
    if (slice.next) headers["X-Output-Position"] = String(slice.next);
    if (finished) headers["X-Exit-Code"] = String(run!.exitCode);
    return plainBytes(slice.data, headers);
  },
};
