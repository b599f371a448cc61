/**
 * Files, the same on Deno, Bun and Node through `node:fs/promises`: text reads, atomic writes
 * (a temporary file beside the target, then `rename`), streamed reads and writes, POSIX
 * attributes. Loaded with `await import()` only when a file system is needed.
 *
 * @module
 */
import { chmod, chown, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { runtimeName } from "./detect.ts";

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

/** POSIX attributes of a file. */
export interface FileAttributes {
  /** Permission bits (`mode & 0o777`). */
  mode: number;
  /** Owner's name, or the numeric uid when it has none. */
  user: string;
  /** Group's name, or the numeric gid when it has none. */
  group: string;
}

/** What {@linkcode applyFileAttributes} may set. */
export interface ApplyAttributesOptions {
  /** Permission bits, 0..0o777 only. */
  mode?: number;
  /** Owner (name or numeric uid); best effort. */
  user?: string;
  /** Group (name or numeric gid); best effort. */
  group?: string;
}

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

/**
 * Reads a UTF-8 text file.
 *
 * @example
 * ```ts
 * import { readText, writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * console.assert(await readText(`${dir}/a.txt`) === "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readText(path: string): Promise<string> {
  return await readFile(path, "utf8");
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
 * import { tempFileName, tempFileOwner } from "./fs.ts";
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
 * import { tempFileOwner } from "./fs.ts";
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
 * import { processId } from "./fs.ts";
 * console.assert(processId() > 0);
 * ```
 */
export function processId(): number {
  return process.pid;
}

function checkMode(mode: number | undefined): void {
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
    throw new RangeError(`file mode must be within 0..0o777, got ${mode}`);
  }
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
 * import { writeFileAtomic } from "./fs.ts";
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
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeStreamAtomic(path, new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), options);
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
 * import { writeStreamAtomic } from "./fs.ts";
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
  checkMode(options.mode);
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

/**
 * Opens a file as a byte stream read in 64 KiB chunks (memory does not grow with its size).
 * The file is closed when the stream ends or is cancelled.
 *
 * @example
 * ```ts
 * import { openReadStream, writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/f`, "abc");
 * const { stream, size } = await openReadStream(`${dir}/f`);
 * console.assert(size === 3 && (await new Response(stream).text()) === "abc");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openReadStream(
  path: string,
): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
  const handle = await open(path, "r");
  let size: number;
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      throw Object.assign(new Error(`${path} is a directory`), { code: "EISDIR" });
    }
    size = st.size;
  } catch (e) {
    await handle.close();
    throw e;
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    async pull(ctl) {
      try {
        const buf = new Uint8Array(65_536);
        const { bytesRead } = await handle.read(buf, 0, buf.byteLength, null);
        if (bytesRead === 0) {
          await close();
          ctl.close();
        } else {
          ctl.enqueue(buf.subarray(0, bytesRead));
        }
      } catch (e) {
        await close();
        ctl.error(e);
      }
    },
    cancel: close,
  });
  return { stream, size };
}

interface IdTable {
  byId: Map<number, string>;
  byName: Map<string, number>;
}

async function idTable(file: string): Promise<IdTable> {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  const text = await readFile(file, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    const n = Number(id);
    if (name && id !== undefined && Number.isInteger(n)) {
      if (!byId.has(n)) byId.set(n, name);
      byName.set(name, n);
    }
  }
  return { byId, byName };
}

/**
 * Mode bits, owner and group of a file; names come from `/etc/passwd` and `/etc/group`,
 * falling back to the numeric id.
 *
 * @example
 * ```ts
 * import { fileAttributes, writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/f`, "x", { mode: 0o640 });
 * console.assert((await fileAttributes(`${dir}/f`)).mode === 0o640);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fileAttributes(path: string): Promise<FileAttributes> {
  const st = await stat(path);
  const [users, groups] = await Promise.all([idTable("/etc/passwd"), idTable("/etc/group")]);
  return {
    mode: st.mode & 0o777,
    user: users.byId.get(st.uid) ?? String(st.uid),
    group: groups.byId.get(st.gid) ?? String(st.gid),
  };
}

/**
 * Applies owner and group (best effort: silently skipped when not permitted or unknown), then
 * the permission bits (0..0o777 only, never setuid/setgid/sticky).
 *
 * @example
 * ```ts
 * import { applyFileAttributes, fileAttributes, writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/f`, "x");
 * await applyFileAttributes(`${dir}/f`, { mode: 0o600, user: "nobody-such-user" });
 * console.assert((await fileAttributes(`${dir}/f`)).mode === 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function applyFileAttributes(
  path: string,
  options: ApplyAttributesOptions,
): Promise<void> {
  checkMode(options.mode);
  if (options.user !== undefined || options.group !== undefined) {
    try {
      const st = await stat(path);
      const [users, groups] = await Promise.all([idTable("/etc/passwd"), idTable("/etc/group")]);
      const resolve = (v: string | undefined, t: IdTable, current: number) => {
        if (v === undefined || v === "") return current;
        if (/^\d+$/.test(v)) return Number(v);
        return t.byName.get(v);
      };
      const uid = resolve(options.user, users, st.uid);
      const gid = resolve(options.group, groups, st.gid);
      if (uid !== undefined && gid !== undefined && (uid !== st.uid || gid !== st.gid)) {
        await chown(path, uid, gid);
      }
    } catch {
      // Best effort: only root may give a file away; the mode still applies.
    }
  }
  if (options.mode !== undefined) await chmod(path, options.mode);
}

/**
 * True when something exists at `path` (a dangling symlink counts as missing).
 *
 * @example
 * ```ts
 * import { exists } from "./fs.ts";
 * console.assert(await exists("/") && !(await exists("/no/such/file")));
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return false;
    throw e;
  }
}

/**
 * Creates a folder and its parents; an existing folder is fine.
 *
 * @param path the folder
 * @param mode permission bits of the folders it creates (default `0o777` minus the umask)
 *
 * @example
 * ```ts
 * import { mkdirp } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await mkdirp(`${dir}/a/b/c`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function mkdirp(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, ...(mode === undefined ? {} : { mode }) });
}
