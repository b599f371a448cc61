/**
 * Helpers of the request path: encoding paths and headers, mapping failures to the error
 * classes, reading bodies, and the per-request deadline.
 *
 * @module
 */
import {
  AppMeshAuthError,
  AppMeshConnectionError,
  AppMeshError,
  AppMeshHttpError,
  AppMeshResponseError,
  AppMeshTimeoutError,
  AppMeshTlsError,
  describeCause,
} from "./errors.ts";
import { unrefTimer } from "./session.ts";

/**
 * One URL path segment. `.`/`..`/empty are refused: the URL parser would resolve them (even
 * percent-encoded), so such a name could reach another endpoint.
 */
export function segment(value: string): string {
  const s = String(value);
  if (s === "" || s === "." || s === "..") {
    throw new TypeError(`invalid name for a URL path segment: ${JSON.stringify(s)}`);
  }
  return encodeURIComponent(s);
}

/** Tagged template: `path\`/appmesh/app/${name}\`` with every value encoded as a segment. */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? segment(values[i]) : ""), "");
}

/** `X-File-Path`: URL-encoded, `/` kept (the agent decodes it), same for download and upload. */
export function encodeFilePath(remote: string): string {
  return encodeURIComponent(remote).replace(/%2F/gi, "/");
}

/** Header names and values are checked before anything is sent. */
export function checkHeader(name: string, value: string): void {
  if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
    // The value may be a secret: name the header only.
    throw new AppMeshError(
      `header ${JSON.stringify(name.replace(/[\r\n\0]/g, " "))} contains CR, LF or NUL`,
      {
        code: "INVALID_HEADER",
      },
    );
  }
}

/** Merges `HeadersInit` into a lower-case record, checking raw values first. */
export function mergeHeaders(
  target: Record<string, string>,
  init: HeadersInit | undefined,
): Set<string> {
  const explicit = new Set<string>();
  if (!init) return explicit;
  const entries: [string, string][] = init instanceof Headers
    ? [...init.entries()]
    : Array.isArray(init)
    ? init.map(([k, v]) => [String(k), String(v)])
    : Object.entries(init as Record<string, string>);
  for (const [k, v] of entries) {
    checkHeader(k, String(v));
    target[k.toLowerCase()] = String(v);
    explicit.add(k.toLowerCase());
  }
  return explicit;
}

/** Base64 of UTF-8 text (for Basic auth and passwords, any script). */
export function base64Utf8(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

const TLS_HINT =
  /certificate|UnknownIssuer|NotValidForName|BadSignature|tls|ssl|handshake|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|ALPN/i;

const CUT_HINT =
  /reset|closed|close_notify|broken pipe|refused|unexpected ?eof|\bEOF\b|ECONNRESET|EPIPE|ECONNREFUSED|socket hang up|connection (was )?(aborted|lost)/i;

/** Maps a failed fetch (or body read) to the client's errors. */
export function networkError(
  url: string,
  error: unknown,
  o: { timedOut: boolean; timeout: number; signal?: AbortSignal },
): unknown {
  if (o.signal?.aborted) return o.signal.reason;
  if (o.timedOut) return new AppMeshTimeoutError(url, o.timeout);
  if (error instanceof AppMeshError) return error;
  const cause = describeCause(error);
  // A reset or a closed connection (a server restarting) is a connection error, even when the
  // runtime's text mentions TLS ("peer closed connection without sending TLS close_notify").
  if (TLS_HINT.test(cause) && !CUT_HINT.test(cause)) return new AppMeshTlsError(url, error);
  return new AppMeshConnectionError(url, error);
}

/** The server's `message` from an error body: `{"message": ...}` or a JSON string. */
export function serverMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const v = JSON.parse(trimmed);
    if (typeof v === "string") return v;
    if (v && typeof v === "object") {
      const m = (v as Record<string, unknown>).message ?? (v as Record<string, unknown>).error;
      if (typeof m === "string") return m;
    }
    return undefined;
  } catch {
    // A short plain-text error is its own message; an HTML page is not.
    return trimmed.length <= 200 && !trimmed.startsWith("<") ? trimmed : undefined;
  }
}

/** The error for a non-2xx answer (reads its body). */
export async function httpError(
  res: Response,
  method: string,
  url: URL,
  node?: string,
): Promise<AppMeshHttpError> {
  let body = "";
  try {
    body = await res.text();
  } catch {
    // a body cut short still leaves the status to report
  }
  const message = serverMessage(body);
  const init = {
    status: res.status,
    method,
    path: url.pathname,
    url: url.href,
    serverMessage: message,
    body: body.length > 2000 ? body.slice(0, 2000) + "…" : body,
    node,
  };
  const denied = res.status === 400 && /^permission denied/i.test(message ?? "");
  if (res.status === 401 || res.status === 403 || denied) return new AppMeshAuthError(init);
  return new AppMeshHttpError(init);
}

