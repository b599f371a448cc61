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

/** Maps a failed fetch (or body read) to the client's errors. */
export function networkError(
  url: string,
  error: unknown,
  o: { timedOut: boolean; timeout: number; signal?: AbortSignal },
): unknown {
  if (o.signal?.aborted) return o.signal.reason;
  if (o.timedOut) return new AppMeshTimeoutError(url, o.timeout);
  if (error instanceof AppMeshError) return error;
  if (TLS_HINT.test(describeCause(error))) return new AppMeshTlsError(url, error);
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
  };
  const denied = res.status === 400 && /^permission denied/i.test(message ?? "");
  if (res.status === 401 || res.status === 403 || denied) return new AppMeshAuthError(init);
  return new AppMeshHttpError(init);
}

/** Reads a JSON body; anything else is an `AppMeshResponseError` naming the URL. */
export async function readJson<T>(res: Response, url: string): Promise<T> {
  const text = await res.text();
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

/** Aborts a request after `ms` without progress; armed while waiting for the server only. */
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

/** The response with its body read under the deadline, read errors mapped to our errors. */
export function guardBody(
  res: Response,
  url: string,
  deadline: Deadline,
  mapError: (e: unknown) => unknown,
) {
  if (!res.body || [101, 204, 205, 304].includes(res.status)) return res;
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
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
  const out = new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
  Object.defineProperty(out, "url", { value: url });
  return out;
}
