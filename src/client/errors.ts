/**
 * The error classes of the client. Every error names what was attempted (method, path, URL) and
 * why, and never carries a token or a password.
 *
 * @example Telling failures apart
 * ```ts
 * import { AppMeshAuthError, AppMeshClient, AppMeshConnectionError } from "@appmesh/sdk";
 *
 * const client = new AppMeshClient({ baseUrl: "https://127.0.0.1:1" });
 * try {
 *   await client.listApps();
 * } catch (e) {
 *   if (e instanceof AppMeshAuthError) console.log("log in first:", e.status);
 *   else if (e instanceof AppMeshConnectionError) console.log("server down:", e.url);
 *   else throw e;
 * }
 * ```
 *
 * @module
 */

/** Options shared by the error constructors. */
export interface AppMeshErrorOptions {
  /** Machine-readable code, e.g. `"HTTP_ERROR"`, `"INVALID_HEADER"`. */
  code?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error the client throws (besides an `AbortError` for a caller's own
 * `AbortSignal`, and `TypeError` for invalid arguments).
 *
 * @example
 * ```ts
 * import { AppMeshError } from "@appmesh/sdk";
 *
 * const e = new AppMeshError("header X-Foo contains CR or LF", { code: "INVALID_HEADER" });
 * console.log(e.code); // "INVALID_HEADER"
 * ```
 */
export class AppMeshError extends Error {
  /** Machine-readable code. */
  code: string;

  /**
   * Creates the error.
   *
   * @param message what failed and why
   * @param options code and cause
   */
  constructor(message: string, options: AppMeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppMeshError";
    this.code = options.code ?? "APPMESH_ERROR";
  }
}

/** What an HTTP error knows about its exchange. */
export interface HttpErrorInit {
  /** HTTP status (0 when no request was made). */
  status: number;
  /** Request method. */
  method: string;
  /** Request path (without the query). */
  path: string;
  /** Full request URL. */
  url: string;
  /** The server's own `message` from the JSON error body. */
  serverMessage?: string;
  /** The raw error body (truncated). */
  body?: string;
  /** Machine-readable code (default `"HTTP_ERROR"`). */
  code?: string;
  /** The node the request was forwarded to (`X-Target-Host`), if any. */
  node?: string;
  /** The remote file the request was about (file transfers), if any. */
  file?: string;
}

/** The most characters of a server's `message` kept in an error (a hostile server sends MBs). */
export const MAX_SERVER_MESSAGE = 500;

/**
 * A server's text made fit for one line of an error: ANSI escape sequences are dropped, other
 * control characters (CR/LF) become spaces, and it is cut at `max` characters with `…`.
 */
export function cutServerText(text: string, max: number = MAX_SERVER_MESSAGE): string {
  const head = text.slice(0, 2 * max);
  const clean = head
    // deno-lint-ignore no-control-regex
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "") // ANSI sequences, whole
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x1f\x7f-\x9f]+/g, " ");
  return clean.length > max || head.length < text.length ? `${clean.slice(0, max)}…` : clean;
}

function httpMessage(init: HttpErrorInit): string {
  const what = init.serverMessage ? ` ${init.serverMessage}` : "";
  // The file endpoints' path is the same for every file: name the file.
  const file = init.file === undefined ? "" : ` ${init.file}`;
  // A forwarded request's error (a 502 above all) is about the target node: name it.
  const via = init.node ? `node ${init.node} through ${init.url}` : init.url;
  return `${init.method} ${init.path}${file}: HTTP ${init.status}${what} (${via})`;
}

/**
 * The server answered with an error status.
 *
 * @example
 * ```ts
 * import { AppMeshHttpError } from "@appmesh/sdk";
 *
 * const e = new AppMeshHttpError({
 *   status: 404,
 *   method: "GET",
 *   path: "/appmesh/app/x",
 *   url: "https://127.0.0.1:6060/appmesh/app/x",
 *   serverMessage: "No such application",
 * });
 * console.log(e.message); // GET /appmesh/app/x: HTTP 404 No such application (https://…)
 * ```
 */
export class AppMeshHttpError extends AppMeshError {
  /** HTTP status (0 when no request was made). */
  status: number;
  /** Request method. */
  method: string;
  /** Request path (without the query). */
  path: string;
  /** Full request URL. */
  url: string;
  /** The server's own `message`, when its body had one (cut at 500 characters). */
  serverMessage?: string;
  /** The raw error body (truncated to 2000 characters). */
  body?: string;
  /** The node the request was forwarded to (`X-Target-Host`), if any. */
  node?: string;
  /** The remote file the request was about (file transfers), if any. */
  file?: string;

