/**
 * The cookie file on disk: read (with a warning for a file others can read), written atomically
 * with mode 0600, and updated under an exclusive lock so that processes sharing it (overlapping
 * cron runs) never corrupt it or lose the newer token.
 *
 * The file-system code is imported on first call, so importing this module stays safe in a
 * browser.
 *
 * @module
 */
import type { Cookie } from "./jar.ts";
import { CookieFileError, formatMozilla, parseMozilla } from "./mozilla.ts";

type FsModule = typeof import("../runtime/fs_write.ts");

/** What {@linkcode readCookieFile} found. */
export interface CookieFileContents {
  /** The cookies (expired ones included; a jar drops them). */
  cookies: Cookie[];
  /** Set when the file is accessible by group or others (it holds a bearer token). */
  warning?: string;
}

/** Options of {@linkcode updateCookieFile}. */
export interface UpdateCookieFileOptions {
  /** How long to wait for the lock, in ms (default 10 000). */
  wait?: number;
}

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

function parentOf(path: string): string | undefined {
  const i = path.lastIndexOf("/");
  if (i < 0) return undefined;
  return i === 0 ? "/" : path.slice(0, i);
}

/**
 * Reads a Mozilla `cookies.txt` file. A missing file is an empty session; an unreadable or
 * garbled one is an error naming the file (and line), never a silently empty session.
 *
 * @param path the cookie file
 * @returns the cookies, and a `warning` when group or others may read the file
 * @throws {CookieFileError} when the file cannot be read or is not a cookie file
 *
 * @example
 * ```ts
 * import { readCookieFile, writeCookieFile } from "./file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await readCookieFile(`${dir}/none.txt`), { cookies: [] });
 * await writeCookieFile(`${dir}/cookies.txt`, [{ name: "t", value: "v", domain: "127.0.0.1",
 *   hostOnly: true, path: "/", secure: true, httpOnly: true, expires: 2000000000 }]);
 * const { cookies, warning } = await readCookieFile(`${dir}/cookies.txt`);
 * assert.equal(cookies[0].value, "v");
 * assert.equal(warning, undefined); // written 0600
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readCookieFile(path: string): Promise<CookieFileContents> {
  const { readFile, stat } = await import("node:fs/promises");
  let mode: number;
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      throw new CookieFileError("is a directory, not a cookie file", { file: path });
    }
    mode = st.mode & 0o777;
    text = await readFile(path, "utf8");
  } catch (e) {
    if (e instanceof CookieFileError) throw e;
    if (code(e) === "ENOENT") return { cookies: [] };
    throw new CookieFileError(`cannot read: ${code(e) ?? (e as Error)?.message ?? e}`, {
      file: path,
      cause: e,
    });
  }
  const cookies = parseMozilla(text, path);
  if (mode & 0o077) {
    return {
      cookies,
      warning: `cookie file ${path} is accessible by group/others (mode ${
        mode.toString(8).padStart(4, "0")
      }); it holds a login token: chmod 600 ${path}`,
    };
  }
  return { cookies };
}

/**
 * Writes cookies to a Mozilla `cookies.txt` file: parent folders created (0700), a temporary
 * file beside it renamed over it, mode 0600 (also when replacing a file with a wider mode).
 * Not locked: use {@linkcode updateCookieFile} when other processes may share the file.
 *
 * @param path the cookie file
 * @param cookies what it should hold
 *
 * @example
 * ```ts
 * import { writeCookieFile } from "./file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeCookieFile(`${dir}/a/b/cookies.txt`, []);
 * assert.equal((await Deno.stat(`${dir}/a/b/cookies.txt`)).mode! & 0o777, 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCookieFile(path: string, cookies: Cookie[]): Promise<void> {
  const text = formatMozilla(cookies);
  const [{ mkdirp }, { writeFileAtomic }] = await Promise.all([
    import("../runtime/fs.ts"),
    import("../runtime/fs_write.ts"),
  ]);
  const parent = parentOf(path);
  if (parent) await mkdirp(parent, 0o700);
  await writeFileAtomic(path, text, { mode: 0o600 });
}

/** The write of {@linkcode writeCookieFile} once the parent folder is known to exist. */
function writeInPlace(fs: FsModule, path: string, cookies: Cookie[]): Promise<void> {
  return fs.writeFileAtomic(path, formatMozilla(cookies), { mode: 0o600 });
}

