/**
 * Shared helpers of the local server's tests: start a server, a fetch that trusts its CA (Deno,
 * Bun and Node), log in.
 */
import { type DevServer, type DevServerOptions, startDevServer } from "../../src/devserver/mod.ts";
import { afterTest } from "../harness.ts";
import { runtimeName } from "../../src/runtime/detect.ts";
import { nodeFetch } from "../../src/runtime/node_fetch.ts";

/** A fetch bound to one server's CA (and optionally a client certificate). */
export type BoundFetch = (url: string, init?: RequestInit) => Promise<Response>;

interface DenoLike {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): {
    close(): void;
  };
}

/**
 * A fetch trusting `caPem`; `close()` releases the connection pool. Deno: a `createHttpClient`;
 * Bun: the `tls` option; Node, whose global fetch takes no CA per request: the project's own
 * `node:https` fetch (src/runtime/node_fetch.ts, what the client uses there). Kept separate from
 * `createFetch` on Deno and Bun so that these tests send requests the way a plain fetch does.
 */
export function boundFetch(
  caPem: string | undefined,
  mtls?: { cert: string; key: string },
): BoundFetch & { close(): void } {
  const bind = (fetchImpl: BoundFetch, close: () => void) => {
    const f = ((url: string, init?: RequestInit) => fetchImpl(url, init)) as BoundFetch & {
      close(): void;
    };
    f.close = close;
    return f;
  };
  const runtime = runtimeName();
  if (runtime === "node" && caPem) {
    const { fetch: f, close } = nodeFetch({ ca: caPem, ...mtls });
    return bind(f, close);
  }
  if (runtime === "deno" && caPem) {
    const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
    const client = deno.createHttpClient({ caCerts: [caPem], ...mtls });
    return bind(
      (url, init = {}) => fetch(url, { ...init, client } as RequestInit),
      () => client.close(),
    );
  }
  const tls = caPem ? { ca: caPem, ...(mtls ?? {}) } : undefined;
  return bind(
    (url, init = {}) => fetch(url, { ...init, ...(tls ? { tls } : {}) } as RequestInit),
    () => {},
  );
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
  let closing: Promise<void> | undefined;
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
    close() {
      closing ??= (async () => {
        f.close();
        await server.close();
      })();
      return closing;
    },
  };
  // Stopped when the test ends, passed or failed (its own close() first, then this no-op).
  afterTest(() => h.close());
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
