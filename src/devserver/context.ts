/**
 * What a route sees: the node that received the request (`NodeHandle`, its typed per-node
 * state), the request context, and the route table's row shape (method, path pattern, token,
 * permission, fetch-style handler). Above the model files (it names their stores), below the
 * route files and the pipeline.
 *
 * @module
 */
import type { AppStore } from "./app_store.ts";
import type { AuthUser } from "./http.ts";
import type { Identity } from "./identity.ts";
import type { NodeInfo } from "./node_info.ts";
import type { SystemStore } from "./system_store.ts";

/**
 * What every node of one server shares.
 *
 * @example
 * ```ts
 * import type { ServerShared } from "./context.ts";
 * import { Identity } from "./identity.ts";
 * const identity = await Identity.create({ jwtKey: new Uint8Array(32) });
 * const shared: ServerShared = { identity, tls: false, legacyCsrf: false };
 * ```
 */
export interface ServerShared {
  /** Users, roles, keys, revocations. */
  identity: Identity;
  /** Served over TLS (the cookie's `Secure`). */
  tls: boolean;
  /** Emulate older daemons' CSRF cookie + `X-CSRF-Token` header. */
  legacyCsrf: boolean;
}

/**
 * One node's whole state, typed: its facts (`NodeInfo`), what it shares with the other nodes of
 * its server, and its own stores. Nothing here knows about sockets: a node is served by the
 * fetch pipeline (`pipeline.ts`), whether a listener or a forwarding node hands it the request.
 *
 * @example
 * ```ts
 * import type { NodeHandle } from "./context.ts";
 * const describe = (node: NodeHandle) => `${node.name}: ${node.apps.count()} apps`;
 * ```
 */
export interface NodeHandle extends NodeInfo {
  /** Shared by every node of the server. */
  readonly shared: ServerShared;
  /** Labels, configuration and metrics of this node. */
  readonly system: SystemStore;
  /** Apps, their processes and output on this node. */
  readonly apps: AppStore;
}

/**
 * One request, as a handler sees it.
 *
 * @example
 * ```ts
 * import type { RequestContext } from "./context.ts";
 * const appName = (ctx: RequestContext) => ctx.params.name;
 * ```
 */
export interface RequestContext {
  /** The request; its body is a stream and is read at most once. */
  req: Request;
  /** Parsed URL. */
  url: URL;
  /** Path parameters, URL-decoded (`:name` → `params.name`). */
  params: Record<string, string>;
  /** The caller, for routes declared with `auth: true`. */
  user?: AuthUser;
  /** The node that received the request. */
  node: NodeHandle;
  /**
   * Throws the daemon's answer for a missing permission (400 `Permission denied: user 'x'
   * lacks required permission 'p'`). For checks the daemon does after others (e.g. 404 first).
   */
  require(permission: string): void;
}

/**
 * A handler. Throw `HttpError` for error answers.
 *
 * @example
 * ```ts
 * import type { Handler } from "./context.ts";
 * import { json } from "./http.ts";
 * const labels: Handler = (ctx) => json(200, Object.fromEntries(ctx.node.system.labels));
 * ```
 */
export type Handler = (ctx: RequestContext) => Response | Promise<Response>;

/**
 * One entry of the route table.
 *
 * @example
 * ```ts
 * import type { Route } from "./context.ts";
 * import { json } from "./http.ts";
 * const route: Route = {
 *   method: "GET",
 *   path: "/appmesh/labels",
 *   auth: true,
 *   permission: "label-view",
 *   handler: (ctx) => json(200, Object.fromEntries(ctx.node.system.labels)),
 * };
 * ```
 */
export interface Route {
  /** HTTP method. */
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path pattern with `:param` segments, e.g. `/appmesh/app/:name/output`. */
  path: string;
  /** A token is required (401 without one). */
  auth: boolean;
  /** Permission checked before the handler runs (omit when the handler checks it itself). */
  permission?: string;
  /** The handler. */
  handler: Handler;
}
