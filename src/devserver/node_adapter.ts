/**
 * The adapter between Node's `node:http`/`node:https` request/response objects and fetch's
 * `Request`/`Response`, so that the dispatcher is one fetch-style handler: request bodies and
 * response bodies stream both ways with backpressure; response headers get the daemon's
 * capitalisation, security headers and (unless disabled) CORS headers.
 *
 * @module
 */
import type * as http from "node:http";

/** Options of `toRequest`. */
export interface ToRequestOptions {
  /** Origin the request's target is resolved against (`https://127.0.0.1:6060`). */
  base: string;
  /** Aborted when the client goes away before the answer is written. */
  signal: AbortSignal;
  /** True once the Node response is done: later body chunks are dropped. */
  finished: () => boolean;
}

/** Fetch `Request` from a Node request; the body streams with backpressure. */
export function toRequest(req: http.IncomingMessage, options: ToRequestOptions): Request {
  const { base, signal, finished } = options;
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // a header fetch refuses (invalid name/value): dropped, as a proxy would
    }
  }
  const method = (req.method ?? "GET").toUpperCase();
  let target = req.url ?? "/";
  if (!target.startsWith("/")) {
    try {
      const u = new URL(target);
      target = u.pathname + u.search;
    } catch {
      target = "/" + target;
    }
  }
  const url = new URL(target.replace(/^\/{2,}/, "/"), base);
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    let closed = false;
    init.body = new ReadableStream<Uint8Array>({
      start(c) {
        req.on("data", (chunk: Uint8Array) => {
          if (closed || finished()) return;
          c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((c.desiredSize ?? 1) <= 0) req.pause();
        });
        req.on("end", () => {
          if (!closed) {
            closed = true;
            c.close();
          }
        });
        req.on("error", (e) => {
          if (!closed) {
            closed = true;
            c.error(e);
          }
        });
        req.on("close", () => {
          if (!closed && !req.complete) {
            closed = true;
            c.error(new Error("client closed the connection"));
          }
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        closed = true;
        req.resume(); // drain, so that keep-alive can go on
      },
    }, { highWaterMark: 4 });
    init.duplex = "half";
  }
  return new Request(url, init);
}

const STANDARD_HEADERS: [string, string][] = [
  ["Strict-Transport-Security", "max-age=31536000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
];
const CORS_HEADERS: [string, string][] = [
  ["Access-Control-Allow-Headers", "Authorization, Content-Type"],
  ["Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"],
  ["Access-Control-Allow-Origin", "*"],
];

/** `x-exit-code` → `X-Exit-Code`: fetch lower-cases names; the daemon sends them capitalised. */
function canonicalHeader(name: string): string {
  if (name === "www-authenticate") return "WWW-Authenticate";
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Options of `writeResponse`. */
export interface WriteResponseOptions {
  /** Add the daemon's CORS headers. */
  cors: boolean;
  /** Send half the body, then drop the connection (the `cutRate` fault). */
  cut: boolean;
  /** Answer to a HEAD request: headers only. */
  head: boolean;
}

/** Writes a fetch `Response` to a Node response (streamed; optionally cut mid-body). */
export async function writeResponse(
  res: http.ServerResponse,
  response: Response,
  options: WriteResponseOptions,
): Promise<void> {
  const { cors, cut, head } = options;
  res.statusCode = response.status;
  if (cors) {
    for (const [k, v] of CORS_HEADERS) res.setHeader(k, v);
  }
  for (const [k, v] of STANDARD_HEADERS) res.setHeader(k, v);
  const cookies = response.headers.getSetCookie();
  for (const [k, v] of response.headers) {
    if (k !== "set-cookie") res.setHeader(canonicalHeader(k), v);
  }
  if (cookies.length) res.setHeader("Set-Cookie", cookies);
  if (!response.body || head) {
    await response.body?.cancel();
    res.end();
    return;
  }
  if (cut) {
    // Whole body first so that Content-Length promises more than ever arrives.
    const body = new Uint8Array(await response.arrayBuffer());
    res.setHeader("Content-Length", String(body.length));
    res.flushHeaders();
    const half = body.subarray(0, Math.floor(body.length / 2));
    await new Promise<void>((resolve) => {
      if (half.length) res.write(half, () => resolve());
      else resolve();
    });
    res.destroy();
    res.socket?.destroy();
    return;
  }
  const reader = response.body.getReader();
  let gone = false;
  const onClose = () => {
    gone = true;
    reader.cancel().catch(() => {});
  };
  res.once("close", onClose);
  try {
    // A body that is complete at once (JSON, text) goes out with Content-Length, as the
    // daemon's; one that keeps coming (output, downloads) streams chunked.
    const first = await reader.read();
    let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    if (!first.done) {
      pending = reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        pending,
        new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 2)),
      ]);
      clearTimeout(timer);
      if (next?.done) {
        res.setHeader("Content-Length", String(first.value.byteLength));
        res.end(first.value);
        return;
      }
      if (first.value.length) res.write(first.value);
    } else {
      res.setHeader("Content-Length", "0");
    }
    while (!gone && pending) {
      const { done, value } = await pending;
      if (done) break;
      pending = reader.read();
      if (!value?.length) continue;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
  } catch {
    // the producer failed mid-body: the client sees a truncated answer, as with any server
    res.destroy();
    return;
  } finally {
    res.off("close", onClose);
  }
  if (!gone) res.end();
}
