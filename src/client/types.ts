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
  /** A `fetch` to use instead of the global one (TLS options are then the caller's). */
  fetch?: typeof fetch;
  /** Where to report warnings and background failures. */
  logger?: Logger;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Extra request headers; an explicit `Authorization` or `X-CSRF-Token` wins over the session. */
  headers?: HeadersInit;
}

/** An application as on the wire (snake_case fields, as in the App Mesh docs). */
export type App = {
  /** Unique name. */
  name?: string;
  /** Command line. */
  command?: string;
  /** Run the command through a shell. */
  shell?: boolean;
  /** Any other field of the App Mesh application JSON. */
  [key: string]: unknown;
};

/** One read of an application's output. */
export interface AppOutput {
  /** HTTP status of the answer. */
  status: number;
  /** The new output, as text. */
  output: string;
  /** Position to read from next (`X-Output-Position`). */
  outPosition?: number;
  /** Exit code once the process has exited (`X-Exit-Code`); negative for signal deaths. */
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
  /** Cancels the call. */
  signal?: AbortSignal;
}

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
