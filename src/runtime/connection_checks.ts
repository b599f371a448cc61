/**
 * The checks of single connection settings, each failing with a `ConnectionSettingError` that
 * says which setting, from where, and what to do: the server URL, the timeout (seconds or ISO
 * 8601), and CA or client certificate files (present, PEM). Loads `node:fs` only inside the
 * file checks (`await import()`).
 *
 * @module
 */
import { type ConnectionKey, ConnectionSettingError } from "./connection_names.ts";

/**
 * `--url 127.0.0.1:6060` and other values that are not an http(s) URL: the error says so and
 * suggests `https://`.
 *
 * @example
 * ```ts
 * import { checkUrl } from "./connection_checks.ts";
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

/**
 * The milliseconds of a timeout setting: a positive number of milliseconds, or text in seconds
 * (`30`) or ISO 8601 (`PT2M`).
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./connection_checks.ts";
 * console.log(parseTimeout("PT2M", "--timeout"), parseTimeout("1.5", "--timeout")); // 120000 1500
 * ```
 */
export function parseTimeout(value: string | number, from: string): number {
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

/**
 * True when `path` is a file (not a folder, not missing, not unreadable).
 *
 * @example
 * ```ts
 * import { isFile } from "./connection_checks.ts";
 * console.log(await isFile("/"), await isFile("/no/such/file")); // false false
 * ```
 */
export async function isFile(path: string): Promise<boolean> {
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
 *
 * @example
 * ```ts
 * import { checkPemFile } from "./connection_checks.ts";
 * try {
 *   await checkPemFile("ca", "/no/such/ca.pem", "--ca");
 * } catch (e) {
 *   console.log((e as Error).message); // --ca /no/such/ca.pem: no such file (pass --ca FILE ...)
 * }
 * ```
 */
export async function checkPemFile(key: ConnectionKey, path: string, from: string): Promise<void> {
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
