/**
 * The network layer of the local server: one `node:http`/`node:https` listener per node. Node's
 * objects become fetch's `Request`/`Response` in `node_adapter.ts`; the answer comes from a
 * fetch-style handler (the node's pipeline, `pipeline.ts`); the listener adds only what belongs
 * to the wire: the daemon's header capitalisation, security and CORS headers, HEAD, injected
 * mid-body cuts, oversized heads, and closing every connection on stop.
 *
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import type { FaultState } from "./faults.ts";
import { HttpError } from "./http.ts";
import { toRequest, writeResponse } from "./node_adapter.ts";
import { errorResponse } from "./pipeline.ts";

/**
 * What the listeners of one server share.
 *
 * @example
 * ```ts
 * import { FaultState } from "./faults.ts";
 * import type { ListenContext } from "./server.ts";
 * const lc: ListenContext = { faults: new FaultState(), bindHost: "127.0.0.1" };
 * ```
 */
export interface ListenContext {
  /** Injected faults (the listener applies the mid-body cuts). */
  faults: FaultState;
  /** Bind address. */
  bindHost: string;
  /** TLS material; undefined serves plain HTTP. */
  tls?: { key: string; cert: string; ca: string; verifyClient: boolean };
  /** Request log. */
  logger?: (line: string) => void;
}

/**
 * What a listener hands each request to.
 *
 * @example
 * ```ts
 * import type { ListenTarget } from "./server.ts";
 * const target: ListenTarget = {
 *   fetch: () => Promise.resolve(new Response("hi")),
 *   cors: () => true,
 * };
 * ```
 */
export interface ListenTarget {
  /** The node's pipeline. */
  fetch(req: Request): Promise<Response>;
  /** Whether answers carry CORS headers (`REST.CorsDisabled` off). */
  cors(): boolean;
}

/**
 * One listening socket.
 *
 * @example
 * ```ts
 * import type { Listener } from "./server.ts";
 * const where = (l: Listener) => `${l.name} at ${l.url}`;
 * ```
 */
export interface Listener {
  /** Port bound. */
  port: number;
  /** Base URL (`https://127.0.0.1:PORT`). */
  url: string;
  /** `HOST:PORT` as `X-Target-Host` names it. */
  name: string;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/**
 * Starts one node's listener: every request goes to `target.fetch`.
 *
 * @example
 * ```ts
 * import { FaultState } from "./faults.ts";
 * import { listenNode } from "./server.ts";
 * const listener = await listenNode(
 *   { faults: new FaultState(), bindHost: "127.0.0.1" },
 *   { fetch: () => Promise.resolve(new Response("hi")), cors: () => true },
 *   0,
 * );
 * console.log(await (await fetch(listener.url)).text()); // hi
 * await listener.close();
 * ```
 */
export async function listenNode(
  lc: ListenContext,
  target: ListenTarget,
  port: number,
): Promise<Listener> {
  const sockets = new Set<Socket>();
  const scheme = lc.tls ? "https" : "http";
  // A wildcard bind is reached through loopback (the certificate names 127.0.0.1 and ::1).
  const reachable = lc.bindHost === "0.0.0.0"
    ? "127.0.0.1"
    : lc.bindHost === "::"
    ? "::1"
    : lc.bindHost;
  const hostForUrl = reachable.includes(":") ? `[${reachable}]` : reachable;
  const runtime: Listener = { port, url: "", name: "", close: () => Promise.resolve() };
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
        response = await target.fetch(
          toRequest(req, { base, signal: abort.signal, finished: () => finished }),
        );
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
        cors: target.cors(),
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
  runtime.name = `${hostForUrl}:${runtime.port}`;
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
