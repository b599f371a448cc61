/**
 * Shared helpers of the local server's tests: start a server, a fetch that trusts its CA (Deno
 * and Bun), log in.
 */
import { type DevServer, type DevServerOptions, startDevServer } from "../../src/devserver/mod.ts";

/** A fetch bound to one server's CA (and optionally a client certificate). */
export type BoundFetch = (url: string, init?: RequestInit) => Promise<Response>;

interface DenoLike {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): {
    close(): void;
  };
}

const deno = (globalThis as { Deno?: DenoLike }).Deno;
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** A fetch trusting `caPem`; `close()` releases the connection pool. */
export function boundFetch(
  caPem: string | undefined,
  mtls?: { cert: string; key: string },
): BoundFetch & { close(): void } {
  if (!isBun && deno && caPem) {
    const client = deno.createHttpClient({ caCerts: [caPem], ...mtls });
    const f = ((url: string, init: RequestInit = {}) =>
      fetch(url, { ...init, client } as RequestInit)) as BoundFetch & { close(): void };
    f.close = () =>
      client.close();
    return f;
  }
  const tls = caPem ? { ca: caPem, ...(mtls ?? {}) } : undefined;
  const f =
    ((url: string, init: RequestInit = {}) =>
      fetch(url, { ...init, ...(tls ? { tls } : {}) } as RequestInit)) as BoundFetch & {
        close(): void;
      };
  f.close = () => {};
  return f;
}

/** A started server plus a fetch that trusts it. */
export interface Harness {
  server: DevServer;
  url: string;
  fetch: BoundFetch;
  /** Logs in (Basic) and returns the access token. */
  login(user?: string, password?: string, headers?: Record<string, string>): Promise<string>;
  /** fetch with a Bearer token. */
  call(token: string, path: string, init?: RequestInit & { node?: number }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a server for one test. */
export async function harness(options: DevServerOptions = {}): Promise<Harness> {
  const server = await startDevServer({ port: 0, ...options });
  const f = boundFetch(server.caPem);
  const url = server.urls[0];
  const h: Harness = {
    server,
    url,
    fetch: f,
    async login(user = "admin", password = "admin123", headers = {}) {
      const res = await f(`${url}/appmesh/login`, {
        method: "POST",
        headers: { Authorization: `Basic ${btoa(`${user}:${password}`)}`, ...headers },
      });
      const body = await res.json();
      if (res.status !== 200) {
        throw new Error(`login ${user}: ${res.status} ${JSON.stringify(body)}`);
      }
      return body.access_token as string;
    },
    call(token, path, init = {}) {
      const { node, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("Authorization", `Bearer ${token}`);
      return f(`${server.urls[node ?? 0]}${path}`, { ...rest, headers });
    },
    async close() {
      f.close();
      await server.close();
    },
  };
  return h;
}

/** Reads a JSON body. */
export async function body(res: Response): Promise<unknown> {
  const t = await res.text();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

/** A JSON request body with its Content-Type, to spread into a `RequestInit`. */
export const json = (v: unknown): RequestInit => ({
  body: JSON.stringify(v),
  headers: { "Content-Type": "application/json" },
});

/** Polls `fn` until it returns a truthy value (bounded), for process state changes. */
export async function until<T>(fn: () => Promise<T>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
