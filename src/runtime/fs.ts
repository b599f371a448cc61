/**
 * Files, the same on Deno, Bun and Node through `node:fs/promises`: text reads, streamed reads,
 * whether a path exists, folders. Atomic writes are in fs_write.ts, POSIX attributes in
 * fs_attributes.ts. Loaded with `await import()` only when a file system is needed.
 *
 * @module
 */
import { mkdir, open, readFile, stat } from "node:fs/promises";

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

/**
 * Why a file could not be read, in words (`no such file`, `a directory`, `permission denied`,
 * else the runtime's message), for one-line errors that name the file themselves.
 *
 * @example
 * ```ts
 * import { fileProblem, readText } from "./fs.ts";
 * const why = await readText("/nonexistent/x").catch(fileProblem);
 * console.log(why); // "no such file"
 * ```
 */
export function fileProblem(e: unknown): string {
  switch (code(e)) {
    case "ENOENT":
    case "ENOTDIR":
      return "no such file";
    case "EISDIR":
      return "a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Reads a whole file, but never more than `max` bytes into memory: `undefined` when it is
 * bigger (a file given by a user may be anything). A directory is an `EISDIR` error.
 *
 * @example
 * ```ts
 * import { readBytesAtMost } from "./fs.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * console.log((await readBytesAtMost(`${dir}/a.txt`, 5))?.length); // 5
 * console.log(await readBytesAtMost(`${dir}/a.txt`, 4)); // undefined
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readBytesAtMost(path: string, max: number): Promise<Uint8Array | undefined> {
  const handle = await open(path, "r");
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
    if (st.size > max) return undefined;
    const chunks: Uint8Array[] = [];
    let total = 0;
    // The size may change while reading (or be 0 for a pipe): read to the end, within `max`.
    while (total <= max) {
      const buf = new Uint8Array(65_536);
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > max) return undefined;
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/**
 * A UTF-8 text file read with {@linkcode readBytesAtMost}: `undefined` when it is bigger than
 * `max` bytes; an error with code `EILSEQ` ({@linkcode notUtf8}) when it is not UTF-8.
 *
 * @example
 * ```ts
 * import { readTextAtMost } from "./fs.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * console.log(await readTextAtMost(`${dir}/a.txt`, 5)); // "hello"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTextAtMost(path: string, max: number): Promise<string | undefined> {
  const bytes = await readBytesAtMost(path, max);
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw Object.assign(new TypeError(`${path}: not UTF-8 text`), { code: "EILSEQ" });
  }
}

/**
 * Whether an error of {@linkcode readTextAtMost} is bytes that are not UTF-8 (rather than a
 * file that cannot be read).
 *
 * @example
 * ```ts
 * import { notUtf8, readTextAtMost } from "./fs.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.bin`, new Uint8Array([0xff]));
 * console.log(await readTextAtMost(`${dir}/a.bin`, 5).catch(notUtf8)); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function notUtf8(e: unknown): boolean {
  return code(e) === "EILSEQ";
}

/**
 * Reads a UTF-8 text file.
 *
 * @example
 * ```ts
 * import { readText } from "./fs.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * console.assert(await readText(`${dir}/a.txt`) === "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readText(path: string): Promise<string> {
  return await readFile(path, "utf8");
}

/**
 * Opens a file as a byte stream read in 64 KiB chunks (memory does not grow with its size).
 * The file is closed when the stream ends or is cancelled.
 *
 * @example
 * ```ts
 * import { openReadStream } from "./fs.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
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
