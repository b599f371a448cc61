/**
 * Atomic writes, the same on Deno, Bun and Node: a temporary file beside the target
 * (`.NAME.PID.RANDOM.tmp`), written (natively on Deno and Bun, through `node:fs` elsewhere),
 * flushed and renamed over the target. Also how to recognise such a temporary file and its
 * writer, for whoever cleans up after a crash. Loaded with `await import()` only when a file
 * is written.
 *
 * @module
 */
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { runtimeName } from "./detect.ts";
import { checkFileMode } from "./fs_attributes.ts";

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /** Permission bits of the new file (default `0o666` minus the umask, like `open`). */
  mode?: number;
}

/** Options of {@linkcode writeStreamAtomic}. */
export interface WriteStreamOptions extends WriteOptions {
  /** Aborting removes the temporary file; nothing appears at the destination. */
  signal?: AbortSignal;
  /**
   * Called with the bytes written so far whenever they grew, checked every
   * `progressInterval` ms (the file's size is polled: no code runs per chunk). An error it
   * throws fails the write.
   */
  onProgress?: (bytes: number) => void;
  /** Milliseconds between two progress checks (default 100). */
  progressInterval?: number;
}

/** The parts of Deno's API the native write path uses. */
interface DenoFile {
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
}
interface DenoApi {
  open(
    path: string,
    options: { write: true; createNew: true; mode?: number },
  ): Promise<DenoFile>;
}
/** The part of Bun's API the native write path uses. */
interface BunApi {
  write(path: string, data: Response): Promise<number>;
}

const RUNTIME = runtimeName();
const BUN: BunApi | undefined = RUNTIME === "bun"
  ? (globalThis as unknown as { Bun: BunApi }).Bun
  : undefined;
const DENO: DenoApi | undefined = RUNTIME === "deno"
  ? (globalThis as unknown as { Deno: DenoApi }).Deno
  : undefined;

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

function tempName(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(2)).join("");
  return join(dirname(path), `.${basename(path)}.${process.pid}.${rand}.tmp`);
}

/**
 * The name of a new temporary file beside `path`, as the atomic writes here name theirs:
 * `.NAME.PID.RANDOM.tmp`.
 *
 * @example
 * ```ts
 * import { tempFileName, tempFileOwner } from "./fs_write.ts";
 * const temp = tempFileName("/tmp/cookies.txt");
 * console.assert(tempFileOwner(temp.slice(5), "cookies.txt") === Deno.pid);
 * ```
 */
export function tempFileName(path: string): string {
  return tempName(path);
}

/**
 * The process id in the name of a temporary file of `base` (see {@linkcode tempFileName});
 * undefined for any other name.
 *
 * @example
 * ```ts
 * import { tempFileOwner } from "./fs_write.ts";
 * console.assert(tempFileOwner(".cookies.txt.123.456.tmp", "cookies.txt") === 123);
 * console.assert(tempFileOwner("cookies.txt", "cookies.txt") === undefined);
 * ```
 */
export function tempFileOwner(name: string, base: string): number | undefined {
  const prefix = `.${base}.`;
  if (!name.startsWith(prefix) || !name.endsWith(".tmp")) return undefined;
  const m = /^(\d+)\.\d+$/.exec(name.slice(prefix.length, -4));
  return m ? Number(m[1]) : undefined;
}

/**
 * This process's id.
 *
 * @example
 * ```ts
 * import { processId } from "./fs_write.ts";
 * console.assert(processId() > 0);
 * ```
 */
export function processId(): number {
  return process.pid;
}

