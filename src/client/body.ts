/**
 * Reading bodies under the request's deadline: the `Deadline` itself, capped reads
 * (`maxResponseBytes`), and the guarded response the area modules get, whose body methods read
 * natively and map failures to the client's errors.
 *
 * @module
 */
import { AppMeshResponseError, AppMeshTimeoutError } from "./errors.ts";
import { unrefTimer } from "../runtime/timers.ts";

/** Options of {@linkcode readBytes}. */
export interface ReadBytesOptions {
  /** Keep the first `max` bytes and discard the rest (else: an error past `max`). */
  truncate?: boolean;
  /** The request URL, for the error. */
  url?: string;
  /** Called with the bytes read so far after each chunk. */
  onChunk?: (bytes: number) => void;
}

/** The error of an answer over `maxResponseBytes`. */
function tooLarge(url: string, max: number, got: string, status: number): AppMeshResponseError {
  return new AppMeshResponseError(
    url,
    `an answer of at most ${max} bytes (maxResponseBytes)`,
    got,
    { code: "RESPONSE_TOO_LARGE", status },
  );
}

/** The runtime's own body getter (a guarded response overrides `body`). */
const NATIVE_BODY = Object.getOwnPropertyDescriptor(Response.prototype, "body")!.get!;

/**
 * Reads a body, but never more than `max` bytes: past that, the rest is cancelled unread and
 * the read fails (or, with `truncate`, ends). A `Content-Length` over `max` fails before
 * anything is read.
 */
export async function readBytes(
  res: Response,
  max: number,
  o: ReadBytesOptions = {},
): Promise<Uint8Array> {
  const url = o.url ?? res.url;
  const body = NATIVE_BODY.call(res) as ReadableStream<Uint8Array> | null;
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (!o.truncate && declared > max) {
    await body?.cancel().catch(() => {});
    throw tooLarge(url, max, `got Content-Length ${declared}`, res.status);
  }
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      if (total + value.byteLength > max) {
        if (!o.truncate) throw tooLarge(url, max, `got more than ${max} bytes`, res.status);
        chunks.push(value.subarray(0, max - total));
        total = max;
        break;
      }
      chunks.push(value);
      total += value.byteLength;
      o.onChunk?.(total);
    }
  } finally {
    // Not released: the body is read to its end or cancelled, so nothing can read it again, and
    // a release rejects the reader's `closed` with a new TypeError (a stack trace per answer).
    if (!complete) await reader.cancel().catch(() => {});
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Whether the runtime may read this body natively: its `Content-Length` is known and within
 * `max` (the runtime never reads past it). Otherwise the capped loop of `readBytes` reads it.
 */
function nativeReadable(res: Response, max: number): boolean {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  return Number.isFinite(declared) && declared <= max;
}

const UTF8 = new TextDecoder();

/** A body as text, capped at `max` bytes. */
export function readTextCapped(res: Response, max: number): Promise<string> {
  if (nativeReadable(res, max)) return Response.prototype.text.call(res);
  return readBytes(res, max).then((bytes) => UTF8.decode(bytes));
}

/**
 * The armed deadlines, watched by one shared timer. A timer per request cost more than the
 * request's own work (Deno's `setTimeout` builds a Node-compatible `Timeout` each time), and a
 * download re-arms per chunk: arming only records a time, and the timer is moved only when a
 * deadline falls before the one it waits for.
 */
const armed = new Set<Deadline>();
let watch: ReturnType<typeof setTimeout> | undefined;
/** When `watch` fires (`performance.now()` milliseconds). */
let watchAt = Infinity;

function schedule(at: number): void {
  if (watch !== undefined && at >= watchAt) return;
  if (watch !== undefined) clearTimeout(watch);
  watchAt = at;
  watch = setTimeout(sweep, Math.max(0, at - performance.now()));
  unrefTimer(watch);
}

/** Fires the deadlines that are due, then waits for the next one. */
function sweep(): void {
  watch = undefined;
  watchAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const d of [...armed]) {
    if (d.due <= now) {
      armed.delete(d);
      d.fire();
    } else if (d.due < next) next = d.due;
  }
  if (next < Infinity) schedule(next);
}

/**
 * Aborts a request after `ms`: armed when the request starts and kept armed while a small
 * body is read (a total deadline); a download re-arms it whenever bytes arrive (an idle
 * timeout). It aborts the signal given to `fetch`, which also aborts a body being read.
 *
 * @example
 * ```ts
 * import { Deadline } from "./body.ts";
 * const d = new Deadline(50, "https://127.0.0.1:6060/appmesh/applications");
 * // The deadline's timer does not keep a process alive by itself (a request in flight does):
 * // stand in for that request here.
 * const inFlight = setTimeout(() => {}, 5_000);
 * d.arm();
 * await new Promise((r) => d.signal.addEventListener("abort", r));
 * clearTimeout(inFlight);
 * console.log(d.fired); // true
 * ```
 */
