/**
 * A streaming `multipart/form-data` reader: parts come one after another, each part's body
 * as a stream of chunks, and nothing is held in memory beyond one network chunk and a
 * boundary's length. Malformed input throws `MultipartError`.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Malformed multipart input. */
export class MultipartError extends Error {
  /**
   * An error for malformed input.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "MultipartError";
  }
}

/** One part of a multipart body. */
export interface MultipartPart {
  /** `name` of its Content-Disposition. */
  name: string;
  /** `filename` of its Content-Disposition, if any. */
  filename?: string;
  /** Its headers, lower-cased names. */
  headers: Record<string, string>;
  /**
   * Its body: iterate it fully (or not at all) before asking for the next part. A chunk is
   * only valid until the next one is requested (buffers are reused): copy what you keep.
   */
  body: AsyncIterable<Uint8Array>;
}

/**
 * The boundary of a `multipart/form-data` Content-Type, or undefined.
 *
 * @example
 * ```ts
 * multipartBoundary('multipart/form-data; boundary="abc"'); // "abc"
 * ```
 */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 200 ? b : undefined;
}

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * Pulls chunks from a stream into a working buffer. When bytes are left over, the next chunk
 * is joined to them in one of two reused scratch buffers instead of a fresh allocation, so a
 * long upload does not churn the heap; a slice handed out is valid until the next `more()`.
 */
class Input {
  buf: Buffer = Buffer.alloc(0);
  done = false;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #scratch: (Buffer | undefined)[] = [undefined, undefined];
  #flip = 0;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }
  /** Reads one more chunk into `buf`; false at the end of the stream. */
  async more(): Promise<boolean> {
    if (this.done) return false;
    const { value, done } = await this.#reader.read();
    if (done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (this.buf.length === 0) {
      this.buf = chunk;
      return true;
    }
    const need = this.buf.length + chunk.length;
    let target = this.#scratch[this.#flip];
    if (!target || target.length < need) {
      target = this.#scratch[this.#flip] = Buffer.allocUnsafe(Math.max(need, 256 * 1024));
    }
    this.#flip ^= 1;
    this.buf.copy(target, 0);
    chunk.copy(target, this.buf.length);
    this.buf = target.subarray(0, need);
    return true;
  }
  /** Reads one more chunk into `buf`; a body that ends here is malformed. */
  async need(): Promise<void> {
    if (!await this.more()) throw new MultipartError("unexpected end of multipart body");
  }
  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/**
 * Whether the delimiter ending at `after` is a real one: followed by `--`, or by optional
 * spaces and CRLF. Undefined when more bytes are needed to tell.
 */
function isDelimiter(buf: Buffer, after: number, atEnd: boolean): boolean | undefined {
  if (buf.length < after + 2) return atEnd ? true : undefined;
  if (buf[after] === 0x2d && buf[after + 1] === 0x2d) return true;
  let j = after;
  while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
  if (j + 1 >= buf.length) return atEnd ? true : undefined;
  return buf[j] === 0x0d && buf[j + 1] === 0x0a;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split("\r\n")) {
    const i = line.indexOf(":");
    if (i <= 0) throw new MultipartError("malformed part header");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function dispositionParam(value: string, key: string): string | undefined {
  const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/**
 * Reads the parts of a multipart body, streaming.
 *
 * @example
 * ```ts
 * const body = new Response("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhi\r\n--b--\r\n").body!;
 * for await (const part of readMultipart(body, "b")) {
 *   for await (const chunk of part.body) console.log(part.name, chunk.length);
 * }
 * ```
 */
export async function* readMultipart(
  stream: ReadableStream<Uint8Array>,
  boundary: string,
): AsyncGenerator<MultipartPart> {
  const input = new Input(stream);
  // The first delimiter may come without the CRLF that precedes every later one.
  input.buf = Buffer.from("\r\n");
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  try {
    // Preamble: skip to the first delimiter.
    for (;;) {
      const i = input.buf.indexOf(delimiter);
      if (i >= 0) {
        input.buf = input.buf.subarray(i + delimiter.length);
        break;
      }
      input.buf = input.buf.subarray(Math.max(0, input.buf.length - delimiter.length));
      if (!await input.more()) throw new MultipartError("multipart boundary not found");
    }
    for (;;) {
      // After a delimiter: "--" ends the body, else (transport padding and) CRLF.
      while (input.buf.length < 2) {
        await input.need();
      }
      if (input.buf[0] === 0x2d && input.buf[1] === 0x2d) return;
      let eol: number;
      while ((eol = input.buf.indexOf(CRLF)) < 0) {
        if (input.buf.length > 256) throw new MultipartError("malformed multipart delimiter");
        await input.need();
      }
      if (input.buf.subarray(0, eol).toString("latin1").trim() !== "") {
        throw new MultipartError("malformed multipart delimiter");
      }
      input.buf = input.buf.subarray(eol + 2);
      // Part headers.
      let end: number;
      let headerBlock: string;
      if (input.buf.subarray(0, 2).equals(CRLF)) {
        headerBlock = "";
        input.buf = input.buf.subarray(2);
      } else {
        while ((end = input.buf.indexOf(HEADER_END)) < 0) {
          if (input.buf.length > MAX_HEADER_BYTES) {
            throw new MultipartError("part headers too large");
          }
          await input.need();
        }
        headerBlock = input.buf.subarray(0, end).toString("utf8");
        input.buf = input.buf.subarray(end + 4);
      }
      const headers = headerBlock ? parseHeaders(headerBlock) : {};
      const disposition = headers["content-disposition"] ?? "";
      if (!/^form-data\b/i.test(disposition)) {
        throw new MultipartError("part without Content-Disposition: form-data");
      }
      let finished = false;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        let from = 0;
        for (;;) {
          const i = input.buf.indexOf(delimiter, from);
          const real = i >= 0 ? isDelimiter(input.buf, i + delimiter.length, input.done) : false;
          if (real === true) {
            if (i > 0) yield input.buf.subarray(0, i);
            input.buf = input.buf.subarray(i + delimiter.length);
            finished = true;
            return;
          }
          if (real === false && i >= 0) {
            // "--boundary" followed by something else is content (as Go's reader sees it).
            from = i + 1;
            continue;
          }
          // Keep a tail that could be the start of a delimiter; hand out the rest.
          const safe = i >= 0 ? i : input.buf.length - delimiter.length + 1;
          if (safe > 0) {
            const out = input.buf.subarray(0, safe);
            input.buf = input.buf.subarray(safe);
            yield out;
          }
          from = 0;
          await input.need();
        }
      };
      const part: MultipartPart = {
        name: dispositionParam(disposition, "name") ?? "",
        filename: dispositionParam(disposition, "filename"),
        headers,
        body: body(),
      };
      yield part;
      if (!finished) {
        // The consumer skipped (or stopped early): drain to the next delimiter.
        for await (const _ of body()) { /* skip */ }
      }
    }
  } finally {
    if (!input.done) input.cancel();
  }
}
