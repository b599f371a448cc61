/**
 * The client's one request path, below the area modules: the state a client shares with its
 * `forNode` views (`Transport`: base URL, options, session, TLS `fetch`) and `exchange`, which
 * takes a request as the areas describe it (`RequestSpec`, naming a row of the endpoint table)
 * to a response whose body is still to be read. Nothing here knows the client class.
 *
 * @module
 */
import { browserMode, checkBrowserOptions, checkCrossOrigin } from "./browser.ts";
import { httpError, networkError, redirectError, type Shape } from "./answers.ts";
import { Deadline, type Exchange } from "./body.ts";
import { CredentialCache } from "./credentials.ts";
import { checkHeader, mergeHeaders } from "./encode.ts";
import { type EndpointName, endpointPath, ENDPOINTS, type PathParams } from "./endpoints.ts";
import { requestTimeout } from "./forward.ts";
import { Session } from "./session.ts";
import type { BrowserMode, CallOptions, ClientOptions, Logger } from "./types.ts";
// Constants only: importing it touches no runtime API.
import { DEFAULT_TIMEOUT_MS, DEFAULT_URL } from "../runtime/connection_names.ts";

const USER_AGENT = "appmesh/typescript";
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** One request, as the area modules describe it. */
export interface RequestSpec {
  /** The endpoint (a row of `ENDPOINTS`): its method and path pattern. */
  endpoint: EndpointName;
  /** Values of the pattern's `:param`s, encoded as one segment each. */
  params?: PathParams;
  /** Query parameters (the endpoint's own); undefined values are left out. */
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
  /** What a JSON answer must be (default: an object); see `Shape` in answers.ts. */
  shape?: Shape;
}

/**
 * The URL of a request as a string: the endpoint's path filled in, its query checked against the
 * table. Built as text on the base URL's normalized form (the same text `new URL()` would give:
 * segments are already encoded and never "." or ".."), since `fetch` parses it anyway.
 */
function requestUrl(base: string, spec: RequestSpec): string {
  const url = base + endpointPath(spec.endpoint, spec.params);
  if (!spec.query) return url;
  const known: readonly string[] = (ENDPOINTS[spec.endpoint] as { query?: readonly string[] })
    .query ?? [];
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(spec.query)) {
    if (!known.includes(k)) throw new TypeError(`${spec.endpoint}: no query parameter ${k}`);
    if (v !== undefined) search.set(k, String(v));
  }
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

/**
 * Sets a header whose value came from outside this file (a token, a cookie file, a node name),
 * refusing CR, LF and NUL. Values the caller gave directly were checked as they came in and our
 * constants need no check: each value is checked once (the runtime checks them all again).
 */
function setChecked(headers: Record<string, string>, name: string, value: string): void {
  checkHeader(name, value);
  headers[name] = value;
}

/** Sets a header whose value was checked before (see {@linkcode CredentialCache}). */
function setTrusted(headers: Record<string, string>, name: string, value: string): void {
  headers[name] = value;
}

/**
 * What a client and all its `forNode` views share: base URL, options, session, logger, the
 * `fetch` set up for TLS, and the request path over them. Made by the root client; a view
 * gets it handed over and adds only its node (`X-Target-Host`).
 *
 * @example
 * ```ts
 * import { Transport } from "./request.ts";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer();
 * const t = new Transport({ baseUrl: server.urls[0], ca: server.caFile });
 * const x = await t.exchange({ endpoint: "listApps", expect: [401] }, undefined);
 * x.deadline.disarm();
 * await x.res.body?.cancel();
 * console.log(x.res.status); // 401
 * t.close();
 * ```
 */
export class Transport {
  /** The server, without a trailing `/`. */
  readonly baseUrl: string;
  /** The client's options. */
  readonly options: ClientOptions;
  /** The shared session (token, cookies, cookie file, refresh timer). */
  readonly session: Session;
  /** The logger (possibly empty). */
  readonly logger: Logger;
  /** Milliseconds per request. */
  readonly timeout: number;
  /** The browser mode, undefined outside a browser. */
  readonly browser: BrowserMode | undefined;
  /** `baseUrl` as `new URL()` writes it (lower-case host, no default port): request URLs' start. */
  readonly #base: string;
  #ready: Promise<void> | undefined;
  #fetch: typeof fetch | undefined;
  #closeTls: (() => void) | undefined;
  readonly #credentials: CredentialCache;

