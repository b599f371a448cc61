/**
 * The one resolution of the connection settings (server URL, CA, client certificate, cookie
 * file, request timeout) that every command and `runWorkflow` use, so that they all share one
 * session by default.
 *
 * Precedence, first set wins: a flag (or a `runWorkflow` option), the workflow's
 * `connection:`, the environment (`APPMESH_URL`, `APPMESH_CA`, `APPMESH_COOKIE_FILE`,
 * `APPMESH_TIMEOUT`), the default. Defaults: `https://127.0.0.1:6060`, `~/.appmesh/cookies.txt`,
 * a 300 s timeout, and the CA (`ca.pem`) and client certificate (`client.pem`,
 * `client-key.pem`) in `/opt/appmesh/ssl/` when App Mesh installed them there. Without a CA
 * the system's trust store verifies the server: verification is never turned off by default.
 *
 * Every value remembers where it came from (`--ca`, `$APPMESH_CA`, `connection.ca`,
 * `default`), so that an error can say which setting was used.
 *
 * The names and defaults are in connection_names.ts, the checks of single values in
 * connection_checks.ts. Loads no file-system module until files are checked (`await import()`).
 *
 * @module
 */

import type { ClientOptions } from "../client/types.ts";
import { checkPemFile, checkUrl, isFile, parseTimeout } from "./connection_checks.ts";
import {
  type Connection,
  type ConnectionKey,
  ConnectionSettingError,
  type ConnectionSource,
  type ConnectionValues,
  DEFAULT_SSL_DIR,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_URL,
  ENV_NAMES,
  FLAG_NAMES,
} from "./connection_names.ts";
import { expandHome, homeFrom } from "./env.ts";

// Whoever resolves a connection handles its result and its error: they come with it.
export {
  type Connection,
  type ConnectionKey,
  ConnectionSettingError,
  type ConnectionSource,
  type ConnectionValues,
} from "./connection_names.ts";

const WORKFLOW_KEYS: Readonly<Record<ConnectionKey, string>> = {
  url: "url",
  ca: "ca",
  cert: "cert",
  key: "key",
  cookieFile: "cookie_file",
  timeout: "timeout",
  verify: "verify",
};

/**
 * The command line's flags as a source.
 *
 * @example
 * ```ts
 * import { flagSource } from "./connection.ts";
 * flagSource({ ca: "ca.pem" }).label("ca"); // "--ca"
 * ```
 */
export function flagSource(values: ConnectionValues): ConnectionSource {
  return { values, label: (k) => FLAG_NAMES[k] };
}

/**
 * A named layer: the workflow's `connection:` (`connection.cookie_file`) or a `runWorkflow`
 * option (`options.connection.cookieFile`).
 *
 * @example
 * ```ts
 * import { namedSource } from "./connection.ts";
 * namedSource("connection", { cookieFile: "c.txt" }, true).label("cookieFile"); // "connection.cookie_file"
 * ```
 */
export function namedSource(
  prefix: string,
  values: ConnectionValues,
  snakeCase = false,
): ConnectionSource {
  return { values, label: (k) => `${prefix}.${snakeCase ? WORKFLOW_KEYS[k] : k}` };
}

/**
 * The `APPMESH_*` environment variables as a source.
 *
 * @example
 * ```ts
 * import { envSource } from "./connection.ts";
 * const s = envSource({ APPMESH_URL: "https://gw:6060" });
 * console.log(s.values.url, s.label("url")); // https://gw:6060 $APPMESH_URL
 * ```
 */
export function envSource(env: Record<string, string | undefined>): ConnectionSource {
  const values: ConnectionValues = {};
  for (const [k, name] of Object.entries(ENV_NAMES) as [ConnectionKey, string][]) {
    const v = env[name];
    if (v !== undefined && v !== "") (values as Record<string, string>)[k] = v;
  }
  return { values, label: (k) => ENV_NAMES[k] ? `$${ENV_NAMES[k]}` : k };
}

/** Options of {@linkcode resolveConnection}. */
export interface ResolveOptions {
  /** The environment (`HOME` for `~` and the default cookie file). Default: none. */
  env?: Record<string, string | undefined>;
  /** Where to look for App Mesh's certificates (default `/opt/appmesh/ssl`; null: nowhere). */
  sslDir?: string | null;
  /** Check that the CA and client certificate files exist and hold PEM text (default true). */
  checkFiles?: boolean;
}

/**
 * Where a resolved value came from, in words for a message: `CA ca.pem (from --ca)`.
 *
 * @example
 * ```ts
 * import { describeSetting, resolveConnection } from "./connection.ts";
 * const c = await resolveConnection([], { env: { HOME: "/home/me" }, sslDir: null });
 * describeSetting(c, "cookieFile"); // "cookie file /home/me/.appmesh/cookies.txt (default)"
 * ```
 */
export function describeSetting(c: Connection, key: ConnectionKey): string {
  const names: Record<ConnectionKey, string> = {
    url: "server",
    ca: "CA",
    cert: "client certificate",
    key: "client key",
    cookieFile: "cookie file",
    timeout: "timeout",
    verify: "verification",
  };
  const raw = key === "timeout"
    ? `${c.timeout / 1000}s`
    : key === "verify"
    ? (c.verify ? "on" : "off")
    : c[key];
  const value = raw === undefined
    ? "none"
    : typeof raw === "string" && raw.includes("-----BEGIN")
    ? "(PEM text)"
    : String(raw);
  const from = c.from[key];
  return `${names[key]} ${value} (${from === "default" ? "default" : `from ${from}`})`;
}

