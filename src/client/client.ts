/**
 * `AppMeshClient`: the class and its one request path. The API methods are short delegates to
 * the area modules (auth, apps, run, files, system, users), which all call `#request` below.
 *
 * @module
 */
import * as apps from "./apps.ts";
import type { AppRun } from "./app_run.ts";
import * as auth from "./auth.ts";
import { browserMode, checkBrowserOptions, checkCrossOrigin } from "./browser.ts";
import * as files from "./files.ts";
import { isSameNode, normalizeNode, requestTimeout } from "./forward.ts";
import { httpError, networkError, parseJson, redirectError, type Shape } from "./answers.ts";
import { Deadline, type Exchange, guardBody, readText } from "./body.ts";
import { checkHeader, mergeHeaders } from "./encode.ts";
import * as run from "./run.ts";
import { jwtTimes } from "./jwt.ts";
import { Session } from "./session.ts";
import * as system from "./system.ts";
import type {
  App,
  AppOutput,
  AuthenticateOptions,
  AuthResult,
  BrowserMode,
  CallOptions,
  ClientOptions,
  DownloadResult,
  ExpireOptions,
  Logger,
  LoginOptions,
  LoginOutcome,
  OutputOptions,
  PasswordOptions,
  RunOptions,
  SyncRunResult,
  TaskOptions,
  TransferOptions,
  UploadOptions,
  WaitOptions,
} from "./types.ts";
import * as users from "./users.ts";
// Constants only: importing it touches no runtime API.
import { DEFAULT_TIMEOUT_MS, DEFAULT_URL } from "../runtime/connection.ts";

const USER_AGENT = "appmesh/typescript";
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** One request, as the area modules describe it. */
export interface RequestSpec {
  /** HTTP method. */
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path, already encoded (see `path` in http.ts). */
  path: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Request headers of the endpoint; undefined values are left out. */
  headers?: Record<string, string | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body (text stays text; a stream is sent as it is read). */
  body?: string | Uint8Array | Blob | ReadableStream<Uint8Array>;
  /** The caller's signal and headers. */
  call?: CallOptions;
  /** Milliseconds added to the timeout (long-polls, runs). */
  wait?: number;
  /** Non-2xx statuses to return instead of throwing (e.g. 428, 404, 208). */
  expect?: number[];
  /** Do not send the session's token (login). */
  anonymous?: boolean;
  /** What a JSON answer must be (default: an object); see `Shape` in http.ts. */
  shape?: Shape;
}

/** What the area modules get: the view, its session, and the request path. */
export interface Core {
  /** The client (view) making the call. */
  readonly client: AppMeshClient;
  /** The shared session. */
  readonly session: Session;
  /** Whether to ask for refresh tokens. */
  readonly refreshTokens: boolean;
  /** The browser mode, undefined outside a browser. */
  readonly browser: BrowserMode | undefined;
  /** The logger (possibly empty). */
  readonly logger: Logger;
  /** Sends a request; the answer's body is still to be read. */
  request(spec: RequestSpec): Promise<Response>;
  /**
   * Sends a request and hands over the runtime's own response, body unread, with its deadline
   * still armed: the caller re-arms it on progress and disarms it when done (downloads).
   */
  stream(spec: RequestSpec): Promise<Exchange>;
  /** Sends a request and parses its JSON answer. */
  json<T>(spec: RequestSpec): Promise<T>;
  /** Sends a request and reads its answer as text. */
  text(spec: RequestSpec): Promise<string>;
}

/** State shared by a client and all its `forNode` views. */
interface Shared {
  baseUrl: string;
  options: ClientOptions;
  session: Session;
  logger: Logger;
  timeout: number;
  browser: BrowserMode | undefined;
  ready?: Promise<void>;
  fetch?: typeof fetch;
  closeTls?: () => void;
}

// Set by `forNode` around the constructor call: the view shares this state.
let adopting: Shared | undefined;

