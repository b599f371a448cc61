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

/** What every node of one server shares. */
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
 */
export interface NodeHandle extends NodeInfo {
  /** Shared by every node of the server. */
  readonly shared: ServerShared;
  /** Labels, configuration and metrics of this node. */
  readonly system: SystemStore;
  /** Apps, their processes and output on this node. */
  readonly apps: AppStore;
}

/** One request, as a handler sees it. */
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

/** A handler. Throw `HttpError` for error answers. */
export type Handler = (ctx: RequestContext) => Response | Promise<Response>;

/** One entry of the route table. */
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
