/**
 * `X-Target-Host` forwarding between the nodes of one local server. Only nodes of this server
 * are reachable (no open proxy): anything else gets a prompt 502 with the daemon's JSON-string
 * body, and no connection is ever made to it. A target naming the receiving node is served
 * locally (the daemon hangs there). The forwarded request keeps its method, headers and streamed
 * body, minus `X-Target-Host` (as the daemon erases it to prevent loops); the answer streams
 * back unchanged.
 *
 * @module
 */

/** One node as the forwarder sees it. */
export interface ClusterNode {
  /** Port the node listens on. */
  port: number;
  /** Serves a request on this node (the full pipeline after the network layer). */
  serve(req: Request): Promise<Response>;
}

/** The daemon's answer when the forwarding target cannot be reached. */
export function forwardFailure(): Response {
  return new Response(JSON.stringify("Failed to connect to forwarding host"), {
    status: 502,
    headers: { "Content-Type": "application/json" },
  });
}

/** Splits `host`, `host:port`, `[v6]:port` or a URL-ish `scheme://host:port/`; undefined if bad. */
export function parseTarget(raw: string): { host: string; port?: number } | undefined {
  let s = raw.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0];
  if (!s) return undefined;
  let host: string;
  let port: string | undefined;
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0) return undefined;
    host = s.slice(1, end);
    s = s.slice(end + 1);
    if (s.startsWith(":")) port = s.slice(1);
    else if (s) return undefined;
  } else {
    const colons = s.split(":").length - 1;
    if (colons === 1) [host, port] = s.split(":");
    else host = s; // bare host, or a bare IPv6 address
  }
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return undefined;
    return { host: host.toLowerCase(), port: Number(port) };
  }
  return { host: host.toLowerCase() };
}

/**
 * Resolves `X-Target-Host` against the nodes of this server: the node it names, or undefined
 * for a host that is not one of ours.
 */
export function resolveTarget<N extends ClusterNode>(
  raw: string,
  self: N,
  nodes: readonly N[],
  bindHost: string,
): N | undefined {
  const t = parseTarget(raw);
  if (!t) return undefined;
  const local = new Set(["127.0.0.1", "localhost", "::1", bindHost.toLowerCase()]);
  if (bindHost === "0.0.0.0" || bindHost === "::") local.add("0.0.0.0");
  if (!local.has(t.host)) return undefined;
  const port = t.port ?? self.port;
  return nodes.find((n) => n.port === port);
}

/** Hop-by-hop headers that must not travel with a forwarded request. */
const HOP = ["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "x-target-host"];

/** Forwards a request to another node of this server (in process, streamed both ways). */
export async function forward(req: Request, target: ClusterNode): Promise<Response> {
  const url = new URL(req.url);
  const headers = new Headers(req.headers);
  for (const h of HOP) headers.delete(h);
  // Host stays the one the client addressed (the daemon relays the request as received), so the
  // target's same-origin CSRF check sees the origin the browser actually used.
  url.port = String(target.port);
  const hasBody = req.body !== null && req.method !== "GET" && req.method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = {
    method: req.method,
    headers,
    signal: req.signal,
  };
  if (hasBody) {
    init.body = req.body;
    init.duplex = "half";
  }
  return await target.serve(new Request(url, init));
}
