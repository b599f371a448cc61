/**
 * Cookies for `fetch`-based clients: an RFC 6265 cookie jar, the Mozilla `cookies.txt` format
 * that Python's `http.cookiejar.MozillaCookieJar` and `curl -b` share, and the cookie file on
 * disk (atomic, mode 0600, locked between processes).
 *
 * Importing this module touches no file system; the file functions load it when called.
 *
 * @example
 * ```ts
 * import { CookieJar, readCookieFile, updateCookieFile } from "@appmesh/sdk/cookies";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const file = `${dir}/appmesh-cookies.txt`;
 * const jar = new CookieJar();
 * jar.setFromResponse("https://127.0.0.1:6060/appmesh/login", [
 *   "appmesh_auth_token=eyJ...; Path=/; Max-Age=3600; Secure; HttpOnly",
 * ]);
 * await updateCookieFile(file, () => jar.all());
 * const { cookies } = await readCookieFile(file);
 * assert.equal(new CookieJar(cookies).header("https://127.0.0.1:6060/"), "appmesh_auth_token=eyJ...");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { type Cookie, CookieJar, parseSetCookie } from "./jar.ts";
export {
  CookieFileError,
  type CookieFileErrorOptions,
  formatMozilla,
  MOZILLA_HEADER,
  parseMozilla,
} from "./mozilla.ts";
export {
  type CookieFileContents,
  readCookieFile,
  updateCookieFile,
  type UpdateCookieFileOptions,
  writeCookieFile,
} from "./file.ts";
