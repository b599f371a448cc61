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
  cutServerText,
  describeCause,
} from "./errors.ts";
import { unrefTimer } from "./session.ts";

/** The longest name (URL-encoded) put into a path: daemons refuse request lines past ~8 KiB. */
export const MAX_SEGMENT = 1024;

/**
 * One URL path segment. `.`/`..`/empty are refused (`INVALID_NAME`): the URL parser would
 * resolve them (even percent-encoded), so such a name could reach another endpoint. A name
 * longer than {@linkcode MAX_SEGMENT} once encoded is refused (`NAME_TOO_LONG`) before sending.
 */
export function segment(value: string): string {
  const s = String(value);
  if (s === "" || s === "." || s === "..") {
    throw new AppMeshError(
      `invalid name ${JSON.stringify(s)}: a name must not be empty, "." or ".."`,
      { code: "INVALID_NAME" },
    );
  }
  const encoded = encodeURIComponent(s);
  if (encoded.length > MAX_SEGMENT) {
    throw new AppMeshError(
      `name too long for a URL: ${encoded.length} characters once encoded, at most ` +
        `${MAX_SEGMENT} (${JSON.stringify(s.slice(0, 40))}…)`,
      { code: "NAME_TOO_LONG" },
    );
  }
  return encoded;
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
    // Only the start of a long error body is read: its "message" may be cut short.
    const cut = /^\{\s*"(?:message|error)"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(trimmed);
    if (cut) {
      try {
        return JSON.parse(`"${cut[1].replace(/\\(u[0-9a-fA-F]{0,3})?$/, "")}"`);
      } catch {
        return cut[1];
      }
    }
    // A short plain-text error is its own message; an HTML page is not.
    return trimmed.length <= 200 && !trimmed.startsWith("<") ? trimmed : undefined;
  }
}

/** How much of an error answer's body is read (the rest is discarded unread). */
const ERROR_BODY_BYTES = 65_536;

/** The error for a non-2xx answer (reads the start of its body). */
export async function httpError(
  res: Response,
  method: string,
  url: URL,
  node?: string,
): Promise<AppMeshHttpError> {
  let body = "";
  try {
    body = new TextDecoder().decode(await readBytes(res, ERROR_BODY_BYTES, { truncate: true }));
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

/**
 * What a JSON answer must be: an object (not `null`, not an array), an array of objects, or an
 * array of strings. Anything else is an `AppMeshResponseError` (a caller iterating a list must
 * never meet `null` or `{}`).
 */
export type Shape = "object" | "object[]" | "string[]";

function shapeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Checks a parsed JSON answer against its shape. */
export function checkShape(value: unknown, shape: Shape, url: string, status?: number): void {
  const bad = (expected: string, got: string): never => {
    throw new AppMeshResponseError(url, expected, `got ${got}`, { status });
  };
  if (shape === "object") {
    if (!isObject(value)) bad("a JSON object", shapeOf(value));
    return;
  }
  const what = shape === "object[]" ? "a JSON array of objects" : "a JSON array of strings";
  if (!Array.isArray(value)) return bad(what, shapeOf(value));
  const i = value.findIndex((v) => shape === "object[]" ? !isObject(v) : typeof v !== "string");
  if (i >= 0) bad(what, `${shapeOf(value[i])} at index ${i}`);
}

/** Reads a JSON object answer; anything else is an `AppMeshResponseError` naming the URL. */
export async function readJson<T>(res: Response, url: string): Promise<T> {
  return parseJson<T>(await res.text(), res, url);
}

/**
 * Parses a JSON body already read and checks its shape (default: an object); anything else is
 * an `AppMeshResponseError`.
 */
export function parseJson<T>(text: string, res: Response, url: string, shape: Shape = "object"): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const type = res.headers.get("content-type") ?? "no content type";
    const head = cutServerText(text.slice(0, 60));
    throw new AppMeshResponseError(url, "a JSON body", `got ${type}: ${JSON.stringify(head)}`, {
      status: res.status,
    });
  }
  checkShape(value, shape, url, res.status);
  return value as T;
}

