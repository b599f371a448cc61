/**
 * A `fetch` with TLS settings (a CA to trust, a client certificate for mTLS, verification off),
 * one way per runtime:
 *
 * - Deno: `Deno.createHttpClient({ caCerts, cert, key })`, passed as `client` to `fetch`.
 *   Deno 2.9 has no per-client way to skip verification (`CreateHttpClientOptions` has no such
 *   field; `--unsafely-ignore-certificate-errors` is process-wide), so `verify: false` uses a
 *   fetch over `node:https` with `rejectUnauthorized: false`, which Deno honours.
 * - Bun: `fetch(url, { tls: { ca, cert, key, rejectUnauthorized } })`.
 * - Node: its global fetch takes no TLS options (that needs undici), so the `node:https` fetch.
 *
 * Without any option, the global `fetch` is used as is.
 *
 * @module
 */
import { runtimeName } from "./detect.ts";
import type { ClosableFetch } from "./node_fetch.ts";

/** TLS settings of {@linkcode createFetch}. */
export interface TlsOptions {
  /** CA certificate(s) to trust, PEM text (in addition to the system's on Deno and Node). */
  ca?: string;
  /** Client certificate (chain), PEM text; needs `key`. */
  cert?: string;
  /** Client private key, PEM text; needs `cert`. */
  key?: string;
  /** False: accept any server certificate (dangerous; the caller warns). Default true. */
  verify?: boolean;
}

/** A fetch bound to TLS settings. */
export interface TlsFetch extends ClosableFetch {
  /** How it was built (for logs and tests). */
  via: "global" | "deno-client" | "bun-tls" | "node-https";
}

interface DenoHttp {
  createHttpClient(o: { caCerts?: string[]; cert?: string; key?: string }): { close(): void };
}

function checkPem(o: TlsOptions): void {
  if ((o.cert === undefined) !== (o.key === undefined)) {
    throw new TypeError("a client certificate needs both `cert` and `key`");
  }
  for (const [name, v] of [["ca", o.ca], ["cert", o.cert], ["key", o.key]] as const) {
    if (v !== undefined && !v.includes("-----BEGIN")) {
      throw new TypeError(`TLS option \`${name}\` must be PEM text (-----BEGIN ...)`);
    }
  }
}

/**
 * Creates a fetch that applies the TLS settings. `close()` releases its connections (call it
 * when done; the fetch must not be used afterwards on Deno).
 *
 * @param opts CA, client certificate and key (PEM text), `verify`
 * @throws {TypeError} for a `cert` without `key` (or the reverse), or non-PEM text
 *
 * @example
 * ```ts
 * import { createFetch } from "./tls.ts";
 * const { fetch, close, via } = await createFetch({});
 * console.assert(via === "global" && typeof fetch === "function");
 * close();
 * ```
 */
export async function createFetch(opts: TlsOptions): Promise<TlsFetch> {
  checkPem(opts);
  const verify = opts.verify ?? true;
  const plain = opts.ca === undefined && opts.cert === undefined && verify;
  if (plain) {
    return { fetch: (input, init) => fetch(input, init), close() {}, via: "global" };
  }
  const runtime = runtimeName();
  if (runtime === "bun") {
    const tls = {
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}),
      rejectUnauthorized: verify,
    };
    return {
      fetch: (input, init) => fetch(input, { ...init, tls } as unknown as RequestInit),
      close() {},
      via: "bun-tls",
    };
  }
  if (runtime === "deno" && verify) {
    const deno = (globalThis as unknown as { Deno: DenoHttp }).Deno;
    const client = deno.createHttpClient({
      ...(opts.ca ? { caCerts: [opts.ca] } : {}),
      ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}),
    });
    let closed = false;
    return {
      fetch: (input, init) => fetch(input, { ...init, client } as unknown as RequestInit),
      close() {
        if (!closed) client.close();
        closed = true;
      },
      via: "deno-client",
    };
  }
  if (runtime === "deno" || runtime === "node") {
    const { nodeFetch } = await import("./node_fetch.ts");
    return {
      ...nodeFetch({ ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: verify }),
      via: "node-https",
    };
  }
  throw new TypeError(
    "TLS options (ca, cert/key, verify: false) need Deno, Bun or Node; this runtime's fetch " +
      "cannot apply them",
  );
}