/**
 * Client for the App Mesh REST API, on `fetch` alone: every operation of the official Python
 * client in camelCase, for Deno and Bun (and Node where it costs nothing), and in a browser
 * (see `ClientOptions.browser` for what a page on another origin can do).
 *
 * @example Log in, run a command, read its output
 * ```ts
 * import { AppMeshClient } from "@appmesh/sdk";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer();
 * await using client = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
 * await client.login("admin", "admin123");
 * const { exitCode, output } = await client.runAppSync("echo hello");
 * console.log(exitCode, output); // 0 "hello\n"
 * ```
 */
export class AppMeshClient {
  /** The server this client talks to. */
  readonly baseUrl: string;
  readonly #shared: Shared;
  readonly #view: boolean;
  #forwardTo: string | undefined;
  // The `X-Target-Host` to send, worked out when the node is set, not on every request.
  #targetHost: string | undefined;
  readonly #core: Core;

  /**
   * Creates a client; nothing is read or sent until the first call (or `ready()`).
   *
   * @param options see {@linkcode ClientOptions}
   */
  constructor(options: ClientOptions = {}) {
    const shared = adopting;
    adopting = undefined;
    this.#view = shared !== undefined;
    if (shared) {
      this.#shared = shared;
    } else {
      const baseUrl = (options.baseUrl ?? DEFAULT_URL).replace(/\/+$/, "");
      new URL(baseUrl); // a bad URL fails here, not at the first call
      const browser = browserMode(options, baseUrl);
      checkBrowserOptions(browser, options);
      const logger = options.logger ?? {};
      const session = new Session({
        baseUrl,
        cookieFile: options.cookieFile,
        token: options.token,
        autoRefresh: options.autoRefreshToken,
        logger,
      });
      const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
      this.#shared = { baseUrl, options, session, logger, timeout, browser };
      session.renewer = () => this.renewToken();
    }
    this.baseUrl = this.#shared.baseUrl;
    this.forwardTo = shared ? undefined : options.forwardTo;
    this.#core = {
      client: this,
      session: this.#shared.session,
      refreshTokens: this.#shared.options.refreshToken ?? false,
      browser: this.#shared.browser,
      logger: this.#shared.logger,
      request: async (spec) => guardBody(await this.#exchange(spec)),
      stream: (spec) => this.#exchange(spec),
      json: async <T>(spec: RequestSpec): Promise<T> => {
        const x = await this.#exchange(spec);
        return parseJson<T>(await readText(x), x.res, x.res.url, spec.shape);
      },
      text: async (spec) => await readText(await this.#exchange(spec)),
    };
  }

  /** The browser mode (see `ClientOptions.browser`), undefined outside a browser. */
  get browser(): BrowserMode | undefined {
    return this.#shared.browser;
  }

  /** Node every request is forwarded to (`host:port`), or undefined for the base URL's node. */
  get forwardTo(): string | undefined {
    return this.#forwardTo;
  }

  /** Sets the node; `host` gets the base URL's port, IPv6 literals are bracketed. */
  set forwardTo(node: string | undefined) {
    const t = normalizeNode(node, this.baseUrl);
    this.#forwardTo = t;
    // None for the base URL's own node (the daemon hangs forwarding to itself).
    this.#targetHost = t && !isSameNode(t, this.baseUrl) ? t : undefined;
  }

  /**
   * A view of this client that targets another node, sharing the session (token, cookies,
   * refresh). A node equal to the base URL's host:port is addressed without `X-Target-Host`.
   */
  forNode(node: string | undefined): AppMeshClient {
    adopting = this.#shared;
    const view = new AppMeshClient();
    view.forwardTo = node;
    return view;
  }

  /** Loads the cookie file and prepares TLS (idempotent; every call does it first). */
  ready(): Promise<void> {
    const s = this.#shared;
    s.ready ??= (async () => {
      await s.session.load();
      s.fetch = await this.#makeFetch();
    })().catch((e) => {
      s.ready = undefined; // a fixed cookie file or CA works on the next call
      throw e;
    });
    return s.ready;
  }

  async #makeFetch(): Promise<typeof fetch> {
    const { options: o, logger } = this.#shared;
    if (o.fetch) return o.fetch;
    if (!o.ca && !o.cert && !o.key && o.verify !== false) {
      return (input, init) => fetch(input, init);
    }
    if (o.verify === false) {
      logger.warn?.(`TLS certificate verification is OFF for ${this.baseUrl}`);
    }
    const pem = async (v: string | undefined) => {
      if (v === undefined || v.includes("-----BEGIN")) return v;
      const { readText } = await import("../runtime/fs.ts");
      return await readText(v);
    };
    const { createFetch } = await import("../runtime/tls.ts");
    const made = await createFetch({
      ca: await pem(o.ca),
      cert: await pem(o.cert),
      key: await pem(o.key),
      verify: o.verify,
    });
    this.#shared.closeTls = () => made.close();
    return made.fetch;
  }