/** Reads a JSON body; anything else is an `AppMeshResponseError` naming the URL. */
export async function readJson<T>(res: Response, url: string): Promise<T> {
  return parseJson<T>(await res.text(), res, url);
}

/** Parses a JSON body already read; anything else is an `AppMeshResponseError`. */
export function parseJson<T>(text: string, res: Response, url: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    const type = res.headers.get("content-type") ?? "no content type";
    const head = text.slice(0, 60).replace(/\s+/g, " ");
    throw new AppMeshResponseError(url, "a JSON body", `got ${type}: ${JSON.stringify(head)}`);
  }
}

/** An integer header, or undefined; a malformed value is an `AppMeshResponseError`. */
export function intHeader(res: Response, name: string, url: string): number | undefined {
  const v = res.headers.get(name);
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v.trim());
  if (!Number.isInteger(n)) {
    throw new AppMeshResponseError(url, `an integer ${name}`, `got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * Aborts a request after `ms`: armed when the request starts and kept armed while a small
 * body is read (a total deadline); a download re-arms it whenever bytes arrive (an idle
 * timeout). It aborts the signal given to `fetch`, which also aborts a body being read.
 */
export class Deadline {
  readonly #ctl = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  fired = false;
  /**
   * @param ms the timeout
   * @param url the request URL (for the error)
   */
  constructor(readonly ms: number, readonly url: string) {}
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  arm(): void {
    this.disarm();
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#ctl.abort(new AppMeshTimeoutError(this.url, this.ms));
    }, this.ms);
    unrefTimer(this.#timer);
  }
  disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** A response whose body is still to be read, with what governs that read. */
export interface Exchange {
  /** The runtime's own response (its `url` is the request URL). */
  res: Response;
  /** Armed: the caller disarms it when the body is read (or re-arms it on progress). */
  deadline: Deadline;
  /** Maps a body-read failure to the client's errors. */
  mapError: (e: unknown) => unknown;
}

const NO_BODY = [101, 204, 205, 304];

/**
 * Reads a body as text under the request's deadline, then disarms it; read failures (a cut
 * connection, the deadline) become the client's errors. No stream is put around the body, so
 * the runtime reads it natively.
 */
export async function readText(x: Exchange): Promise<string> {
  try {
    return await x.res.text();
  } catch (e) {
    throw x.mapError(e);
  } finally {
    x.deadline.disarm();
  }
}

type Reader = "text" | "arrayBuffer" | "blob" | "formData" | "bytes";
const READERS: Reader[] = ["text", "arrayBuffer", "blob", "formData", "bytes"];

/**
 * The response as the area modules get it: the runtime's own object, whose body methods
 * (`text()`, `json()`, ...) read natively under the deadline and disarm it, mapping failures to
 * the client's errors. Reading `body` directly gets a stream re-arming the deadline per chunk
 * (the idle timeout of old; only the small `cancel()` paths use it).
 */
export function guardBody(x: Exchange): Response {
  const { res, deadline, mapError } = x;
  if (!res.body || NO_BODY.includes(res.status)) {
    deadline.disarm();
    return res;
  }
  const proto = Response.prototype as unknown as Record<Reader, (this: Response) => unknown>;
  const props: PropertyDescriptorMap = {};
  for (const name of READERS) {
    const native = proto[name];
    if (typeof native !== "function") continue;
    props[name] = {
      configurable: true,
      value: async () => {
        try {
          return await native.call(res);
        } catch (e) {
          throw mapError(e);
        } finally {
          deadline.disarm();
        }
      },
    };
  }
  props.json = {
    configurable: true,
    value: async () => JSON.parse(await (res.text as () => Promise<string>)()),
  };
  let guarded: ReadableStream<Uint8Array> | null | undefined;
  const nativeBody = Object.getOwnPropertyDescriptor(Response.prototype, "body")?.get;
  props.body = {
    configurable: true,
    get: () => (guarded ??= idleStream(nativeBody!.call(res), deadline, mapError)),
  };
  Object.defineProperties(res, props);
  return res;
}

/** A stream over `body` that re-arms the deadline for every chunk (an idle timeout). */
function idleStream(
  body: ReadableStream<Uint8Array> | null,
  deadline: Deadline,
  mapError: (e: unknown) => unknown,
): ReadableStream<Uint8Array> | null {
  if (!body) {
    deadline.disarm();
    return body;
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      deadline.arm();
      try {
        const r = await reader.read();
        if (r.done) ctl.close();
        else ctl.enqueue(r.value);
      } catch (e) {
        ctl.error(mapError(e));
      } finally {
        deadline.disarm();
      }
    },
    cancel(reason) {
      deadline.disarm();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
