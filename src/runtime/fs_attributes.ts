/**
 * POSIX attributes of a file (mode bits, owner and group by name), read and applied the same
 * on Deno, Bun and Node through `node:fs/promises`. Loaded with `await import()` only when a
 * transfer keeps or sets them.
 *
 * @module
 */
import { chmod, chown, readFile, stat } from "node:fs/promises";

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

/**
 * Throws a `RangeError` unless `mode` is undefined or permission bits only (0..0o777: never
 * setuid, setgid or sticky), the one rule for every mode given to a file here.
 *
 * @example
 * ```ts
 * import { checkFileMode } from "./fs_attributes.ts";
 * checkFileMode(0o600);
 * let refused = false;
 * try {
 *   checkFileMode(0o4755);
 * } catch {
 *   refused = true;
 * }
 * console.assert(refused);
 * ```
 */
export function checkFileMode(mode: number | undefined): void {
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
    throw new RangeError(`file mode must be within 0..0o777, got ${mode}`);
  }
}

interface IdTable {
  byId: Map<number, string>;
  byName: Map<string, number>;
}

/** The tables read, kept while their file is unchanged (a download applies them every time). */
const tables = new Map<string, { mtimeMs: number; size: number; table: IdTable }>();

async function idTable(file: string): Promise<IdTable> {
  const st = await stat(file).catch(() => undefined);
  const kept = tables.get(file);
  if (st && kept && kept.mtimeMs === st.mtimeMs && kept.size === st.size) return kept.table;
  const table = await readIdTable(file);
  if (st) tables.set(file, { mtimeMs: st.mtimeMs, size: st.size, table });
  return table;
}

async function readIdTable(file: string): Promise<IdTable> {
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
 * import { fileAttributes } from "./fs_attributes.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
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
 * import { applyFileAttributes, fileAttributes } from "./fs_attributes.ts";
 * import { writeFileAtomic } from "./fs_write.ts";
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
  checkFileMode(options.mode);
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