  /**
   * The request path: URL, headers, timeout and signal, fetch, cookies, one retry after a 401
   * when the cookie file holds a newer token, error mapping. A 2xx (or expected) answer comes
   * back as the runtime's own response with the deadline still armed: whoever reads the body
   * disarms it (wrapping the body in a JS stream would cost the runtime's native body read).
   */
  async #exchange(spec: RequestSpec, retried = false): Promise<Exchange> {
    const { session, timeout: baseTimeout, browser } = this.#shared;
    await this.ready();

    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }

    // A browser owns User-Agent and Cookie (and a cross-origin preflight would refuse them).
    const headers: Record<string, string> = browser ? {} : { "user-agent": USER_AGENT };
    for (const [k, v] of Object.entries(spec.headers ?? {})) {
      if (v === undefined) continue;
      checkHeader(k, v);
      headers[k.toLowerCase()] = v;
    }
    const explicit = mergeHeaders(headers, spec.call?.headers);
    const sessionAuth = !spec.anonymous && !("authorization" in headers) &&
      !("x-csrf-token" in headers);
    const sentToken = session.token;
    if (sessionAuth) {
      // Older daemons: echo the CSRF cookie; current ones: the token as a bearer.
      const csrf = session.csrfToken;
      if (csrf) headers["x-csrf-token"] = csrf;
      else if (sentToken) headers["authorization"] = `Bearer ${sentToken}`;
    }
    const cookie = session.jar.header(url);
    if (cookie && !browser && !explicit.has("cookie")) headers["cookie"] = cookie;
    const target = this.#targetHost;
    if (target && !explicit.has("x-target-host")) headers["x-target-host"] = target;
    let body = spec.body;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["content-type"] ??= "application/json";
    }
    for (const [k, v] of Object.entries(headers)) checkHeader(k, v);
    if (browser === "cross-origin") checkCrossOrigin(headers, spec.method, url);
    const userSignal = spec.call?.signal;
    userSignal?.throwIfAborted();

    const timeout = requestTimeout({
      timeout: baseTimeout,
      forwardTimeout: this.#shared.options.forwardTimeout,
      forwarded: "x-target-host" in headers,
      wait: spec.wait,
    });
    const deadline = new Deadline(timeout, url.href);
    const signal = userSignal ? AbortSignal.any([userSignal, deadline.signal]) : deadline.signal;
    const mapError = (e: unknown) =>
      networkError(url.href, e, { timedOut: deadline.fired, timeout, signal: userSignal });
    let sending = true;
    if (body instanceof ReadableStream) {
      // A long upload is progress, not a hang: every chunk fetch takes re-arms the deadline.
      body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, ctl) {
            if (sending) deadline.arm();
            ctl.enqueue(chunk);
          },
        }),
      );
    }

    let res: Response;
    deadline.arm();
    try {
      const init: RequestInit & { duplex?: string } = {
        method: spec.method,
        headers,
        body: body as BodyInit | undefined,
        signal,
        // The API never redirects: a redirect is an error, and following one would send the
        // token (or X-CSRF-Token) to wherever it points.
        redirect: "manual",
      };
      if (body instanceof ReadableStream) init.duplex = "half";
      res = await this.#shared.fetch!(url, init);
    } catch (e) {
      deadline.disarm();
      throw mapError(e);
    } finally {
      sending = false;
    }
    // A redirect (a browser's opaque one has status 0; a `fetch` of the caller's that followed
    // it anyway says `redirected`) is refused before its cookies are taken.
    const redirect = redirectError(res, url.href);
    if (redirect) {
      deadline.disarm();
      await res.body?.cancel().catch(() => {});
      throw redirect;
    }
    // Kept armed: the body is read under the same deadline (the signal aborts body reads too).
    if (res.url !== url.href) Object.defineProperty(res, "url", { value: url.href });

    const setCookies = res.headers.getSetCookie?.();
    if (setCookies?.length && session.absorb(url, setCookies) !== undefined) {
      try {
        await session.changed();
      } catch (e) {
        deadline.disarm();
        await res.body?.cancel().catch(() => {});
        throw e;
      }
    }

    const limit = this.#shared.options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    if (res.ok || spec.expect?.includes(res.status)) return { res, deadline, mapError, limit };
    let error;
    try {
      error = await httpError(res, spec.method, url, headers["x-target-host"]);
    } finally {
      deadline.disarm();
    }
    const replayable = !(body instanceof ReadableStream);
    if (
      res.status === 401 && sessionAuth && !retried && replayable &&
      // Renewed meanwhile (the old token is revoked by the renewal), in this process or, through
      // the cookie file, in another one: retry once with the new token.
      (session.token !== sentToken ||
        (session.cookieFile && !session.locked && await session.reload()))
    ) {
      return await this.#exchange(spec, true);
    }
    throw error;
  }

  /** The current access token, if any. */
  get token(): string | undefined {
    return this.#shared.session.token;
  }

  /** When the current token expires (from its `exp` claim). */
  get tokenExpiresAt(): Date | undefined {
    const { exp } = jwtTimes(this.token);
    return exp === undefined ? undefined : new Date(exp * 1000);
  }

  /** Re-reads the cookie file; true when it held another token. */
  async reloadSession(): Promise<boolean> {
    await this.ready();
    return await this.#shared.session.reload();
  }

  // ---- authentication (auth.ts) ----

  /** Logs in (Basic auth); returns the TOTP challenge when a code is required and none given. */
  login(user: string, password: string, options?: LoginOptions): Promise<string | undefined> {
    return auth.login(this.#core, user, password, options);
  }
  /**
   * Logs in only when needed: when the session held (the cookie file's, with `cookieFile`) is
   * not a valid one of `user`. A token past half of the lifetime asked for (`expire`) is
   * renewed instead; a token of another user, or one about to expire, means a real login.
   * Decided from the token alone, without a request: a token revoked on the server is found
   * out by the next call (a 401). Resolves to `"reused"`, `"renewed"` or `"performed"`; a
   * user with two-factor authentication needs `totpCode`.
   *
   * @example Log in on the first run only
   * ```ts
   * import { AppMeshClient } from "@appmesh/sdk";
   * import { startDevServer } from "@appmesh/sdk/devserver";
   *
   * await using server = await startDevServer();
   * const dir = await Deno.makeTempDir();
   * const options = { baseUrl: server.urls[0], ca: server.caFile, cookieFile: `${dir}/cookies.txt` };
   * for (const run of [1, 2]) {
   *   await using client = new AppMeshClient(options);
   *   console.log(run, await client.loginIfNeeded("admin", "admin123")); // 1 performed, 2 reused
   * }
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  loginIfNeeded(user: string, password: string, options?: LoginOptions): Promise<LoginOutcome> {
    return auth.loginIfNeeded(this.#core, user, password, options);
  }
  /** Answers a TOTP challenge from `login` and adopts the token. */
  validateTotp(
    user: string,
    challenge: string,
    code: string,
    options?: ExpireOptions,
  ): Promise<void> {
    return auth.validateTotp(this.#core, user, challenge, code, options);
  }
  /** A new TOTP secret (base32) for the current user. */
  getTotpSecret(options?: CallOptions): Promise<string> {
    return auth.getTotpSecret(this.#core, options);
  }
  /** Turns TOTP on with a code of the secret; adopts the new token. */
  enableTotp(code: string, options?: CallOptions): Promise<void> {
    return auth.enableTotp(this.#core, code, options);
  }
  /** Turns TOTP off for a user (default `"self"`). */
  disableTotp(user = "self", options?: CallOptions): Promise<void> {
    return auth.disableTotp(this.#core, user, options);
  }
  /** Logs off; true when the server revoked the token. */
  logout(options?: CallOptions): Promise<boolean> {
    return auth.logout(this.#core, options);
  }
  /** Verifies a token (and a permission); adopts it by default. */
  authenticate(token: string, options?: AuthenticateOptions): Promise<AuthResult> {
    return auth.authenticate(this.#core, token, options);
  }
  /** Uses a token without asking the server. */
  setToken(token: string): Promise<void> {
    return auth.setToken(this.#core, token);
  }
  /** Renews the token (with a cookie file: under its lock, adopting a newer one found there). */
  renewToken(options?: ExpireOptions): Promise<void> {
    return auth.renewToken(this.#core, options);
  }

  // ---- applications (apps.ts) ----

  /** One application. */
  getApp(name: string, options?: CallOptions): Promise<App> {
    return apps.getApp(this.#core, name, options);
  }
  /** All applications. */
  listApps(options?: CallOptions): Promise<App[]> {
    return apps.listApps(this.#core, options);
  }
  /** New output of an application since a position (long-poll with `timeout` seconds). */
  getAppOutput(name: string, options?: OutputOptions): Promise<AppOutput> {
    return apps.getAppOutput(this.#core, name, options);
  }
  /** Whether the application is healthy. */
  checkAppHealth(name: string, options?: CallOptions): Promise<boolean> {
    return apps.checkAppHealth(this.#core, name, options);
  }
  /** Registers an application; resolves to it as the server holds it. */
  addApp(app: App, options?: CallOptions): Promise<App> {
    return apps.addApp(this.#core, app, options);
  }
  /** Removes an application; false when there was none. */
  deleteApp(name: string, options?: CallOptions): Promise<boolean> {
    return apps.deleteApp(this.#core, name, options);
  }
  /** Enables an application. */
  enableApp(name: string, options?: CallOptions): Promise<void> {
    return apps.enableApp(this.#core, name, options);
  }
  /** Disables an application. */
  disableApp(name: string, options?: CallOptions): Promise<void> {
    return apps.disableApp(this.#core, name, options);
  }

  // ---- runs and tasks (run.ts) ----

  /** Starts an app (or a shell command) without waiting; the `AppRun` remembers the node. */
  runAppAsync(app: App | string, options?: RunOptions): Promise<AppRun> {
    return run.runAppAsync(this.#core, app, options);
  }
  /** Follows a run's output until it exits; its exit code, or undefined on timeout. */
  waitForAsyncRun(appRun: AppRun, options?: WaitOptions): Promise<number | undefined> {
    return run.waitForAsyncRun(this.#core, appRun, options);
  }
  /** Runs an app (or a shell command) and waits for its exit code and output. */
  runAppSync(app: App | string, options?: RunOptions): Promise<SyncRunResult> {
    return run.runAppSync(this.#core, app, options);
  }
  /** Sends data to a running app's task handler and waits for its answer (text). */
  runTask(name: string, data: string, options?: TaskOptions): Promise<string> {
    return run.runTask(this.#core, name, data, options);
  }
  /** Cancels an app's pending task; false when none was pending (208). */
  cancelTask(name: string, options?: CallOptions): Promise<boolean> {
    return run.cancelTask(this.#core, name, options);
  }

  // ---- files (files.ts) ----

  /** Downloads to a local path atomically (temp file + rename), applying mode/owner. */
  downloadFile(remote: string, local: string, options?: TransferOptions): Promise<DownloadResult> {
    return files.downloadFile(this.#core, remote, local, options);
  }
  /** Uploads a local file as a streamed multipart body, sending mode/owner. */
  uploadFile(local: string, remote: string, options?: TransferOptions): Promise<void> {
    return files.uploadFile(this.#core, local, remote, options);
  }
  /**
   * Stream form of a download: the server's answer, body unread. The client's `timeout`
   * covers the wait for the answer; the body is then the caller's (abort it with `signal`).
   */
  download(remote: string, options?: CallOptions): Promise<Response> {
    return files.download(this.#core, remote, options);
  }
  /** Stream form of an upload. */
  upload(
    remote: string,
    body: ReadableStream<Uint8Array> | Blob | Uint8Array | string,
    options?: UploadOptions,
  ): Promise<void> {
    return files.upload(this.#core, remote, body, options);
  }

  // ---- system, labels, metrics (system.ts) ----

  /** CPU, memory, disk and network of the host. */
  getHostResources(options?: CallOptions): Promise<Record<string, unknown>> {
    return system.getHostResources(this.#core, options);
  }
  /** The server configuration. */
  getConfig(options?: CallOptions): Promise<Record<string, unknown>> {
    return system.getConfig(this.#core, options);
  }
  /** Merges into the configuration; resolves to the whole new one. */
  setConfig(
    config: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Record<string, unknown>> {
    return system.setConfig(this.#core, config, options);
  }
  /** Sets the log level (default `"DEBUG"`); resolves to the level now set. */
  setLogLevel(level = "DEBUG", options?: CallOptions): Promise<string> {
    return system.setLogLevel(this.#core, level, options);
  }
  /** Prometheus metrics (text). */
  getMetrics(options?: CallOptions): Promise<string> {
    return system.getMetrics(this.#core, options);
  }
  /** Sets a label. */
  addLabel(name: string, value: string, options?: CallOptions): Promise<void> {
    return system.addLabel(this.#core, name, value, options);
  }
  /** Removes a label. */
  deleteLabel(name: string, options?: CallOptions): Promise<void> {
    return system.deleteLabel(this.#core, name, options);
  }
  /** All labels. */
  listLabels(options?: CallOptions): Promise<Record<string, string>> {
    return system.listLabels(this.#core, options);
  }

  // ---- users and roles (users.ts) ----

  /** Adds (or replaces) a user. */
  addUser(name: string, user: Record<string, unknown>, options?: CallOptions): Promise<void> {
    return users.addUser(this.#core, name, user, options);
  }
  /** Deletes a user. */
  deleteUser(name: string, options?: CallOptions): Promise<void> {
    return users.deleteUser(this.#core, name, options);
  }
  /** Locks a user. */
  lockUser(name: string, options?: CallOptions): Promise<void> {
    return users.lockUser(this.#core, name, options);
  }
  /** Unlocks a user. */
  unlockUser(name: string, options?: CallOptions): Promise<void> {
    return users.unlockUser(this.#core, name, options);
  }
  /** Changes a password (default: the current user's). */
  updatePassword(
    oldPassword: string,
    newPassword: string,
    options?: PasswordOptions,
  ): Promise<void> {
    return users.updatePassword(this.#core, oldPassword, newPassword, options);
  }
  /** All users. */
  listUsers(options?: CallOptions): Promise<Record<string, unknown>> {
    return users.listUsers(this.#core, options);
  }
  /** The current user. */
  getCurrentUser(options?: CallOptions): Promise<Record<string, unknown>> {
    return users.getCurrentUser(this.#core, options);
  }
  /** All user groups. */
  listGroups(options?: CallOptions): Promise<string[]> {
    return users.listGroups(this.#core, options);
  }
  /** Every permission the server knows. */
  listPermissions(options?: CallOptions): Promise<string[]> {
    return users.listPermissions(this.#core, options);
  }
  /** The current user's permissions. */
  getUserPermissions(options?: CallOptions): Promise<string[]> {
    return users.getUserPermissions(this.#core, options);
  }
  /** All roles with their permissions. */
  listRoles(options?: CallOptions): Promise<Record<string, string[]>> {
    return users.listRoles(this.#core, options);
  }
  /** Creates or replaces a role. */
  updateRole(name: string, permissions: string[], options?: CallOptions): Promise<void> {
    return users.updateRole(this.#core, name, permissions, options);
  }
  /** Deletes a role. */
  deleteRole(name: string, options?: CallOptions): Promise<void> {
    return users.deleteRole(this.#core, name, options);
  }

  // ---- lifetime ----

  /**
   * Stops the refresh timer and releases the TLS client. On a `forNode` view it does nothing:
   * the session belongs to the client the view came from.
   */
  close(): Promise<void> {
    if (!this.#view) {
      this.#shared.session.close();
      this.#shared.closeTls?.();
      this.#shared.closeTls = undefined;
    }
    return Promise.resolve();
  }

  /** `await using client = new AppMeshClient()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