  /**
   * Creates the error.
   *
   * @param init the exchange
   */
  constructor(init: HttpErrorInit) {
    const serverMessage = init.serverMessage === undefined
      ? undefined
      : cutServerText(init.serverMessage);
    super(httpMessage({ ...init, serverMessage }), { code: init.code ?? "HTTP_ERROR" });
    this.node = init.node;
    this.file = init.file;
    this.name = "AppMeshHttpError";
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.url = init.url;
    this.serverMessage = serverMessage;
    this.body = init.body;
  }
}

/**
 * Authentication or authorization failed: 401 (`code` `"UNAUTHORIZED"`), 403 (`"FORBIDDEN"`),
 * the daemon's 400 `Permission denied: ...` (`"PERMISSION_DENIED"`), a login of an unknown user
 * (the daemon's 404, `"LOGIN_REFUSED"`), `loginIfNeeded` of a user with two-factor
 * authentication without a `totpCode` (428, `"TOTP_REQUIRED"`), or no token to use (status 0,
 * `"NO_TOKEN"`).
 *
 * @example
 * ```ts
 * import { AppMeshAuthError } from "@appmesh/sdk";
 *
 * function explain(e: AppMeshAuthError): string {
 *   return e.status === 401 ? "log in again" : `not allowed: ${e.serverMessage}`;
 * }
 * console.log(explain(new AppMeshAuthError({ status: 401, method: "GET", path: "/", url: "/" })));
 * ```
 */
export class AppMeshAuthError extends AppMeshHttpError {
  /**
   * Creates the error.
   *
   * @param init the exchange
   */
  constructor(init: HttpErrorInit) {
    super({
      ...init,
      code: init.code ??
        (init.status === 401
          ? "UNAUTHORIZED"
          : init.status === 403
          ? "FORBIDDEN"
          : init.status === 0
          ? "NO_TOKEN"
          : "PERMISSION_DENIED"),
    });
    this.name = "AppMeshAuthError";
  }
}

/**
 * The connection failed: refused, reset, DNS failure, or cut in the middle of a body.
 *
 * @example
 * ```ts
 * import { AppMeshConnectionError } from "@appmesh/sdk";
 *
 * const e = new AppMeshConnectionError("https://127.0.0.1:6060/x", new Error("refused"));
 * console.log(e.url, e.code); // https://127.0.0.1:6060/x CONNECTION_FAILED
 * ```
 */
export class AppMeshConnectionError extends AppMeshError {
  /** The URL that could not be reached. */
  url: string;
  /** Why, in the runtime's words. */
  reason: string;

  /**
   * Creates the error.
   *
   * @param url the request URL
   * @param cause the runtime's error
   * @param what what failed, e.g. "connection failed"
   * @param code machine-readable code
   */
  constructor(url: string, cause: unknown, what = "connection failed", code = "CONNECTION_FAILED") {
    // The runtime's text often names the URL again ("error sending request for url (...)").
    const reason = describeCause(cause).replace(/ for url \([^)]*\)/g, "").replaceAll(
      ` (${url})`,
      "",
    );
    super(`${what}: ${url}: ${reason}`, { code, cause });
    this.name = "AppMeshConnectionError";
    this.url = url;
    this.reason = reason;
  }
}

/**
 * TLS failed: the server's certificate could not be verified (or the client certificate was
 * refused).
 *
 * @example
 * ```ts
 * import { AppMeshTlsError } from "@appmesh/sdk";
 *
 * const e = new AppMeshTlsError("https://127.0.0.1:6060/x", new Error("UnknownIssuer"));
 * console.log(e.code); // TLS_FAILED
 * ```
 */
export class AppMeshTlsError extends AppMeshConnectionError {
  /**
   * Creates the error.
   *
   * @param url the request URL
   * @param cause the runtime's error
   */
  constructor(url: string, cause: unknown) {
    super(
      url,
      cause,
      "TLS failure, the server's certificate is not trusted (give the CA that signed it: " +
        "--ca FILE or $APPMESH_CA, option `ca` in code)",
      "TLS_FAILED",
    );
    this.name = "AppMeshTlsError";
  }
}

