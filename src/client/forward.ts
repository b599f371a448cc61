/**
 * `X-Target-Host` values: a node written as `host`, `host:port`, `[v6]`, `[v6]:port`, a bare
 * IPv6 literal or a URL becomes `host:port` (IPv6 in brackets), with the base URL's port when
 * none is given; and a node equal to the server the client talks to is recognised, because the
 * daemon hangs when asked to forward to itself.
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
