/**
 * The types of the client: options, wire objects (snake_case as on the wire) and results.
 *
 * @example
 * ```ts
 * import type { App, ClientOptions } from "@appmesh/sdk";
 *
 * const options: ClientOptions = { baseUrl: "https://127.0.0.1:6060", timeout: 30_000 };
 * const app: App = { name: "ping", command: "ping -c 3 127.0.0.1", behavior: { exit: "remove" } };
 * console.log(options.baseUrl, app.name);
 * ```
 *
 * @module
 */

/** Where the client reports what it does; it never prints by itself. */
export interface Logger {
  /** Debug detail. */
  debug?(msg: string, ...args: unknown[]): void;
  /** Information. */
  info?(msg: string, ...args: unknown[]): void;
  /** Something is off but the call goes on. */
  warn?(msg: string, ...args: unknown[]): void;
  /** Something failed in the background. */
  error?(msg: string, ...args: unknown[]): void;
}

/**
 * How a client in a browser reaches the daemon. `"cross-origin"`: the page has another origin
 * than the daemon, so only what the daemon's CORS answer allows can be sent (`Authorization`,
 * `Content-Type`) and no response header beyond the safelisted ones can be read.
 * `"same-origin"`: the page is served by the daemon's host or a reverse proxy in front of it
 * (or by a proxy whose CORS answer allows and exposes the App Mesh headers): every call works.
 */
export type BrowserMode = "cross-origin" | "same-origin";

/** Options of `new AppMeshClient(options)`. */
export interface ClientOptions {
  /** The server, default `"https://127.0.0.1:6060"`. */
  baseUrl?: string;
  /** CA certificate(s) to verify the server: a file path or PEM text. */
  ca?: string;
  /** Client certificate for mTLS: a file path or PEM text. */
  cert?: string;
  /** Key of the client certificate: a file path or PEM text. */
  key?: string;
  /** `false` turns certificate verification off (warned about once through `logger`). */
  verify?: boolean;
  /** Milliseconds per request (default 300 000); long-polls and runs add their own wait. */
  timeout?: number;
  /**
   * The largest answer read into memory (JSON, text), in bytes; default 67 108 864 (64 MiB).
   * A bigger one is an `AppMeshResponseError`, found out without reading it all. File
   * downloads are streamed and not limited.
   */
  maxResponseBytes?: number;
  /** A JWT to start with. */
  token?: string;
  /** A Mozilla `cookies.txt` holding the session, loaded on first use and written on change. */
  cookieFile?: string;
  /** Renew the token in the background before it expires. */
  autoRefreshToken?: boolean;
  /** Ask for a refresh token at login (`X-Refresh-Token-Request: true`). */
  refreshToken?: boolean;
  /** Node to forward every request to (`X-Target-Host`). */
  forwardTo?: string;
  /**
   * Milliseconds per forwarded request (`X-Target-Host`: `forwardTo`, `forNode` views), default
   * 60 000 and never more than `timeout`; long-polls and runs add their own wait.
   */
  forwardTimeout?: number;
  /** A `fetch` to use instead of the global one (TLS options are then the caller's). */
  fetch?: typeof fetch;
  /** Where to report warnings and background failures. */
  logger?: Logger;
  /**
   * Browser mode. Picked by itself where there is no Deno, Bun or Node: `"same-origin"` when
   * `baseUrl` has the page's origin, else `"cross-origin"`. Set it to `"same-origin"` for a
   * page behind a reverse proxy that answers for the daemon under another origin. In a browser
   * mode the client sends no `User-Agent` or `Cookie` (the browser owns both), login asks for
   * no cookie and no lifetime unless told to, and `cookieFile`, `ca`, `cert`/`key` and
   * `verify: false` are refused (`AppMeshBrowserError`).
   */
  browser?: BrowserMode;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Extra request headers; an explicit `Authorization` or `X-CSRF-Token` wins over the session. */
  headers?: HeadersInit;
}

