/**
 * The network layer of the local server: one `node:http`/`node:https` listener per node (Node's
 * objects become fetch's `Request`/`Response` in `node_adapter.ts`), and the dispatcher that
 * answers as the daemon's Worker does: CSRF first, then `X-Target-Host` forwarding, then the
 * route table with token and permission checks, the daemon's 404s, CORS and security headers on
 * every answer.
 *
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import { authenticate, csrfViolation, permissionDenied, sharedOf } from "./auth.ts";
import { forward, forwardFailure, resolveTarget } from "./cluster.ts";
import type { FaultState } from "./faults.ts";
import { HttpError, json, type NodeHandle, type RequestContext } from "./http.ts";
import { toRequest, writeResponse } from "./node_adapter.ts";
import type { Router } from "./routes.ts";
import { systemOf } from "./system.ts";

/** Methods the daemon hands to its REST handler; any other gets `{"error":"Route not found"}`. */
const REST_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];
/** Methods the metrics name; any other is counted as `OTHER`. */
const METRIC_METHODS = new Set([...REST_METHODS, "HEAD"]);

/** One running node. */
export interface NodeRuntime {
  /** What handlers see. */
  handle: NodeHandle;
  /** Port. */
  port: number;
  /** Base URL. */
  url: string;
  /** Serves a request (dispatch + metrics), for the listener and for forwarding. */
  serve(req: Request): Promise<Response>;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** What the listeners of one server share. */
export interface ListenContext {
  /** The route table. */
  router: Router;
  /** Injected faults (shared by all nodes). */
  faults: FaultState;
  /** Every node of the server (forwarding targets). */
  nodes: NodeRuntime[];
  /** Bind address. */
  bindHost: string;
  /** TLS material; undefined serves plain HTTP. */
  tls?: { key: string; cert: string; ca: string; verifyClient: boolean };
  /** Request log. */
  logger?: (line: string) => void;
}

function errorResponse(e: unknown, logger?: (line: string) => void): Response {
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
  lc: ListenContext,
  node: NodeRuntime,
  req: Request,
  url: URL,
  meta: { label: string; counted: boolean; started: boolean },
  metricMethod: string,
): Promise<Response> {
  const method = req.method.toUpperCase();
  const path = url.pathname.replace(/\/{2,}/g, "/");
  // As the daemon: the request is counted under its route before CSRF and forwarding.
  const match = REST_METHODS.includes(method) ? lc.router.match(method, path) : undefined;
  if (match) meta.label = match.label;
  if (meta.counted) {
    systemOf(node.handle).metrics.start(metricMethod, meta.label);
    meta.started = true;
  }
  const csrf = csrfViolation(node.handle, req, systemOf(node.handle).csrfAllowedOrigins());
  if (csrf) return errorResponse(csrf);

  const target = req.headers.get("x-target-host");
  if (target !== null) {
    const to = resolveTarget(target, node, lc.nodes, lc.bindHost);
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
    node: node.handle,
    require(permission: string) {
      if (!ctx.user) throw new HttpError(401, "No authentication token provided");
      if (!ctx.user.permissions.has(permission)) throw permissionDenied(ctx.user.name, permission);
    },
  };
  if (match.route.auth) {
    const { user, token } = await authenticate(node.handle, req);
    ctx.user = sharedOf(node.handle).identity.authUser(user, token);
    if (match.route.permission) ctx.require(match.route.permission);
  }
  return await match.route.handler(ctx);
}

/** The node's full pipeline minus the network: dispatch, error mapping, metrics. */
async function serve(lc: ListenContext, node: NodeRuntime, req: Request): Promise<Response> {
  const started = performance.now();
  const url = new URL(req.url);
  const path = url.pathname;
  const metrics = systemOf(node.handle).metrics;
  const method = METRIC_METHODS.has(req.method) ? req.method : "OTHER";
  // As the daemon: the metrics endpoint does not count itself.
  const meta = { label: "unmatched", counted: path !== "/appmesh/metrics", started: false };
  let res: Response;
  try {
    res = await dispatch(lc, node, req, url, meta, method);
  } catch (e) {
    res = errorResponse(e, lc.logger);
  }
  if (meta.counted) {
    if (!meta.started) metrics.start(method, meta.label);
    metrics.finish(method, meta.label, res.status, (performance.now() - started) / 1000);
  }
  lc.logger?.(`${node.handle.name} ${req.method} ${path} ${res.status}`);
  return res;
}

/** Starts one node's listener. */
export async function listenNode(
  lc: ListenContext,
  handle: NodeHandle,
  port: number,
): Promise<NodeRuntime> {
  const sockets = new Set<Socket>();
  const scheme = lc.tls ? "https" : "http";
  // A wildcard bind is reached through loopback (the certificate names 127.0.0.1 and ::1).
  const reachable = lc.bindHost === "0.0.0.0"
    ? "127.0.0.1"
    : lc.bindHost === "::"
    ? "::1"
    : lc.bindHost;
  const hostForUrl = reachable.includes(":") ? `[${reachable}]` : reachable;
  const runtime: NodeRuntime = {
    handle,
    port,
    url: "",
    serve: (req) => serve(lc, runtime, req),
    close: () => Promise.resolve(),
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let finished = false;
    const abort = new AbortController();
    res.on("close", () => {
      finished = true;
      if (!res.writableFinished) abort.abort();
    });
    req.on("error", () => {});
    res.on("error", () => {});
    (async () => {
      const base = `${scheme}://${hostForUrl}:${runtime.port}`;
      let path = "/";
      try {
        path = new URL(req.url ?? "/", base).pathname;
      } catch {
        // answered as a 404 by dispatch
      }
      let response: Response;
      try {
        await lc.faults.delay(path);
        if (lc.faults.shouldFail(path)) {
          response = json(503, { message: "Injected fault" });
        } else {
          response = await runtime.serve(
            toRequest(req, { base, signal: abort.signal, finished: () => finished }),
          );
        }
      } catch (e) {
        response = errorResponse(
          e instanceof TypeError ? new HttpError(400, "Bad request") : e,
          lc.logger,
        );
      }
      if (finished) {
        await response.body?.cancel().catch(() => {});
        return;
      }
      await writeResponse(res, response, {
        cors: !systemOf(runtime.handle).corsDisabled(),
        cut: lc.faults.shouldCut(path),
        head: req.method === "HEAD",
      });
    })().catch((e) => {
      lc.logger?.(`response failed: ${e instanceof Error ? e.message : String(e)}`);
      try {
        res.destroy();
      } catch {
        // already gone
      }
    });
  };
  const options: http.ServerOptions = { maxHeaderSize: 64 * 1024, keepAlive: true };
  const server = lc.tls
    ? https.createServer({
      ...options,
      key: lc.tls.key,
      cert: lc.tls.cert,
      ca: lc.tls.ca,
      requestCert: lc.tls.verifyClient,
      rejectUnauthorized: lc.tls.verifyClient,
    }, onRequest)
    : http.createServer(options, onRequest);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // long-polls and big uploads must not be cut by the server
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("error", () => {});
    s.once("close", () => sockets.delete(s));
  };
  server.on("connection", track);
  server.on("secureConnection", track);
  server.on("clientError", (err: Error & { code?: string }, socket: Socket) => {
    // Oversized or malformed request heads: answer as Node would, never crash.
    if (socket.writable) {
      const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      socket.end(
        `HTTP/1.1 ${status} Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    } else {
      socket.destroy();
    }
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, lc.bindHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (e) => lc.logger?.(`listener error: ${e.message}`));
  const addr = server.address();
  runtime.port = typeof addr === "object" && addr ? addr.port : port;
  runtime.url = `${scheme}://${hostForUrl}:${runtime.port}`;
  handle.port = runtime.port;
  handle.name = `${hostForUrl}:${runtime.port}`;
  runtime.close = () =>
    new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          clearTimeout(timer);
          resolve();
        }
      };
      server.close(() => finish());
      for (const s of sockets) s.destroy();
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      // Some runtimes never call back when a connection was torn down mid-request.
      const timer = setTimeout(finish, 2_000);
    });
  return runtime;
}
