/**
 * Files, the same on Deno, Bun and Node through `node:fs/promises`: text reads, atomic writes
 * (a temporary file beside the target, then `rename`), streamed reads and writes, POSIX
 * attributes. Loaded with `await import()` only when a file system is needed.
 *
 * @module
 */
import { chmod, chown, mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /** Permission bits of the new file (default `0o666` minus the umask, like `open`). */
  mode?: number;
}

/** Options of {@linkcode writeStreamAtomic}. */
export interface WriteStreamOptions extends WriteOptions {
  /** Aborting removes the temporary file; nothing appears at the destination. */
  signal?: AbortSignal;
}

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
  const reader = stream.getReader();
  const temp = tempName(path);
  let bytes = 0;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  const onAbort = () => {
    reader.cancel(signal?.reason).catch(() => {});
  };
  try {
    signal?.throwIfAborted();
    signal?.addEventListener("abort", onAbort, { once: true });
    handle = await open(temp, "wx", options.mode ?? 0o666);
    while (true) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      let off = 0;
      while (off < value.byteLength) {
        const { bytesWritten } = await handle.write(value, off, value.byteLength - off);
        off += bytesWritten;
      }
      bytes += value.byteLength;
    }
    // fsync is best effort: some file systems (and Bun on some) refuse it.
    await handle.sync().catch(() => {});
    // The umask may have narrowed the mode given to open.
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.close();
    handle = undefined;
    await rename(temp, path);
    return bytes;
  } catch (e) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
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
 * Removes a file or a folder tree; a missing path is not an error.
 *
 * @example
 * ```ts
 * import { remove } from "./fs.ts";
 * await remove("/tmp/no-such-file-here");
 * ```
 */
export async function remove(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
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

/**
 * The user's home folder.
 *
 * @example
 * ```ts
 * import { homeDir } from "./fs.ts";
 * console.assert(homeDir().startsWith("/"));
 * ```
 */
export function homeDir(): string {
  return env("HOME") || homedir();
}

/**
 * An environment variable, or undefined (also when the runtime denies access to it).
 *
 * @example
 * ```ts
 * import { env } from "./fs.ts";
 * console.assert(env("NO_SUCH_VARIABLE_HERE") === undefined);
 * ```
 */
export function env(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}
