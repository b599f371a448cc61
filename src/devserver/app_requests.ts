/**
 * What the routes of the apps area (apps, runs, output, tasks) share: the node's app store and
 * the app a request names (with the daemon's access check). The answers they give are built
 * with `http.ts`.
 *
 * @module
 */
import type { App } from "./app_model.ts";
import type { AppStore } from "./app_store.ts";
import type { RequestContext } from "./context.ts";

/** The app store of the node that received the request. */
export function appStore(ctx: RequestContext): AppStore {
  return ctx.node.apps;
}

/**
 * The app of the `:name` path parameter (404 `No such application`), checked for VIEW or EDIT
 * access (`write`) of the caller (400 when refused).
 */
export function requestedApp(ctx: RequestContext, write: boolean): App {
  const store = appStore(ctx);
  const app = store.mustGet(ctx.params.name);
  store.checkAccess(ctx.user, app, write);
  return app;
}
