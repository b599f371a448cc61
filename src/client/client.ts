/**
 * `AppMeshClient`, the public class (`AppRun`, the handle of a run it starts, is in
 * app_run.ts and knows the class only as the `AppRunClient` it satisfies). The methods are short: a method that is one request is a `call` of the endpoint
 * table (endpoints.ts); the others delegate to the area modules (auth, apps, run, files,
 * system, users). The request path is `Transport` in request.ts, shared with `forNode` views.
 *
 * @module
 */
import { AppRun } from "./app_run.ts";
import { addApp, checkAppHealth, deleteApp, getAppOutput } from "./apps.ts";
import * as auth from "./auth.ts";
import { call, type Core, nodeCore } from "./core.ts";
import type { EndpointName, PathParams } from "./endpoints.ts";
import * as files from "./files.ts";
import { jwtTimes } from "./jwt.ts";
import { type RequestSpec, Transport } from "./request.ts";
import * as run from "./run.ts";
import { setLogLevel } from "./system.ts";
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
import { updatePassword } from "./users.ts";

// The key under which `forNode` hands its transport to the view it constructs: the view's
// state travels in the constructor's argument, never through module state.
const SHARED = Symbol("transport");
type ViewInit = ClientOptions & { [SHARED]?: Transport };

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
  readonly #transport: Transport;
  readonly #view: boolean;
  // This node's handle on the transport (its `X-Target-Host` worked out once, when set).
  #core: Core;

  /**
   * Creates a client; nothing is read or sent until the first call (or `ready()`).
   *
   * @param options see {@linkcode ClientOptions}
   */
  constructor(options: ClientOptions = {}) {
    const shared = (options as ViewInit)[SHARED];
    this.#view = shared !== undefined;
    this.#transport = shared ?? new Transport(options);
    if (!shared) this.#transport.session.renewer = () => this.renewToken();
    this.baseUrl = this.#transport.baseUrl;
    this.#core = nodeCore(this.#transport, shared ? undefined : options.forwardTo);
  }

  /** The browser mode (see `ClientOptions.browser`), undefined outside a browser. */
  get browser(): BrowserMode | undefined {
    return this.#transport.browser;
  }

  /** Node every request is forwarded to (`host:port`), or undefined for the base URL's node. */
  get forwardTo(): string | undefined {
    return this.#core.node;
  }

  /** Sets the node; `host` gets the base URL's port, IPv6 literals are bracketed. */
  set forwardTo(node: string | undefined) {
    this.#core = nodeCore(this.#transport, node);
  }

  /**
   * A view of this client that targets another node, sharing the session (token, cookies,
   * refresh). A node equal to the base URL's host:port is addressed without `X-Target-Host`.
   */
  forNode(node: string | undefined): AppMeshClient {
    const init: ViewInit = { [SHARED]: this.#transport };
    const view = new AppMeshClient(init);
    view.forwardTo = node;
    return view;
  }

  /** Loads the cookie file and prepares TLS (idempotent; every call does it first). */
  ready(): Promise<void> {
    return this.#transport.ready();
  }

  /** A method that is one request: the answer the endpoint table names (none: undefined). */
  #call(
    name: EndpointName,
    params: PathParams,
    options: CallOptions | undefined,
    rest: Pick<RequestSpec, "json" | "query"> = {},
  ): Promise<unknown> {
    return call(this.#core, name, { params, call: options, ...rest });
  }

  /** The current access token, if any. */
  get token(): string | undefined {
    return this.#transport.session.token;
  }

  /** When the current token expires (from its `exp` claim). */
  get tokenExpiresAt(): Date | undefined {
    const { exp } = jwtTimes(this.token);
    return exp === undefined ? undefined : new Date(exp * 1000);
  }

  /** Re-reads the cookie file; true when it held another token. */
  async reloadSession(): Promise<boolean> {
    await this.ready();
    return await this.#transport.session.reload();
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
    return this.#call("disableTotp", { user }, options) as Promise<void>;
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
    return this.#call("getApp", { name }, options) as Promise<App>;
  }
  /** All applications. */
  listApps(options?: CallOptions): Promise<App[]> {
    return this.#call("listApps", {}, options) as Promise<App[]>;
  }
  /** New output of an application since a position (long-poll with `timeout` seconds). */
  getAppOutput(name: string, options?: OutputOptions): Promise<AppOutput> {
    return getAppOutput(this.#core, name, options);
  }
  /** Whether the application is healthy. */
  checkAppHealth(name: string, options?: CallOptions): Promise<boolean> {
    return checkAppHealth(this.#core, name, options);
  }
  /** Registers an application; resolves to it as the server holds it. */
  addApp(app: App, options?: CallOptions): Promise<App> {
    return addApp(this.#core, app, options);
  }
  /** Removes an application; false when there was none. */
  deleteApp(name: string, options?: CallOptions): Promise<boolean> {
    return deleteApp(this.#core, name, options);
  }
  /** Enables an application. */
  enableApp(name: string, options?: CallOptions): Promise<void> {
    return this.#call("enableApp", { name }, options) as Promise<void>;
  }
  /** Disables an application. */
  disableApp(name: string, options?: CallOptions): Promise<void> {
    return this.#call("disableApp", { name }, options) as Promise<void>;
  }

  // ---- runs and tasks (run.ts) ----

  /** Starts an app (or a shell command) without waiting; the `AppRun` remembers the node. */
  async runAppAsync(app: App | string, options?: RunOptions): Promise<AppRun<AppMeshClient>> {
    return new AppRun({ client: this, ...await run.runAppAsync(this.#core, app, options) });
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
    return this.#call("getHostResources", {}, options) as Promise<Record<string, unknown>>;
  }
  /** The server configuration. */
  getConfig(options?: CallOptions): Promise<Record<string, unknown>> {
    return this.#call("getConfig", {}, options) as Promise<Record<string, unknown>>;
  }
  /** Merges into the configuration; resolves to the whole new one. */
  setConfig(
    config: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Record<string, unknown>> {
    return this.#call("setConfig", {}, options, { json: config }) as Promise<
      Record<string, unknown>
    >;
  }
  /** Sets the log level (default `"DEBUG"`); resolves to the level now set. */
  setLogLevel(level = "DEBUG", options?: CallOptions): Promise<string> {
    return setLogLevel(this.#core, level, options);
  }
  /** Prometheus metrics (text). */
  getMetrics(options?: CallOptions): Promise<string> {
    return this.#call("getMetrics", {}, options) as Promise<string>;
  }
  /** Sets a label. */
  addLabel(name: string, value: string, options?: CallOptions): Promise<void> {
    return this.#call("addLabel", { name }, options, { query: { value } }) as Promise<void>;
  }
  /** Removes a label. */
  deleteLabel(name: string, options?: CallOptions): Promise<void> {
    return this.#call("deleteLabel", { name }, options) as Promise<void>;
  }
  /** All labels. */
  listLabels(options?: CallOptions): Promise<Record<string, string>> {
    return this.#call("listLabels", {}, options) as Promise<Record<string, string>>;
  }

  // ---- users and roles (users.ts) ----

  /** Adds (or replaces) a user. */
  addUser(name: string, user: Record<string, unknown>, options?: CallOptions): Promise<void> {
    return this.#call("addUser", { name }, options, { json: user }) as Promise<void>;
  }
  /** Deletes a user. */
  deleteUser(name: string, options?: CallOptions): Promise<void> {
    return this.#call("deleteUser", { name }, options) as Promise<void>;
  }
  /** Locks a user. */
  lockUser(name: string, options?: CallOptions): Promise<void> {
    return this.#call("lockUser", { name }, options) as Promise<void>;
  }
  /** Unlocks a user. */
  unlockUser(name: string, options?: CallOptions): Promise<void> {
    return this.#call("unlockUser", { name }, options) as Promise<void>;
  }
  /** Changes a password (default: the current user's). */
  updatePassword(
    oldPassword: string,
    newPassword: string,
    options?: PasswordOptions,
  ): Promise<void> {
    return updatePassword(this.#core, oldPassword, newPassword, options);
  }
  /** All users. */
  listUsers(options?: CallOptions): Promise<Record<string, unknown>> {
    return this.#call("listUsers", {}, options) as Promise<Record<string, unknown>>;
  }
  /** The current user. */
  getCurrentUser(options?: CallOptions): Promise<Record<string, unknown>> {
    return this.#call("getCurrentUser", {}, options) as Promise<Record<string, unknown>>;
  }
  /** All user groups. */
  listGroups(options?: CallOptions): Promise<string[]> {
    return this.#call("listGroups", {}, options) as Promise<string[]>;
  }
  /** Every permission the server knows. */
  listPermissions(options?: CallOptions): Promise<string[]> {
    return this.#call("listPermissions", {}, options) as Promise<string[]>;
  }
  /** The current user's permissions. */
  getUserPermissions(options?: CallOptions): Promise<string[]> {
    return this.#call("getUserPermissions", {}, options) as Promise<string[]>;
  }
  /** All roles with their permissions. */
  listRoles(options?: CallOptions): Promise<Record<string, string[]>> {
    return this.#call("listRoles", {}, options) as Promise<Record<string, string[]>>;
  }
  /** Creates or replaces a role. */
  updateRole(name: string, permissions: string[], options?: CallOptions): Promise<void> {
    return this.#call("updateRole", { name }, options, { json: permissions }) as Promise<void>;
  }
  /** Deletes a role. */
  deleteRole(name: string, options?: CallOptions): Promise<void> {
    return this.#call("deleteRole", { name }, options) as Promise<void>;
  }

  // ---- lifetime ----

  /**
   * Stops the refresh timer and releases the TLS client. On a `forNode` view it does nothing:
   * the session belongs to the client the view came from.
   */
  close(): Promise<void> {
    if (!this.#view) this.#transport.close();
    return Promise.resolve();
  }

  /** `await using client = new AppMeshClient()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
