/**
 * A `fetch` over `node:https`/`node:http`, for the one TLS setting a runtime's own fetch cannot
 * express: Deno's `fetch` has no per-client way to skip certificate verification (only the
 * process-wide `--unsafely-ignore-certificate-errors` flag), while its `node:https` honours
 * `rejectUnauthorized: false`. Also what Node gets for CA/client-certificate options, as its
 * global fetch takes no TLS options without undici.
 *
 * Covers what the client needs: any method, streamed request and response bodies, every
 * `Set-Cookie` kept apart (`getSetCookie()`), `AbortSignal`, connection reuse. Redirects are not
 * followed (an App Mesh daemon sends none); a 3xx is returned as is.
 *
 * @module
 */
import http from "node:http";
import https from "node:https";

/** TLS settings of {@linkcode nodeFetch}. */
export interface NodeFetchOptions {
  /** CA certificate(s), PEM. */
  ca?: string;
  /** Client certificate chain, PEM. */
  cert?: string;
  /** Client key, PEM. */
  key?: string;
  /** False: accept any server certificate. */
  rejectUnauthorized?: boolean;
}

/** A fetch and the release of its connection pool. */
export interface ClosableFetch {
  /** Fetch-compatible function. */
  fetch: typeof fetch;
  /** Closes idle connections; later calls still work (they open new ones). */
  close(): void;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function toStream(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  // After the reader cancels, node may still emit buffered "data": drop it instead of
  // enqueueing into a closed controller (which throws outside any caller's try).
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      res.on("data", (chunk: Uint8Array) => {
        if (cancelled) return;
        ctl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((ctl.desiredSize ?? 1) <= 0) res.pause();
      });
      res.once("end", () => {
        try {
          ctl.close();
        } catch {
          // already cancelled
        }
      });
      res.once("error", (e) => {
        try {
          ctl.error(new TypeError("error reading the response body", { cause: e }));
        } catch {
          // already cancelled
        }
      });
      // A socket cut before the end of the body must fail the read, not end it quietly.
      res.once("close", () => {
        if (res.complete) return;
        try {
          ctl.error(new TypeError("connection closed before the end of the response body"));
        } catch {
          // already closed or cancelled
        }
      });
    },
    pull() {
      res.resume();
    },
    cancel() {
      cancelled = true;
      res.destroy();
    },
  }, { highWaterMark: 4 });
}

async function writeBody(req: http.ClientRequest, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (req.destroyed) throw new Error("request closed");
      if (!req.write(value)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            req.off("close", onClose);
            resolve();
          };
          const onClose = () => {
            req.off("drain", onDrain);
            reject(new Error("request closed"));
          };
          req.once("drain", onDrain);
          req.once("close", onClose);
        });
      }
    }
    req.end();
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    req.destroy(e as Error);
  } finally {
    reader.releaseLock();
  }
}

/**
 * Creates a fetch over `node:https` with the given TLS settings (plain `http:` URLs work too).
 *
 * @example
 * ```ts
 * import { nodeFetch } from "./node_fetch.ts";
 * const { fetch, close } = nodeFetch({ rejectUnauthorized: false });
 * console.assert(typeof fetch === "function");
 * close();
 * ```
 */
export function nodeFetch(options: NodeFetchOptions = {}): ClosableFetch {
  const agent = new https.Agent({
    keepAlive: true,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
  const plainAgent = new http.Agent({ keepAlive: true });

  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`fetch: unsupported scheme ${url.protocol}`);
    }
    const signal = request.signal;
    signal.throwIfAborted();
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => headers[k] = v);
    // A body given whole is sent with a Content-Length; a stream is sent chunked.
    const given = init?.body;
    const streamed = given === undefined ? request.body !== null : given instanceof ReadableStream;
    let whole: Uint8Array | undefined;
    if (request.body && !streamed) {
      whole = new Uint8Array(await request.arrayBuffer());
      headers["content-length"] = String(whole.byteLength);
    }
    const isHttps = url.protocol === "https:";
    return await new Promise<Response>((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, {
        method: request.method,
        headers,
        agent: isHttps ? agent : plainAgent,
      });
      const onAbort = () => {
        const reason = signal.reason;
        req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        reject(reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      req.once("error", (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? signal.reason : new TypeError("fetch failed", { cause: e }));
      });
      req.once("response", (res) => {
        const h = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        }
        const status = res.statusCode ?? 0;
        const noBody = NULL_BODY.has(status) || request.method === "HEAD";
        if (noBody) res.resume();
        const body = noBody ? null : toStream(res);
        // After the headers, an abort errors the body stream (through res "aborted"/"error").
        res.once("close", () => signal.removeEventListener("abort", onAbort));
        if (signal.aborted) return;
        const response = new Response(body, {
          status: status < 200 || status > 599 ? 200 : status,
          statusText: res.statusMessage ?? "",
          headers: h,
        });
        Object.defineProperty(response, "url", { value: url.href });
        resolve(response);
      });
      if (whole) {
        req.end(whole);
      } else if (request.body) {
        writeBody(req, request.body);
      } else {
        req.end();
      }
    });
  };

  return {
    fetch: fetchImpl as typeof fetch,
    close() {
      agent.destroy();
      plainAgent.destroy();
    },
  };
}