/**
 * An application as on the wire (snake_case fields, as in the App Mesh docs), sent to and
 * echoed by the daemon. Times are what App Mesh 2.2.1 takes: epoch seconds and seconds of
 * the day (an ISO 8601 or `HH:MM` string is answered with a 500). The state fields are only
 * in answers, and only when the daemon has them (`pid`, `cpu`, `memory`, `fd`, `pstree` while
 * a process runs; `next_start_time` for a periodic app).
 */
export type App = {
  /** Unique name (`^[A-Za-z0-9_-]{1,128}$`). */
  name?: string;
  /** Command line. */
  command?: string;
  /** Run the command through a shell. */
  shell?: boolean;
  /** Free text. */
  description?: string;
  /** Working directory of the process. */
  working_dir?: string;
  /** Environment of the process: string values only (the daemon refuses others with 400). */
  env?: Record<string, string>;
  /** Environment stored encrypted; never echoed in clear. */
  sec_env?: Record<string, string>;
  /** 1 enabled (the default), 0 disabled. */
  status?: number;
  /** Not before this time: epoch seconds (`start_time_TEXT` in answers). */
  start_time?: number;
  /** Not after this time: epoch seconds (`end_time_TEXT` in answers). */
  end_time?: number;
  /** The daily window in which the process may run. */
  daily_limitation?: DailyLimitation;
  /**
   * Run periodically: integer seconds or an ISO 8601 duration (`PT30S`), or with `cron: true`
   * a cron expression. Echoed as a string (`"30"`). A periodic app is not started at
   * registration: `next_start_time` says when it will be.
   */
  start_interval_seconds?: number | string;
  /** `start_interval_seconds` is a cron expression. */
  cron?: boolean;
  /** How long to keep a finished process before removing it; echoed as a string. */
  retention?: number | string;
  /** What the daemon does when the process exits (`exit`, `control`). */
  behavior?: { exit?: string; control?: Record<string, string> };
  /** Data handed to the process (any JSON). */
  metadata?: unknown;
  /** Owner (answers). */
  owner?: string;
  /** Process id while running (answers). */
  pid?: number;
  /**
   * Exit code of the last process (answers): 9 when the daemon killed it (`max_time`, a sync
   * run's timeout, disable), 0 when it died of a signal on its own.
   */
  return_code?: number;
  /** 0 healthy, 1 not (answers). */
  health?: number;
  /** Registration time, epoch seconds (answers). */
  register_time?: number;
  /** Next start of a periodic app, epoch seconds (answers; with `next_start_time_TEXT`). */
  next_start_time?: number;
  /** CPU use of the running process (answers, while it runs). */
  cpu?: number;
  /** Memory use of the running process (answers, while it runs). */
  memory?: number;
  /** Open file descriptors of the running process (answers, while it runs). */
  fd?: number;
  /** The running process tree, as text (answers, while it runs). */
  pstree?: string;
  /** Any other field of the App Mesh application JSON (e.g. the `_TEXT` renderings). */
  [key: string]: unknown;
};

/** The daily window of an {@linkcode App}: seconds of the day (`34200` is 09:30). */
export interface DailyLimitation {
  /** Start of the window, integer seconds of the day. */
  daily_start?: number;
  /** End of the window, integer seconds of the day. */
  daily_end?: number;
  /** `daily_start` as text (answers). */
  daily_start_TEXT?: string;
  /** `daily_end` as text (answers). */
  daily_end_TEXT?: string;
}

/** One read of an application's output. */
export interface AppOutput {
  /** HTTP status of the answer. */
  status: number;
  /** The new output, as text. */
  output: string;
  /** Position to read from next (`X-Output-Position`; cross-origin, counted from the bytes). */
  outPosition?: number;
  /**
   * Exit code once the process has exited (`X-Exit-Code`). App Mesh 2.2.1 reports 9 for a
   * process it killed itself and 0 for one that died of a signal; any integer is taken as is.
   * Always undefined for a cross-origin page: the daemon exposes no response header.
   */
  exitCode?: number;
}

/** Result of `runAppSync`. */
export interface SyncRunResult {
  /** Exit code, or undefined when the server sent none. */
  exitCode: number | undefined;
  /** stdout and stderr, merged, as text. */
  output: string;
}

