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
 * Loads no file-system module until files are checked (`await import()`).
 *
 * @module
 */

import type { ClientOptions } from "../client/types.ts";
import { expandHome, homeFrom } from "./env.ts";

/** The settings resolved. */
export type ConnectionKey = "url" | "ca" | "cert" | "key" | "cookieFile" | "timeout" | "verify";

/** Values of one source; undefined, null and `""` mean "not set here". */
export interface ConnectionValues {
  /** Server URL (`https://host:port`). */
  url?: string | null;
  /** CA certificate: a path or PEM text. */
  ca?: string | null;
  /** Client certificate (mTLS): a path or PEM text. */
  cert?: string | null;
  /** Key of the client certificate: a path or PEM text. */
  key?: string | null;
  /** Cookie file holding the session. */
  cookieFile?: string | null;
  /** Request timeout: a number is milliseconds, a string a duration (seconds or ISO 8601). */
  timeout?: string | number | null;
  /** False turns certificate verification off. */
  verify?: boolean | string | null;
}

/** One layer of settings and how its keys are named in messages. */
export interface ConnectionSource {
  /** The values of this layer. */
  values: ConnectionValues;
  /** The name of a key in messages, e.g. `--ca`, `$APPMESH_CA`, `connection.ca`. */
  label(key: ConnectionKey): string;
}

/** The resolved connection. */
export interface Connection {
  /** Server URL, without a trailing slash. */
  url: string;
  /** CA (path or PEM), or undefined: the system's trust store. */
  ca?: string;
  /** Client certificate (path or PEM). */
  cert?: string;
  /** Client key (path or PEM). */
  key?: string;
  /** Cookie file, or undefined when there is none (no `$HOME` and none given). */
  cookieFile?: string;
  /** Request timeout in milliseconds. */
  timeout: number;
  /** Verify the server's certificate. */
  verify: boolean;
  /** Where each value came from: `--ca`, `$APPMESH_CA`, `connection.ca`, `default`. */
  from: Record<ConnectionKey, string>;
}

/**
 * A connection setting that cannot be used (bad URL, missing CA file, bad duration).
 *
 * @example
 * ```ts
 * import { ConnectionSettingError, flagSource, resolveConnection } from "./connection.ts";
 * try {
 *   await resolveConnection([flagSource({ timeout: "soon" })], { sslDir: null });
 * } catch (e) {
 *   if (e instanceof ConnectionSettingError) console.log(e.setting, e.from); // timeout --timeout
 * }
 * ```
 */
export class ConnectionSettingError extends Error {
  /** The setting, e.g. `ca`. */
  setting: ConnectionKey;
  /** Where it came from, e.g. `--ca`. */
  from: string;
  /**
   * Creates the error.
   *
   * @param setting the setting
   * @param from where it came from
   * @param message one line, naming the setting's origin
   */
  constructor(setting: ConnectionKey, from: string, message: string) {
    super(message);
    this.name = "ConnectionSettingError";
    this.setting = setting;
    this.from = from;
  }
}

/**
 * The default server.
 *
 * @example
 * ```ts
 * import { DEFAULT_URL } from "./connection.ts";
 * console.log(DEFAULT_URL); // https://127.0.0.1:6060
 * ```
 */
export const DEFAULT_URL = "https://127.0.0.1:6060";
/**
 * The default request timeout (ms).
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMEOUT_MS } from "./connection.ts";
 * console.log(DEFAULT_TIMEOUT_MS / 1000); // 300
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 300_000;
/**
 * Where App Mesh installs its certificates (and where the Python SDK looks): `ca.pem`,
 * `client.pem`, `client-key.pem`.
 *
 * @example
 * ```ts
 * import { DEFAULT_SSL_DIR } from "./connection.ts";
 * console.log(`${DEFAULT_SSL_DIR}/ca.pem`);
 * ```
 */
export const DEFAULT_SSL_DIR = "/opt/appmesh/ssl";

/**
 * The flags of the command line, by setting.
 *
 * @example
 * ```ts
 * import { FLAG_NAMES } from "./connection.ts";
 * console.log(FLAG_NAMES.cookieFile); // --cookie-file
 * ```
 */