/**
 * The client options of a resolved connection (what every command and the runner give
 * `new AppMeshClient`).
 *
 * @example
 * ```ts
 * import { clientOptions, resolveConnection } from "./connection.ts";
 * const c = await resolveConnection([], { env: { HOME: "/home/me" }, sslDir: null });
 * clientOptions(c); // { baseUrl: "https://127.0.0.1:6060", cookieFile: "/home/me/.appmesh/cookies.txt", timeout: 300000, verify: true }
 * ```
 */
export function clientOptions(c: Connection): Pick<
  ClientOptions,
  "baseUrl" | "ca" | "cert" | "key" | "verify" | "cookieFile" | "timeout"
> {
  const o: ReturnType<typeof clientOptions> = {
    baseUrl: c.url,
    timeout: c.timeout,
    verify: c.verify,
  };
  if (c.cookieFile !== undefined) o.cookieFile = c.cookieFile;
  if (c.ca !== undefined) o.ca = c.ca;
  if (c.cert !== undefined) o.cert = c.cert;
  if (c.key !== undefined) o.key = c.key;
  return o;
}

/**
 * The first source that sets `key`: its value and its name (`--url`, `$APPMESH_URL`), or
 * undefined and `default`. The precedence rule of {@linkcode resolveConnection}, for callers
 * that need one value without touching files (the dry-run plan's server).
 *
 * @example
 * ```ts
 * import { envSource, flagSource, pickSetting } from "./connection.ts";
 * pickSetting([flagSource({}), envSource({ APPMESH_URL: "https://gw:6060" })], "url");
 * // { value: "https://gw:6060", from: "$APPMESH_URL" }
 * ```
 */
export function pickSetting<K extends ConnectionKey>(
  sources: readonly ConnectionSource[],
  key: K,
): { value: ConnectionValues[K] | undefined; from: string } {
  for (const s of sources) {
    const v = s.values[key];
    if (v !== undefined && v !== null && v !== "") return { value: v, from: s.label(key) };
  }
  return { value: undefined, from: "default" };
}

/**
 * Resolves the connection from its sources, first set wins, then the defaults.
 *
 * @param sources in precedence order (flags or options first, the environment last)
 * @param options the environment for `~`, the certificate folder, file checks
 * @throws {ConnectionSettingError} naming the setting and where it came from
 *
 * @example
 * ```ts
 * import { envSource, flagSource, resolveConnection } from "./connection.ts";
 * const env = { HOME: "/home/me", APPMESH_URL: "https://gw:6060", APPMESH_TIMEOUT: "PT1M" };
 * const c = await resolveConnection([flagSource({ cookieFile: "~/s.txt" }), envSource(env)], {
 *   env,
 *   sslDir: null,
 * });
 * console.log(c.url, c.cookieFile, c.timeout, c.from.url); // https://gw:6060 /home/me/s.txt 60000 $APPMESH_URL
 * ```
 */
export async function resolveConnection(
  sources: readonly ConnectionSource[],
  options: ResolveOptions = {},
): Promise<Connection> {
  const env = options.env ?? {};
  const from = {} as Record<ConnectionKey, string>;
  const pick = <K extends ConnectionKey>(key: K): ConnectionValues[K] | undefined => {
    const { value, from: origin } = pickSetting(sources, key);
    from[key] = origin;
    return value;
  };

  const rawUrl = pick("url");
  const url = checkUrl(rawUrl === undefined ? DEFAULT_URL : String(rawUrl), from.url);

  const rawTimeout = pick("timeout");
  const timeout = rawTimeout === undefined
    ? DEFAULT_TIMEOUT_MS
    : parseTimeout(rawTimeout as string | number, from.timeout);

  const rawVerify = pick("verify");
  const verify = rawVerify === undefined || (rawVerify !== false && rawVerify !== "false");

  const path = (v: unknown) => v === undefined ? undefined : expandHome(String(v), env);
  let ca = path(pick("ca"));
  let cert = path(pick("cert"));
  let key = path(pick("key"));
  if ((cert === undefined) !== (key === undefined)) {
    const [given, missing]: ConnectionKey[] = cert === undefined
      ? ["key", "cert"]
      : ["cert", "key"];
    throw new ConnectionSettingError(
      missing,
      from[given],
      `${from[given]} given without ${
        FLAG_NAMES[missing].replace("--", "")
      }: a client certificate needs both cert and key`,
    );
  }
  const sslDir = options.sslDir === undefined ? DEFAULT_SSL_DIR : options.sslDir;
  if (sslDir && (ca === undefined || cert === undefined)) {
    if (ca === undefined && await isFile(`${sslDir}/ca.pem`)) ca = `${sslDir}/ca.pem`;
    if (
      cert === undefined && await isFile(`${sslDir}/client.pem`) &&
      await isFile(`${sslDir}/client-key.pem`)
    ) {
      cert = `${sslDir}/client.pem`;
      key = `${sslDir}/client-key.pem`;
    }
  }

  const rawCookie = pick("cookieFile");
  let cookieFile: string | undefined;
  if (rawCookie !== undefined) cookieFile = expandHome(String(rawCookie), env);
  else {
    const home = homeFrom(env);
    cookieFile = home ? `${home}/.appmesh/cookies.txt` : undefined;
  }

  const c: Connection = { url, timeout, verify, from };
  if (ca !== undefined) c.ca = ca;
  if (cert !== undefined) c.cert = cert;
  if (key !== undefined) c.key = key;
  if (cookieFile !== undefined) c.cookieFile = cookieFile;
  if (options.checkFiles ?? true) {
    for (const k of ["ca", "cert", "key"] as const) {
      const v = c[k];
      if (v !== undefined) await checkPemFile(k, v, from[k]);
    }
  }
  return c;
}
