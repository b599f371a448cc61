/**
 * The fetch pipeline of one node: `Request` → `Response`, apart from any socket. Injected
 * faults first, then as the daemon's Worker: the request counted under its route, CSRF,
 * `X-Target-Host` forwarding to another node of the mesh, the route table with token and
 * permission checks, the daemon's 404s, errors mapped to their answers. The `node:http`
 * listener (`server.ts`) only turns sockets into `Request`s and writes the `Response` with the
 * wire headers (security, CORS); a test or a node reached only through forwarding calls
 * `fetch` directly.
 *
 * @module
 */
import { authenticate, csrfViolation, permissionDenied } from "./auth.ts";
import { type ClusterNode, forward, forwardFailure, resolveTarget } from "./cluster.ts";
import type { NodeHandle, RequestContext } from "./context.ts";
import type { FaultState } from "./faults.ts";
import { HttpError, json } from "./http.ts";
import type { Router } from "./routes.ts";

/** Methods the daemon hands to its REST handler; any other gets `{"error":"Route not found"}`. */
const REST_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];
/** Methods the metrics name; any other is counted as `OTHER`. */
const METRIC_METHODS = new Set([...REST_METHODS, "HEAD"]);

/**
 * What the nodes of one server share while serving.
 *
 * @example
 * ```ts
 * import { FaultState } from "./faults.ts";
 * import type { Mesh } from "./pipeline.ts";
 * import { allRoutes, Router } from "./routes.ts";
 * const mesh: Mesh = {
 *   router: new Router(allRoutes()),
 *   faults: new FaultState(),
 *   nodes: [],
 *   bindHost: "127.0.0.1",
 * };
 * ```
 */
export interface Mesh {
  /** The route table. */
  router: Router;
  /** Injected faults (shared by all nodes). */
  faults: FaultState;
  /**
   * Every node a request can be forwarded to (`X-Target-Host`), found by port. A node reached
   * only through forwarding is `serveNode(mesh, createNodeState(...))` added here under a port
   * no listener holds: it has its own apps, processes and files, and no socket.
   */
  nodes: ClusterNode[];
  /** Bind address (which `X-Target-Host` names are this machine). */
  bindHost: string;
  /** Request log. */
  logger?: (line: string) => void;
}

/**
 * One node being served: its state and its fetch-style entry points (see `serveNode`).
 *
 * @example
 * ```ts
 * import type { ServedNode } from "./pipeline.ts";
 * const answer = (node: ServedNode) => node.fetch(new Request(`http://127.0.0.1:${node.port}/`));
 * ```
 */
export interface ServedNode extends ClusterNode {
  /** The node's typed state. */
  readonly state: NodeHandle;
  /** Port the node answers on (`state.port`). */
  readonly port: number;
  /** The answer without injected faults (what a forwarded request gets). */
  serve(req: Request): Promise<Response>;
  /** The whole pipeline: injected faults, then `serve`. */
  fetch(req: Request): Promise<Response>;
}

/**
 * Serves a node's state through the mesh's pipeline. Add the result to `mesh.nodes` to make it
 * a forwarding target.
 *
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FaultState } from "./faults.ts";
 * import { Identity } from "./identity.ts";
 * import { createNodeState } from "./node_state.ts";
 * import { type Mesh, type ServedNode, serveNode } from "./pipeline.ts";
 * import { allRoutes, Router } from "./routes.ts";
 *
 * const identity = await Identity.create({ jwtKey: crypto.getRandomValues(new Uint8Array(32)) });
 * const nodes: ServedNode[] = [];
 * const mesh: Mesh = {
 *   router: new Router(allRoutes()),
 *   faults: new FaultState(),
 *   nodes,
 *   bindHost: "127.0.0.1",
 * };
 * const state = createNodeState(
 *   { name: "127.0.0.1:7001", port: 7001, stateDir: await mkdtemp(join(tmpdir(), "node-")) },
 *   { identity, tls: false, legacyCsrf: false },
 *   { host: "127.0.0.1", issuer: identity.tokens.issuer, verifyClient: false },
 * );
 * const node = serveNode(mesh, state);
 * nodes.push(node); // now a forwarding target too
 * const res = await node.fetch(new Request("http://127.0.0.1:7001/appmesh/labels"));
 * console.log(res.status); // 401: no token
 * await res.body?.cancel();
 * await state.apps.close();
 * ```
 */