/**
 * Writes a file all at once or not at all: a temporary file in the same folder is written,
 * flushed (best effort) and renamed over the target. An existing target gets the new mode too.
 *
 * @param path the target file (its folder must exist)
 * @param data text (UTF-8) or bytes
 * @param options `mode` of the file
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/secret`, "token", { mode: 0o600 });
 * console.assert(((await Deno.stat(`${dir}/secret`)).mode! & 0o777) === 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  checkFileMode(options.mode);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  // The data is in memory: one handle writes, flushes and sets the mode (no stream, no second
  // open), half the time of the streamed path for the small files written most (cookie file,
  // reports, small downloads).
  const temp = tempName(path);
  const handle = await open(temp, "wx", options.mode ?? 0o666);
  try {
    try {
      let off = 0;
      while (off < bytes.byteLength) {
        off += (await handle.write(bytes, off, bytes.byteLength - off)).bytesWritten;
      }
      await handle.sync().catch(() => {});
      if (options.mode !== undefined) await handle.chmod(options.mode);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  }
}

/**
 * Writes a stream to a file all at once or not at all: chunks go to a temporary file beside the
 * target, which is renamed over it when the stream ends. On an error or an abort the
 * temporary file is removed and the stream cancelled; the target is untouched.
 *
 * @param path the target file (its folder must exist)
 * @param stream the bytes
 * @param options `mode` of the file, `signal` to abort
 * @returns the number of bytes written
 *
 * @example
 * ```ts
 * import { writeStreamAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * const n = await writeStreamAtomic(`${dir}/f`, new Blob(["abc"]).stream());
 * console.assert(n === 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeStreamAtomic(
  path: string,
  stream: ReadableStream<Uint8Array>,
  options: WriteStreamOptions = {},
): Promise<number> {
  checkFileMode(options.mode);
  const { signal } = options;
  const temp = tempName(path);
  // A failing onProgress aborts the write like the caller's signal does.
  const failed = new AbortController();
  const stopProgress = watchSize(temp, options, (e) => failed.abort(e));
  const abort = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  try {
    abort.throwIfAborted();
    // Each runtime's native file writer: on Deno a JS loop over the chunks makes memory grow
    // with the file, on Bun node:fs writes run at half Bun.write's speed.
    const write = DENO ? writeDeno : BUN ? writeBun : writeNode;
    const bytes = await write(temp, stream, {
      mode: options.mode,
      signal: abort,
      abortable: signal !== undefined,
    });
    abort.throwIfAborted();
    await rename(temp, path);
    return bytes;
  } catch (e) {
    await unlink(temp).catch(() => {});
    await stream.cancel(e).catch(() => {});
    throw abort.aborted ? abort.reason : e;
  } finally {
    stopProgress();
  }
}

/** Polls the size of `file` for `onProgress`; returns the function that stops it. */
function watchSize(
  file: string,
  options: WriteStreamOptions,
  fail: (e: unknown) => void,
): () => void {
  const { onProgress } = options;
  if (!onProgress) return () => {};
  let last = 0;
  let busy = false;
  const id = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const { size } = await stat(file);
      if (size > last) {
        last = size;
        onProgress(size);
      }
    } catch (e) {
      if (code(e) !== "ENOENT") fail(e);
    } finally {
      busy = false;
    }
  }, options.progressInterval ?? 100);
  return () => clearInterval(id);
}

/** Flushes (best effort: some file systems refuse fsync) and sets the mode the umask narrowed. */
async function finish(temp: string, mode: number | undefined): Promise<number> {
  const handle = await open(temp, "r+");
  try {
    await handle.sync().catch(() => {});
    if (mode !== undefined) await handle.chmod(mode);
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/** How a runtime's writer is told to write. */
interface WriterOptions {
  mode: number | undefined;
  /** The caller's signal and onProgress failures. */
  signal: AbortSignal;
  /** Whether a caller's signal may abort the write (else only onProgress failures do). */
  abortable: boolean;
}

/** Deno: the body is piped natively into the file. */
async function writeDeno(
  temp: string,
  stream: ReadableStream<Uint8Array>,
  { mode, signal }: WriterOptions,
): Promise<number> {
  const file = await DENO!.open(temp, { write: true, createNew: true, mode: mode ?? 0o666 });
  try {
    // The pipe closes the file at the end (with preventClose Deno 2.9 writes nothing).
    await stream.pipeTo(file.writable, { signal });
  } catch (e) {
    try {
      file.close();
    } catch {
      // the aborted pipe closed it already
    }
    throw e;
  }
  return await finish(temp, mode);
}

/** Bun: `Bun.write` of the stream into a temp file created first (exclusive, with the mode). */
async function writeBun(
  temp: string,
  stream: ReadableStream<Uint8Array>,
  { mode, signal, abortable }: WriterOptions,
): Promise<number> {
  await (await open(temp, "wx", mode ?? 0o666)).close();
  // An abort must cancel the source: only a caller's signal needs a pipe for that (an
  // onProgress failure is noticed when the write ends).
  const source = abortable ? stream.pipeThrough(new TransformStream(), { signal }) : stream;
  await BUN!.write(temp, new Response(source));
  return await finish(temp, mode);
}

/** Anywhere else (Node): a loop of node:fs writes. */
async function writeNode(
  temp: string,
  stream: ReadableStream<Uint8Array>,
  { mode, signal }: WriterOptions,
): Promise<number> {
  const reader = stream.getReader();
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const handle = await open(temp, "wx", mode ?? 0o666).catch((e) => {
    reader.releaseLock();
    signal.removeEventListener("abort", onAbort);
    throw e;
  });
  try {
    while (true) {
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      let off = 0;
      while (off < value.byteLength) {
        const { bytesWritten } = await handle.write(value, off, value.byteLength - off);
        off += bytesWritten;
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
    await handle.close();
  }
  return await finish(temp, mode);
}
