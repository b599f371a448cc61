/**
 * `X-Target-Host` values: a node written as `host`, `host:port`, `[v6]`, `[v6]:port`, a bare
 * IPv6 literal or a URL becomes `host:port` (IPv6 in brackets), with the base URL's port when
 * none is given; and a node equal to the server the client talks to is recognised, because the
 * daemon hangs when asked to forward to itself. A forwarded request also gets a finite timeout
 * of its own ({@linkcode DEFAULT_FORWARD_TIMEOUT}, `forwardTimeout` of the client options): the
 * App Mesh agent relays it to the other node, and a node that never answers must not hang the
 * caller (or a workflow step) for the client's whole `timeout`.
 *
 * @example
 * ```ts
 * import { normalizeNode, isSameNode } from "@appmesh/sdk";
 *
 * console.log(normalizeNode("node2", "https://127.0.0.1:6060")); // "node2:6060"
 * console.log(normalizeNode("::1", "https://127.0.0.1:6060")); // "[::1]:6060"
 * console.log(isSameNode("localhost:6060", "https://127.0.0.1:6060")); // true
 * ```
 *
 * @module
 */

/**
 * Default timeout of one forwarded request (`X-Target-Host`), in milliseconds: 60 000. A
 * long-poll, run or task adds the time it asks the server to wait, as every request does.
 *
 * @example
 * ```ts
 * import { DEFAULT_FORWARD_TIMEOUT } from "@appmesh/sdk";
 *
 * console.log(DEFAULT_FORWARD_TIMEOUT); // 60000
 * ```
 */
export const DEFAULT_FORWARD_TIMEOUT = 60_000;

/**
 * What `requestTimeout` needs to know of one request.
 *
 * @example
 * ```ts
 * import { requestTimeout, type TimeoutOptions } from "@appmesh/sdk";
 *
 * const poll: TimeoutOptions = { timeout: 300_000, forwarded: true, wait: 1_000 };
 * console.log(requestTimeout(poll)); // 61000
 * ```
 */
export interface TimeoutOptions {
  /** The client's `timeout` (ms per request). */
  timeout: number;
  /** The client's `forwardTimeout` (ms); default {@linkcode DEFAULT_FORWARD_TIMEOUT}. */
  forwardTimeout?: number;
  /** The request carries `X-Target-Host`. */
  forwarded: boolean;
  /** Milliseconds the request asks the server to wait (long-poll, run, task), added on top. */
  wait?: number;
}

/**
 * The timeout of one request in milliseconds: the client's `timeout`, or for a forwarded request
 * the smaller of it and `forwardTimeout`; plus the wait the request asks of the server.
 *
 * @example
 * ```ts
 * import { requestTimeout } from "@appmesh/sdk";
 *
 * console.log(requestTimeout({ timeout: 300_000, forwarded: true })); // 60000
 * console.log(requestTimeout({ timeout: 300_000, forwarded: true, wait: 10_000 })); // 70000
 * console.log(requestTimeout({ timeout: 300_000, forwarded: false })); // 300000
 * ```
 */
export function requestTimeout(o: TimeoutOptions): number {
  const base = o.forwarded
    ? Math.min(o.timeout, o.forwardTimeout ?? DEFAULT_FORWARD_TIMEOUT)
    : o.timeout;
  return base + (o.wait ?? 0);
}

function defaultPort(base: URL): string {
  return base.port || (base.protocol === "http:" ? "80" : "443");
}

/**
 * The `host:port` form of a node, or undefined for an empty value.
 *
 * @example
 * ```ts
 * import { normalizeNode } from "@appmesh/sdk";
 *
 * console.log(normalizeNode("[::1]", "https://127.0.0.1:6060")); // "[::1]:6060"
 * ```
 *
 * @param node the node as the user wrote it
 * @param baseUrl the client's base URL (for the default port)
 * @throws {TypeError} for a value that is not a host
 */
export function normalizeNode(node: string | undefined, baseUrl: string): string | undefined {
  const value = (node ?? "").trim();
  if (!value) return undefined;
  const base = new URL(baseUrl);
  let host: string;
  let port: string;
  if (value.includes("://")) {
    const u = new URL(value);
    host = u.hostname;
    port = u.port || (u.protocol === "http:" ? "80" : u.protocol === "https:" ? "443" : "");
  } else if (value.startsWith("[")) {
    const m = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\](?::(\d+))?$/.exec(value);
    if (!m) throw new TypeError(`invalid node address: ${value}`);
    host = `[${m[1]}]`;
    port = m[2] ?? "";
  } else if ((value.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 literal: every colon belongs to the address.
    host = `[${value}]`;
    port = "";
  } else {
    const i = value.indexOf(":");
    host = i < 0 ? value : value.slice(0, i);
    port = i < 0 ? "" : value.slice(i + 1);
    if (!host || (i >= 0 && !/^\d+$/.test(port))) {
      throw new TypeError(`invalid node address: ${value}`);
    }
  }
  if (/[\s/\\?#@]/.test(host)) throw new TypeError(`invalid node address: ${value}`);
  return `${host.toLowerCase()}:${port || defaultPort(base)}`;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * True when `node` names the server at `baseUrl` itself (loopback names are one host).
 *
 * @example
 * ```ts
 * import { isSameNode } from "@appmesh/sdk";
 *
 * console.log(isSameNode("127.0.0.1", "https://127.0.0.1:443")); // true
 * console.log(isSameNode("127.0.0.1:6061", "https://127.0.0.1:6060")); // false
 * ```
 *
 * @param node a node (any form `normalizeNode` accepts)
 * @param baseUrl the client's base URL
 */
export function isSameNode(node: string | undefined, baseUrl: string): boolean {
  const target = normalizeNode(node, baseUrl);
  if (!target) return true;
  const self = normalizeNode(new URL(baseUrl).host, baseUrl)!;
  if (target === self) return true;
  const split = (s: string) => {
    const i = s.lastIndexOf(":");
    return [s.slice(0, i), s.slice(i + 1)];
  };
  const [th, tp] = split(target);
  const [sh, sp] = split(self);
  return tp === sp && LOOPBACK.has(th) && LOOPBACK.has(sh);
}