export function serveNode(mesh: Mesh, state: NodeHandle): ServedNode {
  const node: ServedNode = {
    state,
    get port() {
      return state.port;
    },
    serve: (req) => serve(mesh, node, req),
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      await mesh.faults.delay(path);
      if (mesh.faults.shouldFail(path)) return json(503, { message: "Injected fault" });
      return await serve(mesh, node, req);
    },
  };
  return node;
}

/**
 * The answer for a thrown error: an `HttpError`'s status, body and headers; anything else a
 * logged 500 `Internal server error`.
 *
 * @example
 * ```ts
 * import { HttpError } from "./http.ts";
 * import { errorResponse } from "./pipeline.ts";
 * console.log(errorResponse(new HttpError(404, "No such application")).status); // 404
 * ```
 */
export function errorResponse(e: unknown, logger?: (line: string) => void): Response {
  if (e instanceof HttpError) {
    const headers = { ...e.headers };
    if (e.body === null || e.body === undefined) {
      return new Response(null, { status: e.status, headers });
    }
    if (typeof e.body === "string") {
      return new Response(e.body, {
        status: e.status,
        headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
      });
    }
    return json(e.status, e.body, headers);
  }
  logger?.(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return json(500, { message: "Internal server error" });
}

/** Serves one request on a node, as the daemon's Worker::process does. */
async function dispatch(
  mesh: Mesh,
  node: ServedNode,
  req: Request,
  url: URL,
  meta: { label: string; counted: boolean; started: boolean },
  metricMethod: string,
): Promise<Response> {
  const method = req.method.toUpperCase();
  const path = url.pathname.replace(/\/{2,}/g, "/");
  // As the daemon: the request is counted under its route before CSRF and forwarding.
  const match = REST_METHODS.includes(method) ? mesh.router.match(method, path) : undefined;
  if (match) meta.label = match.label;
  if (meta.counted) {
    node.state.system.metrics.start(metricMethod, meta.label);
    meta.started = true;
  }
  const csrf = csrfViolation(node.state, req, node.state.system.csrfAllowedOrigins());
  if (csrf) return errorResponse(csrf);

  const target = req.headers.get("x-target-host");
  if (target !== null) {
    const to = resolveTarget(target, node, mesh.nodes, mesh.bindHost);
    if (!to) return forwardFailure();
    return await forward(req, to);
  }

  if (!REST_METHODS.includes(method)) {
    return new Response('{"error":"Route not found"}', {
      status: 404,
      headers: { "Content-Type": "application/json" },
    });
  }
  if (method === "OPTIONS") return new Response(null, { status: 200 });
  if (!match) throw new HttpError(404, `Path not found ${method}:${path}`);

  const ctx: RequestContext = {
    req,
    url,
    params: match.params,
    node: node.state,
    require(permission: string) {
      if (!ctx.user) throw new HttpError(401, "No authentication token provided");
      if (!ctx.user.permissions.has(permission)) throw permissionDenied(ctx.user.name, permission);
    },
  };
  if (match.route.auth) {
    const { user, token } = await authenticate(node.state, req);
    ctx.user = node.state.shared.identity.authUser(user, token);
    if (match.route.permission) ctx.require(match.route.permission);
  }
  return await match.route.handler(ctx);
}

/** A node's answer without faults: dispatch, error mapping, metrics (forwarding lands here). */
async function serve(mesh: Mesh, node: ServedNode, req: Request): Promise<Response> {
  const started = performance.now();
  const url = new URL(req.url);
  const path = url.pathname;
  const metrics = node.state.system.metrics;
  const method = METRIC_METHODS.has(req.method) ? req.method : "OTHER";
  // As the daemon: the metrics endpoint does not count itself.
  const meta = { label: "unmatched", counted: path !== "/appmesh/metrics", started: false };
  let res: Response;
  try {
    res = await dispatch(mesh, node, req, url, meta, method);
  } catch (e) {
    res = errorResponse(e, mesh.logger);
  }
  if (meta.counted) {
    if (!meta.started) metrics.start(method, meta.label);
    metrics.finish(method, meta.label, res.status, (performance.now() - started) / 1000);
  }
  mesh.logger?.(`${node.state.name} ${req.method} ${path} ${res.status}`);
  return res;
}
