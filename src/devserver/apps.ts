/**
 * Routes of the apps area: apps (list, view, register, delete, enable, disable, health),
 * one-shot runs (`run`, `syncrun`) and output. The app model lives in `app_model.ts`, the
 * per-node store that supervises the processes in `app_store.ts`; both are re-exported here.
 *
 * @module
 */
import {
  type App,
  badRequest,
  type JsonObject,
  normalizeAppName,
  parseDefinition,
} from "./app_model.ts";
import { appStore, requestedApp } from "./app_requests.ts";
import type { RequestContext, Route } from "./context.ts";
import { empty, json, lifecycleParams, plainBytes, readJson, text } from "./http.ts";
import { VIEW_DEFAULT_SIZE } from "./output.ts";
import { outputRoute } from "./output_routes.ts";
import { type ProcessRun, shortId } from "./processes.ts";

export {
  App,
  type AppDefinition,
  formatLocalTime,
  type JsonObject,
  normalizeAppName,
  parseDefinition,
} from "./app_model.ts";
export { type AppStore, createAppStore } from "./app_store.ts";

/** Builds the one-shot app of a run request (`parseAndRegRunApp`). */
async function runApp(ctx: RequestContext, lifecycle: number): Promise<App> {
  const s = appStore(ctx);
  const body = await readJson(ctx.req);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("Should specify command run application");
  }
  let o = { ...(body as JsonObject) };
  if (typeof o.name === "string" && o.name.length > 0) {
    const name = normalizeAppName(o.name);
    const from = s.get(name);
    if (from) {
      s.checkAccess(ctx.user, from, false);
      if (o.command !== undefined) {
        throw badRequest(`Should not specify command for an existing application <${name}>`);
      }
      const copy = { ...from.toJson(), sec_env: from.def.secEnv } as JsonObject;
      for (const k of ["metadata", "env", "sec_env"]) if (o[k] !== undefined) copy[k] = o[k];
      copy.name = s.runName(name);
      o = copy;
    } else if (o.command === undefined) {
      throw badRequest("Should specify command to run application");
    }
  } else {
    if (o.command === undefined) throw badRequest("Should specify command run application");
    o.name = shortId();
  }
  if (lifecycle === 0) throw badRequest("Zero timeout and lifecycle speficied");
  const def = parseDefinition(o);
  const app = s.register(def, ctx.user?.name ?? "", ctx.user?.group ?? "", true);
  s.scheduleRemoval(app, lifecycle);
  return app;
}

/** Registers the one-shot app of a run request and starts it (the app goes if it cannot). */
async function startRun(ctx: RequestContext): Promise<{ app: App; run: ProcessRun }> {
  const s = appStore(ctx);
  const { timeout, lifecycle } = lifecycleParams(ctx.url);
  const app = await runApp(ctx, lifecycle);
  try {
    return { app, run: s.start(app, timeout) };
  } catch (e) {
    s.remove(app);
    throw e;
  }
}

/** Routes of the apps area (apps, runs, output, health). */
export const appRoutes: Route[] = [
  {
    method: "GET",
    path: "/appmesh/applications",
    auth: true,
    permission: "app-view-all",
    handler: (ctx) => {
      const s = appStore(ctx);
      const apps = s.list().filter((a) => s.allowed(ctx.user, s.get(a.name as string)!, false));
      return json(200, apps);
    },
  },
  {
    method: "GET",
    path: "/appmesh/app/:name",
    auth: true,
    permission: "app-view",
    handler: (ctx) => json(200, requestedApp(ctx, false).toJson()),
  },
  {
    method: "PUT",
    path: "/appmesh/app/:name",
    auth: true,
    permission: "app-reg",
    handler: async (ctx) => {
      const s = appStore(ctx);
      const def = parseDefinition(await readJson(ctx.req));
      const old = s.get(def.name);
      if (old) s.checkAccess(ctx.user, old, true);
      const app = s.register(def, ctx.user?.name ?? "", ctx.user?.group ?? "");
      return json(200, app.toJson());
    },
  },
  {
    method: "DELETE",
    path: "/appmesh/app/:name",
    auth: true,
    handler: (ctx) => {
      const s = appStore(ctx);
      const app = s.get(ctx.params.name);
      if (!app) return empty(404);
      // Deleting one's own app needs no app-delete permission (the daemon's owner shortcut).
      if (app.owner !== ctx.user?.name) ctx.require("app-delete");
      s.checkAccess(ctx.user, app, true);
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
      const app = requestedApp(ctx, true);
      appStore(ctx).enable(app);
      return json(200, { message: `Enable <${app.name}> success.` });
    },
  },
  {
    method: "POST",
    path: "/appmesh/app/:name/disable",
    auth: true,
    permission: "app-control",
    handler: (ctx) => {
      const app = requestedApp(ctx, true);
      appStore(ctx).disable(app);
      return json(200, { message: `Disable <${app.name}> success.` });
    },
  },
  {
    method: "GET",
    path: "/appmesh/app/:name/health",
    auth: false,
    handler: (ctx) => text(200, String(appStore(ctx).mustGet(ctx.params.name).health)),
  },
  {
    method: "POST",
    path: "/appmesh/app/run",
    auth: true,
    permission: "app-run-async",
    handler: async (ctx) => {
      const { app, run } = await startRun(ctx);
      return json(200, { name: app.name, process_uuid: run.uuid });
    },
  },
  {
    method: "POST",
    path: "/appmesh/app/syncrun",
    auth: true,
    permission: "app-run-sync",
    handler: async (ctx) => {
      const { app, run } = await startRun(ctx);
      const code = await run.done;
      // As the daemon: the answer holds at most the first 3 MiB of the output.
      const { data, next } = run.output.read(0, VIEW_DEFAULT_SIZE);
      appStore(ctx).remove(app);
      return plainBytes(data, {
        "X-Exit-Code": String(code),
        "X-Output-Position": String(next),
      });
    },
  },
  outputRoute,
];