export class Deadline {
  readonly #ctl = new AbortController();
  /** When it fires (`performance.now()` milliseconds), while armed. */
  due = Infinity;
  fired = false;
  /**
   * @param ms the timeout
   * @param url the request URL (for the error)
   */
  constructor(ms: number, url: string) {
    this.ms = ms;
    this.url = url;
  }
  /** The timeout in milliseconds. */
  readonly ms: number;
  /** The request URL (for the error). */
  readonly url: string;
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  /** Starts (or restarts) the `ms` countdown. */
  arm(): void {
    this.due = performance.now() + this.ms;
    armed.add(this);
    schedule(this.due);
  }
  /** Stops the countdown. */
  disarm(): void {
    armed.delete(this);
    this.due = Infinity;
  }
  /** Aborts the request now (the shared timer's call when `due` has passed). */
  fire(): void {
    this.due = Infinity;
    this.fired = true;
    this.#ctl.abort(new AppMeshTimeoutError(this.url, this.ms));
  }
}

/** A response whose body is still to be read, with what governs that read. */
export interface Exchange {
  /** The runtime's own response (its `url` is the request URL). */
  res: Response;
  /** The most bytes read into memory (`maxResponseBytes`). */
  limit: number;
  /** Armed: the caller disarms it when the body is read (or re-arms it on progress). */
  deadline: Deadline;
  /** Maps a body-read failure to the client's errors. */
  mapError: (e: unknown) => unknown;
}

const NO_BODY = [101, 204, 205, 304];

/**
 * Reads a body as text under the request's deadline, then disarms it; read failures (a cut
 * connection, the deadline) become the client's errors. No stream is put around the body, so
 * the runtime reads it natively.
 */
export async function readText(x: Exchange): Promise<string> {
  try {
    return await readTextCapped(x.res, x.limit);
  } catch (e) {
    throw x.mapError(e);
  } finally {
    x.deadline.disarm();
  }
}

type Reader = "text" | "arrayBuffer" | "blob" | "formData" | "bytes";
const READERS: Reader[] = ["text", "arrayBuffer", "blob", "formData", "bytes"];

/**
 * The response as the area modules get it: the runtime's own object, whose body methods
 * (`text()`, `json()`, ...) read natively under the deadline and disarm it, mapping failures to
 * the client's errors. Reading `body` directly gets a stream re-arming the deadline per chunk
 * (the idle timeout of old; only the small `cancel()` paths use it).
 */
export function guardBody(x: Exchange): Response {
  const { res, deadline, mapError, limit } = x;
  if (!res.body || NO_BODY.includes(res.status)) {
    deadline.disarm();
    return res;
  }
  const proto = Response.prototype as unknown as Record<Reader, (this: Response) => unknown>;
  const props: PropertyDescriptorMap = {};
  for (const name of READERS) {
    const native = proto[name];
    if (typeof native !== "function") continue;
    props[name] = {
      configurable: true,
      value: async () => {
        try {
          // Within `maxResponseBytes`: natively when the length is known and small enough.
          if (nativeReadable(res, limit)) return await native.call(res);
          const bytes = await readBytes(res, limit);
          const copy = () =>
            new Response(bytes as Uint8Array<ArrayBuffer>, { headers: res.headers });
          return name === "text" ? new TextDecoder().decode(bytes) : await copy()[name]();
        } catch (e) {
          throw mapError(e);
        } finally {
          deadline.disarm();
        }
      },
    };
  }
  props.json = {
    configurable: true,
    value: async () => JSON.parse(await (res.text as () => Promise<string>)()),
  };
  let guarded: ReadableStream<Uint8Array> | null | undefined;
  const nativeBody = Object.getOwnPropertyDescriptor(Response.prototype, "body")?.get;
  props.body = {
    configurable: true,
    get: () => (guarded ??= idleStream(nativeBody!.call(res), deadline, mapError)),
  };
  Object.defineProperties(res, props);
  return res;
}

/** A stream over `body` that re-arms the deadline for every chunk (an idle timeout). */
function idleStream(
  body: ReadableStream<Uint8Array> | null,
  deadline: Deadline,
  mapError: (e: unknown) => unknown,
): ReadableStream<Uint8Array> | null {
  if (!body) {
    deadline.disarm();
    return body;
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      deadline.arm();
      try {
        const r = await reader.read();
        if (r.done) ctl.close();
        else ctl.enqueue(r.value);
      } catch (e) {
        ctl.error(mapError(e));
      } finally {
        deadline.disarm();
      }
    },
    cancel(reason) {
      deadline.disarm();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