  /**
   * Checks the options; nothing is read or sent until the first request (or `ready()`).
   *
   * @param options see {@linkcode ClientOptions}
   */
  constructor(options: ClientOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_URL).replace(/\/+$/, "");
    // A bad URL fails here, not at the first call.
    const parsed = new URL(this.baseUrl);
    parsed.search = parsed.hash = "";
    this.#base = parsed.href.replace(/\/+$/, "");
    this.browser = browserMode(options, this.baseUrl);
    checkBrowserOptions(this.browser, options);
    this.options = options;
    this.logger = options.logger ?? {};
    this.session = new Session({
      baseUrl: this.baseUrl,
      cookieFile: options.cookieFile,
      token: options.token,
      autoRefresh: options.autoRefreshToken,
      logger: this.logger,
    });
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#credentials = new CredentialCache(this.session);
  }

  /** Loads the cookie file and prepares TLS (idempotent; every request does it first). */
  ready(): Promise<void> {
    this.#ready ??= (async () => {
      await this.session.load();
      this.#fetch = await this.#makeFetch();
    })().catch((e) => {
      this.#ready = undefined; // a fixed cookie file or CA works on the next call
      throw e;
    });
    return this.#ready;
  }

  async #makeFetch(): Promise<typeof fetch> {
    const o = this.options;
    if (o.fetch) return o.fetch;
    if (!o.ca && !o.cert && !o.key && o.verify !== false) {
      return (input, init) => fetch(input, init);
    }
    if (o.verify === false) {
      this.logger.warn?.(`TLS certificate verification is OFF for ${this.baseUrl}`);
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
    this.#closeTls = () => made.close();
    return made.fetch;
  }

  /**
   * The request path: URL, headers, timeout and signal, fetch, cookies, one retry after a 401
   * when the cookie file holds a newer token, error mapping. A 2xx (or expected) answer comes
   * back as the runtime's own response with the deadline still armed: whoever reads the body
   * disarms it (wrapping the body in a JS stream would cost the runtime's native body read).
   *
   * @param spec the request
   * @param targetHost the `X-Target-Host` of the view sending it, undefined for none
   */
  async exchange(
    spec: RequestSpec,
    targetHost: string | undefined,
    retried = false,
  ): Promise<Exchange> {
    const { session, browser } = this;
    // A name the URL cannot carry is refused before anything is read or sent.
    const method = ENDPOINTS[spec.endpoint].method;
    const url = requestUrl(this.#base, spec);
    // Once ready, `#fetch` is set: no await (a turn of the event loop) per request for it.
    if (!this.#fetch) await this.ready();

    // A browser owns User-Agent and Cookie (and a cross-origin preflight would refuse them).
    const headers: Record<string, string> = browser ? {} : { "user-agent": USER_AGENT };
    if (spec.headers) {
      for (const [k, v] of Object.entries(spec.headers)) {
        if (v === undefined) continue;
        checkHeader(k, v);
        headers[k.toLowerCase()] = v;
      }
    }
    const explicit = mergeHeaders(headers, spec.call?.headers);
    const sessionAuth = !spec.anonymous && !("authorization" in headers) &&
      !("x-csrf-token" in headers);
    const cred = this.#credentials.get(url);
    // Values from the jar were checked when derived; only a bad one is checked (and refused) here.
    const set = cred.clean ? setTrusted : setChecked;
    const sentToken = cred.token;
    let bearer = false;
    if (sessionAuth) {
      // Older daemons: echo the CSRF cookie; current ones: the token as a bearer.
      if (cred.csrf) set(headers, "x-csrf-token", cred.csrf);
      else if (cred.bearer) {
        set(headers, "authorization", cred.bearer);
        bearer = true;
      }
    }
    const cookie = bearer ? cred.cookieBesideBearer : cred.cookie;
    if (cookie && !browser && !explicit.has("cookie")) set(headers, "cookie", cookie);
    if (targetHost && !explicit.has("x-target-host")) {
      setChecked(headers, "x-target-host", targetHost);
    }
    let body = spec.body;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["content-type"] ??= "application/json";
    }
    if (browser === "cross-origin") checkCrossOrigin(headers, method, new URL(url));
    const userSignal = spec.call?.signal;
    userSignal?.throwIfAborted();

    const timeout = requestTimeout({
      timeout: this.timeout,
      forwardTimeout: this.options.forwardTimeout,
      forwarded: "x-target-host" in headers,
      wait: spec.wait,
    });
    const deadline = new Deadline(timeout, url);
    const signal = userSignal ? AbortSignal.any([userSignal, deadline.signal]) : deadline.signal;
    const mapError = (e: unknown) =>
      networkError(url, e, { timedOut: deadline.fired, timeout, signal: userSignal });
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
        headers,
        signal,
        // The API never redirects: a redirect is an error, and following one would send the
        // token (or X-CSRF-Token) to wherever it points.
        redirect: "manual",
      };
      // Only what differs from fetch's defaults (GET, no body): each option costs it a look.
      if (method !== "GET") init.method = method;
      if (body !== undefined) init.body = body as BodyInit;
      if (body instanceof ReadableStream) init.duplex = "half";
      res = await this.#fetch!(url, init);
    } catch (e) {
      deadline.disarm();
      throw mapError(e);
    } finally {
      sending = false;
    }
    // A redirect (a browser's opaque one has status 0; a `fetch` of the caller's that followed
    // it anyway says `redirected`) is refused before its cookies are taken.
    const redirect = redirectError(res, url);
    if (redirect) {
      deadline.disarm();
      await res.body?.cancel().catch(() => {});
      throw redirect;
    }
    // Kept armed: the body is read under the same deadline (the signal aborts body reads too).
    // The runtime's own fetch answers for the URL asked (redirects are refused above); only a
    // caller's `fetch` may give another `url` (or none). Not read otherwise: Deno's getter
    // parses the URL on every read.
    if (this.options.fetch && res.url !== url) Object.defineProperty(res, "url", { value: url });

    const setCookies = res.headers.getSetCookie?.();
    if (setCookies?.length && session.absorb(new URL(url), setCookies) !== undefined) {
      try {
        await session.changed();
      } catch (e) {
        deadline.disarm();
        await res.body?.cancel().catch(() => {});
        throw e;
      }
    }

    const limit = this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    if (res.ok || spec.expect?.includes(res.status)) return { res, deadline, mapError, limit };
    let error;
    try {
      error = await httpError(res, method, new URL(url), headers["x-target-host"]);
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
      return await this.exchange(spec, targetHost, true);
    }
    throw error;
  }

  /** Stops the refresh timer and releases the TLS client. */
  close(): void {
    this.session.close();
    this.#closeTls?.();
    this.#closeTls = undefined;
  }
}