/** Options of {@linkcode readBytes}. */
interface ReadBytesOptions {
  /** Keep the first `max` bytes and discard the rest (else: an error past `max`). */
  truncate?: boolean;
  /** The request URL, for the error. */
  url?: string;
}

/** The error of an answer over `maxResponseBytes`. */
function tooLarge(url: string, max: number, got: string, status: number): AppMeshResponseError {
  return new AppMeshResponseError(
    url,
    `an answer of at most ${max} bytes (maxResponseBytes)`,
    got,
    { code: "RESPONSE_TOO_LARGE", status },
  );
}

/** The runtime's own body getter (a guarded response overrides `body`). */
const NATIVE_BODY = Object.getOwnPropertyDescriptor(Response.prototype, "body")!.get!;

/**
 * Reads a body, but never more than `max` bytes: past that, the rest is cancelled unread and
 * the read fails (or, with `truncate`, ends). A `Content-Length` over `max` fails before
 * anything is read.
 */
export async function readBytes(
  res: Response,
  max: number,
  o: ReadBytesOptions = {},
): Promise<Uint8Array> {
  const url = o.url ?? res.url;
  const body = NATIVE_BODY.call(res) as ReadableStream<Uint8Array> | null;
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (!o.truncate && declared > max) {
    await body?.cancel().catch(() => {});
    throw tooLarge(url, max, `got Content-Length ${declared}`, res.status);
  }
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      if (total + value.byteLength > max) {
        if (!o.truncate) throw tooLarge(url, max, `got more than ${max} bytes`, res.status);
        chunks.push(value.subarray(0, max - total));
        total = max;
        break;
      }
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    if (!complete) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Whether the runtime may read this body natively: its `Content-Length` is known and within
 * `max` (the runtime never reads past it). Otherwise the capped loop of `readBytes` reads it.
 */
function nativeReadable(res: Response, max: number): boolean {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  return Number.isFinite(declared) && declared <= max;
}

/** A body as text, capped at `max` bytes. */
export async function readTextCapped(res: Response, max: number): Promise<string> {
  if (nativeReadable(res, max)) return await Response.prototype.text.call(res);
  return new TextDecoder().decode(await readBytes(res, max));
}

/**
 * The error for an answer that redirects (3xx, a browser's opaque redirect, or a response a
 * caller's `fetch` got by following one); undefined for any other answer.
 */
export function redirectError(res: Response, url: string): AppMeshResponseError | undefined {
  const opaque = res.type === "opaqueredirect";
  if (!opaque && !res.redirected && (res.status < 300 || res.status > 399)) return undefined;
  const location = res.headers.get("location");
  const got = opaque
    ? "got a redirect"
    : res.redirected
    ? `got an answer from ${cutServerText(res.url, 200)} after a redirect`
    : `got HTTP ${res.status}${location ? ` to ${cutServerText(location, 200)}` : ""}`;
  return new AppMeshResponseError(url, "an answer of the API (redirects are not followed)", got, {
    code: "REDIRECT",
    status: res.status,
  });
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
  constructor(ms: number, url: string) {
    this.ms = ms;
    this.url = url;
  }
  /** The timeout in milliseconds. */
  readonly ms: number;
  /** The request URL (for the error). */
  readonly url: string;
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
  /** The most bytes read into memory (`maxResponseBytes`). */
  limit: number;
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
    return await readTextCapped(x.res, x.limit);
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
  const { res, deadline, mapError, limit } = x;
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
          // Within `maxResponseBytes`: natively when the length is known and small enough.
          if (nativeReadable(res, limit)) return await native.call(res);
          const bytes = await readBytes(res, limit);
          const copy = () =>
            new Response(bytes as Uint8Array<ArrayBuffer>, { headers: res.headers });
          return name === "text" ? new TextDecoder().decode(bytes) : await copy()[name]();
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
