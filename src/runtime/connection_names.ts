/**
 * The vocabulary of the connection settings (server URL, CA, client certificate, cookie file,
 * request timeout): their keys, a resolved `Connection`, the error that names a bad setting,
 * the defaults, and the flag and environment variable of each. Pure data: the client reads
 * its defaults here without loading the resolution (connection.ts) or any file code.
 *
 * @module
 */

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
 * import { DEFAULT_URL } from "./connection_names.ts";
 * console.log(DEFAULT_URL); // https://127.0.0.1:6060
 * ```
 */
export const DEFAULT_URL = "https://127.0.0.1:6060";
/**
 * The default request timeout (ms).
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMEOUT_MS } from "./connection_names.ts";
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
 * import { DEFAULT_SSL_DIR } from "./connection_names.ts";
 * console.log(`${DEFAULT_SSL_DIR}/ca.pem`);
 * ```
 */
export const DEFAULT_SSL_DIR = "/opt/appmesh/ssl";

/**
 * The flags of the command line, by setting.
 *
 * @example
 * ```ts
 * import { FLAG_NAMES } from "./connection_names.ts";
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
 * import { ENV_NAMES } from "./connection_names.ts";
 * console.log(ENV_NAMES.timeout); // APPMESH_TIMEOUT
 * ```
 */
export const ENV_NAMES: Readonly<Partial<Record<ConnectionKey, string>>> = {
  url: "APPMESH_URL",
  ca: "APPMESH_CA",
  cookieFile: "APPMESH_COOKIE_FILE",
  timeout: "APPMESH_TIMEOUT",
};