/** A synchronous, atomic write of a cookie file: see {@linkcode cookieFileWriter}. */
export type SyncCookieWriter = (path: string, cookies: Cookie[]) => void;

/**
 * A function that writes a cookie file at once, synchronously: a temporary file beside it
 * (mode 0600), renamed over it, without `fsync`. Nothing else runs between its first and last
 * step, so a process killed right after a renewal still leaves the new token in the file (the
 * locked write that follows makes it durable). Loads the file-system code on first call; for
 * callers that hold the file's lock.
 *
 * @returns the writer
 *
 * @example
 * ```ts
 * import { cookieFileWriter, readCookieFile } from "./file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const write = await cookieFileWriter();
 * write(`${dir}/cookies.txt`, [{ name: "t", value: "v", domain: "127.0.0.1", hostOnly: true,
 *   path: "/", secure: false, httpOnly: true }]);
 * assert.equal((await readCookieFile(`${dir}/cookies.txt`)).cookies[0].value, "v");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cookieFileWriter(): Promise<SyncCookieWriter> {
  const [{ renameSync, unlinkSync, writeFileSync }, { tempFileName }] = await Promise.all([
    import("node:fs"),
    import("../runtime/fs_write.ts"),
  ]);
  return (path, cookies) => {
    const temp = tempFileName(path);
    try {
      writeFileSync(temp, formatMozilla(cookies), { mode: 0o600, flag: "wx" });
      renameSync(temp, path);
    } catch (e) {
      try {
        unlinkSync(temp);
      } catch {
        // never created
      }
      throw e;
    }
  };
}

/**
 * Removes the temporary files a killed writer of `path` left beside it (named as
 * `writeFileAtomic` names them, with another process's id). Called holding the file's lock, so
 * no live writer of ours is using them.
 */
async function removeLeftovers(fs: FsModule, path: string): Promise<void> {
  const { readdir, unlink } = await import("node:fs/promises");
  const dir = parentOf(path) ?? ".";
  const base = path.slice(path.lastIndexOf("/") + 1);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = fs.tempFileOwner(name, base);
    if (pid !== undefined && pid !== fs.processId()) {
      await unlink(`${dir}/${name}`).catch(() => {});
    }
  }
}

/**
 * Read, transform, write, holding the file's lock (`${path}.lock`) throughout: two processes
 * updating one file run one after the other, and each sees the other's result. A garbled file
 * stops the update with a {@linkcode CookieFileError} (it is not overwritten). Temporary files
 * that a killed writer left beside the file are removed.
 *
 * @param path the cookie file
 * @param fn computes the new cookies from the file's current ones
 * @param options `wait`: how long to wait for the lock
 * @returns what was written
 *
 * @example
 * ```ts
 * import { readCookieFile, updateCookieFile } from "./file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const file = `${dir}/cookies.txt`;
 * await updateCookieFile(file, (current) => [...current, { name: "n", value: "1",
 *   domain: "127.0.0.1", hostOnly: true, path: "/", secure: false, httpOnly: false }]);
 * assert.equal((await readCookieFile(file)).cookies.length, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function updateCookieFile(
  path: string,
  fn: (current: Cookie[]) => Cookie[] | Promise<Cookie[]>,
  options: UpdateCookieFileOptions = {},
): Promise<Cookie[]> {
  const [{ mkdirp }, fs, { withFileLock }] = await Promise.all([
    import("../runtime/fs.ts"),
    import("../runtime/fs_write.ts"),
    import("../runtime/lock.ts"),
  ]);
  const parent = parentOf(path);
  if (parent) await mkdirp(parent, 0o700);
  return await withFileLock(path, async () => {
    const { cookies } = await readCookieFile(path);
    const next = await fn(cookies);
    // The parent folder was made above (the lock file lives there): no second mkdir.
    await writeInPlace(fs, path, next);
    await removeLeftovers(fs, path);
    return next;
  }, { wait: options.wait });
}
