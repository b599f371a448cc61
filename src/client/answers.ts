/**
 * Reading the server's answers: failures mapped to the client's error classes (network, HTTP
 * status, redirect), the server's message, JSON bodies checked against their shape, integer
 * headers.
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
import { readBytes } from "./body.ts";

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
