/**
 * Encoding what a request carries: path segments (refusing names the URL parser would resolve),
 * the `X-File-Path` header, header checks and merging, Base64 of UTF-8 text.
 *
 * @module
 */
import { AppMeshError } from "./errors.ts";

/** The longest name (URL-encoded) put into a path: daemons refuse request lines past ~8 KiB. */
export const MAX_SEGMENT = 1024;

/**
 * One URL path segment. `.`/`..`/empty are refused (`INVALID_NAME`): the URL parser would
 * resolve them (even percent-encoded), so such a name could reach another endpoint. A name
 * longer than {@linkcode MAX_SEGMENT} once encoded is refused (`NAME_TOO_LONG`) before sending.
 */
export function segment(value: string): string {
  const s = String(value);
  if (s === "" || s === "." || s === "..") {
    throw new AppMeshError(
      `invalid name ${JSON.stringify(s)}: a name must not be empty, "." or ".."`,
      { code: "INVALID_NAME" },
    );
  }
  const encoded = encodeURIComponent(s);
  if (encoded.length > MAX_SEGMENT) {
    throw new AppMeshError(
      `name too long for a URL: ${encoded.length} characters once encoded, at most ` +
        `${MAX_SEGMENT} (${JSON.stringify(s.slice(0, 40))}…)`,
      { code: "NAME_TOO_LONG" },
    );
  }
  return encoded;
}

/** Tagged template: `path\`/appmesh/app/${name}\`` with every value encoded as a segment. */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? segment(values[i]) : ""), "");
}

/** `X-File-Path`: URL-encoded, `/` kept (the agent decodes it), same for download and upload. */
export function encodeFilePath(remote: string): string {
  return encodeURIComponent(remote).replace(/%2F/gi, "/");
}

/** Header names and values are checked before anything is sent. */
export function checkHeader(name: string, value: string): void {
  if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
    // The value may be a secret: name the header only.
    throw new AppMeshError(
      `header ${JSON.stringify(name.replace(/[\r\n\0]/g, " "))} contains CR, LF or NUL`,
      {
        code: "INVALID_HEADER",
      },
    );
  }
}

const NONE: ReadonlySet<string> = new Set();

/** Merges `HeadersInit` into a lower-case record, checking raw values first. */
export function mergeHeaders(
  target: Record<string, string>,
  init: HeadersInit | undefined,
): ReadonlySet<string> {
  if (!init) return NONE;
  const explicit = new Set<string>();
  const entries: [string, string][] = init instanceof Headers
    ? [...init.entries()]
    : Array.isArray(init)
    ? init.map(([k, v]) => [String(k), String(v)])
    : Object.entries(init as Record<string, string>);
  for (const [k, v] of entries) {
    checkHeader(k, String(v));
    target[k.toLowerCase()] = String(v);
    explicit.add(k.toLowerCase());
  }
  return explicit;
}

/** Base64 of UTF-8 text (for Basic auth and passwords, any script). */
export function base64Utf8(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