/** Result of `authenticate`. */
export interface AuthResult {
  /** Whether the server accepted the token (and permission). */
  ok: boolean;
  /** HTTP status. */
  status: number;
  /** The server's message (never the token). */
  message: string;
}

/** Result of `downloadFile`. */
export interface DownloadResult {
  /** Local path written. */
  path: string;
  /** Bytes written. */
  bytes: number;
  /** Permission bits from `X-File-Mode`. */
  mode?: number;
  /** Owner from `X-File-User`. */
  user?: string;
  /** Group from `X-File-Group`. */
  group?: string;
}

/** Options of `waitForAsyncRun` and `AppRun.wait`. */
export interface WaitOptions extends CallOptions {
  /** Called with every new piece of output. */
  onOutput?: (chunk: string) => void;
  /** Give up after this many milliseconds and resolve `undefined` (0/undefined: no limit). */
  timeout?: number;
  /** Delete the run app after it exited (default true). */
  deleteApp?: boolean;
  /**
   * Seconds one output long-poll may be held by the server (default 1 when `onOutput` is
   * given, else 5). App Mesh holds an output poll until the process exits or this passes, and
   * only then answers with the new output: a short poll is what makes output live.
   */
  pollTimeout?: number;
}

/** A duration: integer seconds or ISO 8601 (`"P1W"`, `"PT1H30M"`). */
export type Duration = number | string;

/** Options of `login`. */
export interface LoginOptions {
  /** TOTP code, when two-factor authentication is on. */
  totpCode?: string;
  /** Token lifetime, default `"P1W"`. */
  expire?: Duration;
  /** JWT audience (default the server's `appmesh-service`). */
  audience?: string;
  /**
   * Ask the server for the session cookie too (`X-Set-Cookie`): default true, but false in a
   * browser, where the cookie would be the browser's, not the client's.
   */
  setCookie?: boolean;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/**
 * How `loginIfNeeded` got the session: the held token was `reused`, `renewed` (close to
 * expiry), or a login was `performed`.
 */
export type LoginOutcome = "reused" | "renewed" | "performed";

/** Options of `validateTotp` and `renewToken`. */
export interface ExpireOptions {
  /** Token lifetime, default `"P1W"`. */
  expire?: Duration;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of `authenticate`. */
export interface AuthenticateOptions {
  /** A permission the token must grant, e.g. `"app-view"`. */
  permission?: string;
  /** JWT audience to check. */
  audience?: string;
  /** Adopt the token as this client's session on success (default true). */
  updateSession?: boolean;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of `getAppOutput`. */
export interface OutputOptions extends CallOptions {
  /** Read from this position (default 0). */
  stdoutPosition?: number;
  /** Index of a past process's output (0: the current one). */
  stdoutIndex?: number;
  /** Maximum bytes to read. */
  stdoutMaxsize?: number;
  /** Read this process instance. */
  processUuid?: string;
  /** Long-poll: seconds to wait for new output or the exit. */
  timeout?: number;
}

/** Options of `runAppAsync` and `runAppSync`. */
export interface RunOptions extends CallOptions {
  /** Maximum run time, default `"P2D"`. */
  maxTime?: Duration;
  /** How long the run app stays registered, default `"P2DT12H"`. */
  lifecycle?: Duration;
}

/** Options of `runTask`. */
export interface TaskOptions extends CallOptions {
  /** Seconds to wait for the app's answer, default 300. */
  timeout?: Duration;
}

/** Options of `downloadFile` and `uploadFile`. */
export interface TransferOptions extends CallOptions {
  /** Apply / send POSIX mode, owner and group (default true). */
  preservePermissions?: boolean;
  /** Progress: bytes so far and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
}

/** Options of the stream form `upload(remote, body)`. */
export interface UploadOptions extends CallOptions {
  /** Permission bits to apply remotely (0..0o777). */
  mode?: number;
  /** Owner to apply remotely. */
  user?: string;
  /** Group to apply remotely. */
  group?: string;
  /** File name in the multipart form (default the remote path's base name). */
  filename?: string;
  /** Progress: bytes sent so far and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
}

/** Options of `updatePassword`. */
export interface PasswordOptions extends CallOptions {
  /** Whose password, default `"self"`. */
  user?: string;
}
