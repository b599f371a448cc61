/**
 * The routes of the tasks area: a client sends a task to a running app and waits for its reply
 * (`POST`/`DELETE`), the app fetches tasks and replies (`GET`/`PUT`, authenticated by its
 * process key). The queue itself is `TaskChannel` in `tasks.ts`.
 *
 * @module
 */
import { appStore, requestedApp } from "./app_requests.ts";
import type { Route } from "./context.ts";
import { empty } from "./http.ts";

/** Longest `timeout` a task request may ask for. */
const MAX_TIMEOUT = 3 * 24 * 3600;
/** `timeout` when absent or out of range. */
const DEFAULT_TASK_TIMEOUT = 300;

function timeoutParam(url: URL): number {
  const raw = url.searchParams.get("timeout");
  if (raw === null) return DEFAULT_TASK_TIMEOUT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_TIMEOUT) return DEFAULT_TASK_TIMEOUT;
  return n;
}

async function readBytes(req: Request): Promise<Uint8Array> {
  return new Uint8Array(await req.arrayBuffer());
}

/** Routes of the tasks area. */
export const taskRoutes: Route[] = [
  {
    method: "POST",
    path: "/appmesh/app/:name/task",
    auth: true,
    permission: "app-run-task",
    handler: async (ctx) => {
      const app = requestedApp(ctx, true);
      const payload = await readBytes(ctx.req);
      return await app.task.send(payload, timeoutParam(ctx.url));
    },
  },
  {
    method: "DELETE",
    path: "/appmesh/app/:name/task",
    auth: true,
    permission: "app-run-task",
    handler: (ctx) => {
      const app = requestedApp(ctx, true);
      return empty(app.task.cancel() ? 200 : 208);
    },
  },
  {
    method: "GET",
    path: "/appmesh/app/:name/task",
    auth: false,
    handler: (ctx) => {
      const app = appStore(ctx).mustGet(ctx.params.name);
      return app.task.fetch(ctx.url.searchParams.get("process_key") ?? "");
    },
  },
  {
    method: "PUT",
    path: "/appmesh/app/:name/task",
    auth: false,
    handler: async (ctx) => {
      const app = appStore(ctx).mustGet(ctx.params.name);
      const key = ctx.url.searchParams.get("process_key") ?? "";
      const body = await readBytes(ctx.req);
      return app.task.reply(key, body);
    },
  },
];