/**
 * No answer (or no further body bytes) within the client's `timeout`.
 *
 * @example
 * ```ts
 * import { AppMeshTimeoutError } from "@appmesh/sdk";
 *
 * const e = new AppMeshTimeoutError("https://127.0.0.1:6060/x", 5000);
 * console.log(e.message); // request timed out after 5000 ms: https://127.0.0.1:6060/x
 * ```
 */
export class AppMeshTimeoutError extends AppMeshError {
  /** The request URL. */
  url: string;
  /** The timeout in milliseconds. */
  timeout: number;

  /**
   * Creates the error.
   *
   * @param url the request URL
   * @param timeout the timeout in milliseconds
   */
  constructor(url: string, timeout: number) {
    super(`request timed out after ${timeout} ms: ${url}`, { code: "TIMEOUT" });
    this.name = "AppMeshTimeoutError";
    this.url = url;
    this.timeout = timeout;
  }
}

/**
 * The server's answer is not what the API promises: not JSON where JSON is due, a missing
 * header, a malformed value.
 *
 * @example
 * ```ts
 * import { AppMeshResponseError } from "@appmesh/sdk";
 *
 * const e = new AppMeshResponseError("https://127.0.0.1:6060/x", "a JSON body", "got text/html");
 * console.log(e.expected); // a JSON body
 * ```
 */
export class AppMeshResponseError extends AppMeshError {
  /** The request URL. */
  url: string;
  /** What was expected. */
  expected: string;
  /** The answer's HTTP status, when there was one. */
  status?: number;

  /**
   * Creates the error.
   *
   * @param url the request URL
   * @param expected what the API promises
   * @param got what came instead
   * @param options `code`: `"BAD_RESPONSE"` (default), `"REDIRECT"` (a 3xx, never followed),
   *   `"RESPONSE_TOO_LARGE"` (over `maxResponseBytes`); `status` of the answer
   */
  constructor(
    url: string,
    expected: string,
    got: string,
    options: { code?: string; status?: number } = {},
  ) {
    super(`unexpected answer from ${url}: expected ${expected}, ${got}`, {
      code: options.code ?? "BAD_RESPONSE",
    });
    this.name = "AppMeshResponseError";
    this.url = url;
    this.expected = expected;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** What a browser error knows. */
export interface BrowserErrorInit {
  /** `"CROSS_ORIGIN_HEADER"` or `"NOT_IN_BROWSER"`. */
  code: "CROSS_ORIGIN_HEADER" | "NOT_IN_BROWSER";
  /** The request header that cannot be sent, for `"CROSS_ORIGIN_HEADER"`. */
  header?: string;
}

/**
 * A call a browser cannot make, refused before anything is sent: a request header that the
 * daemon's CORS answer does not allow on a cross-origin request (`code`
 * `"CROSS_ORIGIN_HEADER"`, `header` names it; the browser would fail the preflight with no
 * reason given), or an option that needs a file system or the runtime's TLS settings
 * (`"NOT_IN_BROWSER"`: `cookieFile`, `ca`, `cert`/`key`, `verify: false`, local-file transfers).
 *
 * @example
 * ```ts
 * import { AppMeshBrowserError } from "@appmesh/sdk";
 *
 * const e = new AppMeshBrowserError("X-Target-Host cannot be sent cross-origin", {
 *   code: "CROSS_ORIGIN_HEADER",
 *   header: "X-Target-Host",
 * });
 * console.log(e.code, e.header); // CROSS_ORIGIN_HEADER X-Target-Host
 * ```
 */
export class AppMeshBrowserError extends AppMeshError {
  /** The request header that cannot be sent cross-origin, when that is the reason. */
  header?: string;

  /**
   * Creates the error.
   *
   * @param message what cannot be done, why, and what to do instead
   * @param init code and header
   */
  constructor(message: string, init: BrowserErrorInit) {
    super(message, { code: init.code });
    this.name = "AppMeshBrowserError";
    this.header = init.header;
  }
}

/** One line describing a runtime error and its causes. */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let e: unknown = cause;
  for (let i = 0; e !== undefined && e !== null && i < 4; i++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      const text = `${e.message}${
        typeof code === "string" && !e.message.includes(code) ? ` (${code})` : ""
      }`;
      if (text && !parts.includes(text)) parts.push(text);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(": ") || "unknown error";
}
