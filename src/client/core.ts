/**
 * What the area modules (auth, apps, run, files, system, users) get: one node's handle on the
 * shared `Transport` (the session, the options they read, the request path with the node's
 * `X-Target-Host`), and `call`, the whole of a method that is one request of the endpoint
 * table. No area sees the client class, so the areas sit between the request path and the
 * class, and the imports run one way.
 *
 * @module
 */
import { parseJson } from "./answers.ts";
import { type Exchange, guardBody, readText } from "./body.ts";
import { type Answer, type EndpointName, ENDPOINTS } from "./endpoints.ts";
import { isSameNode, normalizeNode } from "./forward.ts";
import type { RequestSpec, Transport } from "./request.ts";
import type { Session } from "./session.ts";
import type { BrowserMode, Logger } from "./types.ts";

/** One node's handle on the request path, as the area modules get it. */
export interface Core {
  /** The server the client talks to. */
  readonly baseUrl: string;
  /** The node requests go to (`host:port`), undefined for the base URL's node. */
  readonly node: string | undefined;
  /** The shared session. */
  readonly session: Session;
  /** Whether to ask for refresh tokens. */
  readonly refreshTokens: boolean;
  /** The browser mode, undefined outside a browser. */
  readonly browser: BrowserMode | undefined;
  /** The logger (possibly empty). */
  readonly logger: Logger;
  /** Loads the cookie file and prepares TLS (idempotent). */
  ready(): Promise<void>;
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
  /** The same transport and session, addressing another node. */
  forNode(node: string | undefined): Core;
}

/**
 * The handle of `node` on a transport: `node` is normalised (`host` gets the base URL's port,
 * IPv6 literals are bracketed), and a node equal to the base URL's is addressed without
 * `X-Target-Host` (the daemon hangs forwarding to itself).
 *
 * @example
 * ```ts
 * import { nodeCore } from "./core.ts";
 * import { Transport } from "./request.ts";
 *
 * const t = new Transport({ baseUrl: "https://127.0.0.1:6060" });
 * console.log(nodeCore(t, "node2").node); // "node2:6060"
 * t.close();
 * ```
 *
 * @param transport the shared request path
 * @param node the node as the user wrote it, undefined for the base URL's
 */
export function nodeCore(transport: Transport, node: string | undefined): Core {
  const t = transport;
  const normalized = normalizeNode(node, t.baseUrl);
  const target = normalized && !isSameNode(normalized, t.baseUrl) ? normalized : undefined;
  return {
    baseUrl: t.baseUrl,
    node: normalized,
    session: t.session,
    refreshTokens: t.options.refreshToken ?? false,
    browser: t.browser,
    logger: t.logger,
    ready: () => t.ready(),
    request: async (spec) => guardBody(await t.exchange(spec, target)),
    stream: (spec) => t.exchange(spec, target),
    json: async <T>(spec: RequestSpec): Promise<T> => {
      const x = await t.exchange(spec, target);
      return parseJson<T>(await readText(x), x.res, x.deadline.url, spec.shape);
    },
    text: async (spec) => await readText(await t.exchange(spec, target)),
    forNode: (other) => nodeCore(t, other),
  };
}

/**
 * A method that is one request: sends `spec` to the endpoint `name` and reads the answer the
 * table names (`answer`): JSON of that shape, text, or nothing.
 *
 * @example
 * ```ts
 * import { call, nodeCore } from "./core.ts";
 * import { Transport } from "./request.ts";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer();
 * const t = new Transport({ baseUrl: server.urls[0], ca: server.caFile });
 * console.log(await call(nodeCore(t, undefined), "listGroups", {})); // [...]
 * t.close();
 * ```
 *
 * @param core the node's handle
 * @param name the endpoint
 * @param spec the rest of the request
 * @throws {TypeError} for an endpoint whose answer the table does not name
 */
export function call(
  core: Core,
  name: EndpointName,
  spec: Omit<RequestSpec, "endpoint" | "shape">,
): Promise<unknown> {
  // Not an async function: the promise of the request is handed on as it is (one async frame
  // less on every call).
  const answer: Answer | undefined = (ENDPOINTS[name] as { answer?: Answer }).answer;
  if (answer === undefined) {
    return Promise.reject(new TypeError(`${name} is not a one-call endpoint`));
  }
  if (answer === "text") return core.text({ ...spec, endpoint: name });
  if (answer === "none") return core.text({ ...spec, endpoint: name }).then(() => undefined);
  return core.json({ ...spec, endpoint: name, shape: answer });
}