export const FLAG_NAMES: Readonly<Record<ConnectionKey, string>> = {
  url: "--url",
  ca: "--ca",
  cert: "--cert",
  key: "--key",
  cookieFile: "--cookie-file",
  timeout: "--timeout",
  verify: "--insecure",
};

/**
 * The environment variables, by setting.
 *
 * @example
 * ```ts
 * import { ENV_NAMES } from "./connection.ts";
 * console.log(ENV_NAMES.timeout); // APPMESH_TIMEOUT
 * ```
 */
export const ENV_NAMES: Readonly<Partial<Record<ConnectionKey, string>>> = {
  url: "APPMESH_URL",
  ca: "APPMESH_CA",
  cookieFile: "APPMESH_COOKIE_FILE",
  timeout: "APPMESH_TIMEOUT",
};

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
 * `--url 127.0.0.1:6060` and other values that are not an http(s) URL: the error says so and
 * suggests `https://`.
 *
 * @example
 * ```ts
 * import { checkUrl } from "./connection.ts";
 * checkUrl("https://127.0.0.1:6060/", "--url"); // "https://127.0.0.1:6060"
 * try {
 *   checkUrl("127.0.0.1:6060", "--url");
 * } catch (e) {
 *   console.log((e as Error).message); // --url 127.0.0.1:6060: not an http(s) URL; did you mean https://127.0.0.1:6060?
 * }
 * ```
 */
export function checkUrl(value: string, from: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || !url.hostname) {
    const guess = /^[\w.-]+(:\d+)?\/?$|^\[[0-9a-f:.]+\](:\d+)?\/?$/i.test(value)
      ? `; did you mean https://${value}?`
      : " (expected https://HOST:PORT)";
    throw new ConnectionSettingError("url", from, `${from} ${value}: not an http(s) URL${guess}`);
  }
  return value.replace(/\/+$/, "");
}

function parseTimeout(value: string | number, from: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) {
      throw new ConnectionSettingError(
        "timeout",
        from,
        `${from} ${value}: expected a positive number of milliseconds`,
      );
    }
    return value;
  }
  const text = value.trim();
  const bad = () =>
    new ConnectionSettingError(
      "timeout",
      from,
      `${from} ${value}: not a duration (use seconds, e.g. 30, or ISO 8601, e.g. PT2M)`,
    );
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else {
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
    if (!m || text.toUpperCase() === "P" || /T$/i.test(text)) throw bad();
    seconds = Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3_600 + Number(m[3] ?? 0) * 60 +
      Number(m[4] ?? 0);
  }
  if (!(seconds > 0)) throw bad();
  return Math.round(seconds * 1000);
}

async function isFile(path: string): Promise<boolean> {
  try {
    const { stat } = await import("node:fs/promises");
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Checks that a CA or client certificate file exists and holds PEM text, so that a wrong path
 * is one clear error before any request (PEM text given inline passes).
 */
async function checkPemFile(key: ConnectionKey, path: string, from: string): Promise<void> {
  if (path.includes("-----BEGIN")) return;
  const hint = key === "ca"
    ? " (pass --ca FILE or set $APPMESH_CA to the CA that signed the server's certificate)"
    : "";
  let text: string;
  try {
    const { readFile } = await import("node:fs/promises");
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" || code === "ENOTDIR"
      ? "no such file"
      : code === "EISDIR"
      ? "a folder, not a file"
      : "cannot read it";
    throw new ConnectionSettingError(key, from, `${describeOrigin(path, from)}: ${why}${hint}`);
  }
  const want = key === "key" ? "-----BEGIN" : "-----BEGIN CERTIFICATE-----";
  if (!text.includes(want)) {
    throw new ConnectionSettingError(
      key,
      from,
      `${describeOrigin(path, from)}: not a PEM ${
        key === "key" ? "key" : "certificate"
      } file${hint}`,
    );
  }
}

/** `--ca x.pem`, `$APPMESH_CA x.pem`, or `/opt/appmesh/ssl/ca.pem (default)`. */
function describeOrigin(value: string, from: string): string {
  return from === "default" ? `${value} (default)` : `${from} ${value}`;
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
