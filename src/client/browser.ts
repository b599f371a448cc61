/**
 * Browser mode: which mode a client runs in, and what a browser cannot do. App Mesh answers
 * CORS with `Access-Control-Allow-Origin: *`, `Access-Control-Allow-Headers: Authorization,
 * Content-Type` and no `Access-Control-Expose-Headers`; a cross-origin request carrying any
 * other header fails its preflight, and the browser says only "failed to fetch". So the client
 * refuses such a request itself, naming the header and the rule.
 *
 * @module
 */
import { isBrowser } from "../runtime/detect.ts";
import { AppMeshBrowserError } from "./errors.ts";
import type { BrowserMode, ClientOptions } from "./types.ts";

/** The daemon's CORS rule, as the errors and the README state it. */
export const CORS_RULE = "App Mesh answers CORS with Access-Control-Allow-Headers: " +
  "Authorization, Content-Type only, so a browser refuses any other request header " +
  "cross-origin";

/** Request headers a cross-origin request may carry: the daemon's two and the CORS-safelisted. */
const CROSS_ORIGIN_HEADERS = new Set([
  "authorization",
  "content-type",
  "accept",
  "accept-language",
  "content-language",
]);

const ADVICE =
  'serve the page from the daemon\'s origin or a reverse proxy, with browser: "same-origin"';

/** `x-target-host` → `X-Target-Host`, for messages. */
function display(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/**
 * The client's browser mode: the `browser` option, else, in a browser, `"same-origin"` when
 * `baseUrl` has the page's origin and `"cross-origin"` otherwise; undefined outside a browser.
 */
export function browserMode(options: ClientOptions, baseUrl: string): BrowserMode | undefined {
  const mode = options.browser;
  if (mode !== undefined && mode !== "cross-origin" && mode !== "same-origin") {
    throw new TypeError(`browser must be "cross-origin" or "same-origin", got ${String(mode)}`);
  }
  if (mode || !isBrowser()) return mode;
  const page = (globalThis as { location?: { origin?: string } }).location?.origin;
  return page && page === new URL(baseUrl).origin ? "same-origin" : "cross-origin";
}

/** Refuses the options a browser cannot honour: a cookie file, TLS settings. */
export function checkBrowserOptions(mode: BrowserMode | undefined, o: ClientOptions): void {
  if (!mode) return;
  if (o.cookieFile !== undefined) {
    throw new AppMeshBrowserError(
      "cookieFile needs a file system and a browser has none: keep the token in memory " +
        "(the client does), or pass `token` from your own storage",
      { code: "NOT_IN_BROWSER" },
    );
  }
  const tls = ["ca", "cert", "key"].filter((k) => o[k as "ca" | "cert" | "key"] !== undefined);
  if (o.verify === false) tls.push("verify: false");
  if (tls.length) {
    throw new AppMeshBrowserError(
      `${tls.join(", ")}: a browser verifies TLS with its own certificate store, which a page ` +
        "cannot change; trust the daemon's CA in the browser (or the system) instead",
      { code: "NOT_IN_BROWSER" },
    );
  }
}

/** Refuses a local-file transfer (`downloadFile`, `uploadFile`) in a browser. */
export function noLocalFiles(mode: BrowserMode | undefined, call: string): void {
  if (!mode) return;
  throw new AppMeshBrowserError(
    `${call} reads or writes a local path and a browser has no file system: use ` +
      `${call === "downloadFile" ? "download()" : "upload()"} with a Blob or a stream`,
    { code: "NOT_IN_BROWSER" },
  );
}

/**
 * Throws for the first request header a cross-origin request may not carry (lower-case names,
 * as the request path builds them).
 */
export function checkCrossOrigin(headers: Record<string, string>, method: string, url: URL): void {
  for (const name of Object.keys(headers)) {
    if (CROSS_ORIGIN_HEADERS.has(name)) continue;
    const header = display(name);
    throw new AppMeshBrowserError(
      `${method} ${url.pathname}: ${header} cannot be sent from a page on another origin ` +
        `(${CORS_RULE}); ${ADVICE}`,
      { code: "CROSS_ORIGIN_HEADER", header },
    );
  }
}
