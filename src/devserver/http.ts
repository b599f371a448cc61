/**
 * The HTTP vocabulary every layer of the local server speaks, and nothing of its state: the
 * authenticated caller, the error answer (`HttpError`), response builders (`json`, `text`,
 * `empty`, `plainBytes`) and request readers (`readJson`, `base64Text`, the daemon's query
 * value rules). Route shapes that see a node are in `context.ts`.
 *
 * @module
 */

/** The authenticated caller. */
export interface AuthUser {
  /** User name (`sub` of the JWT). */
  name: string;
  /** Group of the user. */
  group: string;
  /** Role names. */
  roles: string[];
  /** Every permission of every role. */
  permissions: ReadonlySet<string>;
  /** OS user that processes of this user run as (informational here). */
  exec_user?: string;
  /** The token the request carried. */
  token: string;
}

/** An error answer: `{"message": ...}` JSON unless `body` is given (`null`: empty body). */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Explicit body (string: sent as is; null: empty; object: JSON). */
  readonly body: unknown;
  /** Extra headers. */
  readonly headers: Record<string, string>;
  /**
   * @param status HTTP status code
   * @param message the `message` of the JSON body
   * @param options explicit body or headers
   */
  constructor(
    status: number,
    message: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.body = "body" in options ? options.body : { message };
    this.headers = options.headers ?? {};
  }
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A `text/plain; charset=utf-8` answer. */
export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Reads a JSON body; malformed JSON is a 400 `{"message": ...}` (the daemon says 500). */
export async function readJson(req: Request): Promise<unknown> {
  const raw = await req.text();
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, "Invalid JSON body");
  }
}

/** Decodes base64 of UTF-8 text (Basic auth, password fields); throws when it is not base64. */
export function base64Text(b64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

/**
 * An empty answer with a status only (the daemon's `reply(status)`).
 *
 * @example
 * ```ts
 * import { empty } from "./http.ts";
 * console.log(empty(417).status); // 417
 * ```
 */
export function empty(status: number): Response {
  return new Response(null, { status });
}

/**
 * A 200 `text/plain` answer of raw bytes (no body when there are none), plus `headers`.
 *
 * @example
 * ```ts
 * import { plainBytes } from "./http.ts";
 * const res = plainBytes(new TextEncoder().encode("hi\n"), { "X-Exit-Code": "0" });
 * console.log(await res.text()); // hi
 * ```
 */
export function plainBytes(data: Uint8Array, headers: Record<string, string> = {}): Response {
  return new Response(data.length ? data as Uint8Array<ArrayBuffer> : null, {
    status: 200,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}

const DAY = 24 * 3600;

/**
 * A duration query value as the daemon's `DurationParse`: whole seconds or an ISO 8601
 * duration (`P1DT2H`, `PT30S`, `P1W`). Undefined when absent or not understood.
 *
 * @example
 * ```ts
 * queryDurationSeconds("PT1M"); // 60
 * ```
 */
export function queryDurationSeconds(raw: string | null): number | undefined {
  if (raw === null || raw.trim() === "") return undefined;
  const s = raw.trim();
  if (/^-?\d+$/.test(s)) return Number(s);
  const m =
    /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i
      .exec(s);
  if (!m || s.toUpperCase() === "P" || /T$/i.test(s)) return undefined;
  const [y, mo, w, d, h, mi, se] = m.slice(1).map((v) => Number(v ?? 0));
  return y * 365 * DAY + mo * 30 * DAY + w * 7 * DAY + d * DAY + h * 3600 + mi * 60 + se;
}

/**
 * A bounded integer query value as the daemon's `getHttpQueryValue`: absent, negative,
 * not understood, or outside `[min, max]` (when `min < max`) → `fallback`.
 *
 * @example
 * ```ts
 * import { queryValue } from "./http.ts";
 * const url = new URL("http://h/appmesh/app/a/output?timeout=PT1M");
 * console.log(queryValue(url, "timeout", { fallback: 0 })); // 60
 * ```
 */
export function queryValue(
  url: URL,
  key: string,
  bounds: { fallback: number; min?: number; max?: number },
): number {
  const v = queryDurationSeconds(url.searchParams.get(key));
  const { fallback, min = 0, max = 0 } = bounds;
  if (v === undefined || v < 0) return fallback;
  if (min < max && (v < min || v > max)) return fallback;
  return v;
}

/**
 * `timeout` and `lifecycle` of a run request, with the daemon's defaults and bounds.
 *
 * @example
 * ```ts
 * import { lifecycleParams } from "./http.ts";
 * console.log(lifecycleParams(new URL("http://h/appmesh/app/run?timeout=10"))); // { timeout: 10, lifecycle: 216000 }
 * ```
 */
export function lifecycleParams(url: URL): { timeout: number; lifecycle: number } {
  const max = 3 * DAY;
  const timeout = queryValue(url, "timeout", { fallback: 2 * DAY, min: 0, max });
  const lifecycle = queryValue(url, "lifecycle", { fallback: 2.5 * DAY, min: timeout, max });
  return { timeout, lifecycle };
}
