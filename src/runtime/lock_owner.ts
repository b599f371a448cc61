/**
 * Who holds a lock file and whether that owner is gone: the lock file's contents
 * (`{ pid, host, time, id, beat }`, plus boot id and start time on Linux) and the judgment that
 * lets lock.ts take a lock over. The owner is gone when:
 *
 * - its pid is dead on this host (probing pids needs `--allow-run` on Deno, the host name
 *   `--allow-sys`; Bun and Node may always, and on Linux they read `/proc`, immune to a
 *   reused pid);
 * - else its heartbeat stopped: the waiter saw the file unchanged for five beats by its own
 *   clock (so no permission beyond reading the file is needed, and clocks of hosts sharing
 *   the file need not agree);
 * - a file left empty (its owner killed between creating and writing it) after a few seconds;
 * - anything else (no owner data at all) when older than `stale`.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";

/** What a lock file holds. */
export interface LockInfo {
  /** Owner's process id. */
  pid: number;
  /** Owner's host name. */
  host: string;
  /** When the lock was taken (ISO 8601). */
  time: string;
  /** Random id of this lock (so that a release never removes someone else's lock). */
  id: string;
  /** Milliseconds between two touches of the lock file by its owner (the heartbeat). */
  beat?: number;
  /** Linux: the boot id of the owner's machine (`/proc/sys/kernel/random/boot_id`). */
  boot?: string;
  /** Linux: the owner's start time (field 22 of `/proc/PID/stat`), against pid reuse. */
  start?: string;
  /** Whatever the caller added (`info`). */
  [key: string]: unknown;
}

/**
 * A lock file without owner data older than this is stale: writing a hundred bytes right after
 * creating the file takes microseconds, so its owner was killed in between.
 */
const EMPTY_GRACE = 5_000;

/**
 * Milliseconds between two heartbeats of a held lock.
 *
 * @example
 * ```ts
 * import { HEARTBEAT_MS } from "./lock_owner.ts";
 * console.assert(HEARTBEAT_MS === 1_000);
 * ```
 */
export const HEARTBEAT_MS = 1_000;
/** Beats a waiter must see go by without one before the owner counts as gone. */
const MISSED_BEATS = 5;

/** What this process saw of each lock file: its state and since when (by our clock). */
const observed = new Map<string, { state: string; since: number }>();

/** Milliseconds for which this process has seen the lock file unchanged. */
function unchangedFor(lockPath: string, state: string): number {
  const now = Date.now();
  const seen = observed.get(lockPath);
  if (seen?.state !== state) {
    observed.set(lockPath, { state, since: now });
    return 0;
  }
  return now - seen.since;
}

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

/** Deno's permission API, when running on Deno. */
const DENO_PERMISSIONS = (globalThis as {
  Deno?: { permissions?: { querySync?(d: { name: string; kind?: string }): { state: string } } };
}).Deno?.permissions;

/**
 * Whether Deno grants a permission without asking: probing must never make Deno prompt a
 * library user at a terminal. Always true elsewhere.
 */
function granted(name: string, kind?: string): boolean {
  if (!DENO_PERMISSIONS) return true;
  try {
    return DENO_PERMISSIONS.querySync?.({ name, ...(kind ? { kind } : {}) }).state === "granted";
  } catch {
    return false;
  }
}

/** True/false when known; undefined when this process may not check (Deno without --allow-run). */
function alive(pid: number): boolean | undefined {
  if (!granted("run")) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if (code(e) === "ESRCH") return false;
    if (code(e) === "EPERM") return true; // someone else's process
    return undefined;
  }
}

/** This host's name; a placeholder when the runtime denies it (Deno without --allow-sys). */
function hostName(): string {
  if (!granted("sys", "hostname")) return "unknown-host";
  try {
    return hostname();
  } catch {
    return "unknown-host";
  }
}

/** Where a process stands on Linux: boot id and start time; undefined without `/proc`. */
interface ProcIdentity {
  boot: string;
  start: string;
}

/** The start time of a process from `/proc/PID/stat`; null when there is no such process. */
async function procStart(pid: number | "self"): Promise<string | null | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    return code(e) === "ENOENT" ? null : undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; field 22 is the start.
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
}

let self: Promise<ProcIdentity | undefined> | undefined;

/** This process's identity on Linux (read once); undefined where `/proc` is not readable. */
function procSelf(): Promise<ProcIdentity | undefined> {
  self ??= (async () => {
    // Deno asks for --allow-all to read /proc (and would prompt at a terminal): not there.
    if (DENO_PERMISSIONS) return undefined;
    try {
      const boot = (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
      const start = await procStart("self");
      return boot && start ? { boot, start } : undefined;
    } catch {
      return undefined;
    }
  })();
  return self;
}

/**
 * Whether the owner of a lock is gone, judged through `/proc` when both run on the same boot
 * of the same Linux machine; undefined when that cannot tell.
 */
async function goneByProc(owner: Partial<LockInfo>): Promise<boolean | undefined> {
  const me = await procSelf();
  if (!me || typeof owner.pid !== "number" || owner.boot !== me.boot) return undefined;
  if (owner.pid === process.pid && owner.start === me.start) return false;
  const start = await procStart(owner.pid);
  if (start === undefined) return undefined; // hidden (hidepid) or unreadable
  return start === null || (owner.start !== undefined && start !== owner.start);
}

/**
 * The owner data of a lock file; undefined when the file is empty (being written) or garbage.
 * A missing file throws (`ENOENT`): the lock is free.
 *
 * @example
 * ```ts
 * import { readOwner } from "./lock_owner.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f.lock`, JSON.stringify({ pid: 1, host: "h" }));
 * console.assert((await readOwner(`${dir}/f.lock`))?.pid === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readOwner(lockPath: string): Promise<Partial<LockInfo> | undefined> {
  try {
    const o = JSON.parse(await readFile(lockPath, "utf8"));
    return o && typeof o === "object" ? o : undefined;
  } catch (e) {
    if (code(e) === "ENOENT") throw e;
    return undefined; // empty (being written) or garbage
  }
}

/**
 * True when the lock at `lockPath` may be taken over: its owner is known to be gone (see the
 * module's list), or it holds no owner data and is older than `staleMs`.
 *
 * @example
 * ```ts
 * import { isStale, newInfo } from "./lock_owner.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f.lock`, JSON.stringify(await newInfo(undefined)));
 * console.assert(!(await isStale(`${dir}/f.lock`, 600_000))); // this process holds it
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  const owner = await readOwner(lockPath);
  if (owner && typeof owner.pid === "number") {
    const gone = await goneByProc(owner);
    if (gone !== undefined) return gone;
    if (owner.host === hostName()) {
      if (owner.pid === process.pid) return false;
      const live = alive(owner.pid);
      if (live !== undefined) return !live;
    }
  }
  // Owner on another host or not checkable from here: its heartbeat, then the age (an empty
  // file is a few seconds old at most unless its owner died).
  const st = await stat(lockPath);
  if (owner && typeof owner.beat === "number" && owner.beat > 0) {
    const still = unchangedFor(lockPath, `${owner.id}:${st.mtimeMs}:${st.ino}`);
    if (still > owner.beat * MISSED_BEATS) return true;
  }
  const age = Date.now() - st.mtimeMs;
  return age > (owner ? staleMs : Math.min(staleMs, EMPTY_GRACE));
}

/**
 * The owner data of a lock this process is about to take, with `extra` fields of the caller.
 *
 * @example
 * ```ts
 * import { newInfo } from "./lock_owner.ts";
 * const info = await newInfo({ workflow: "nightly" });
 * console.assert(info.pid === Deno.pid && info.workflow === "nightly");
 * ```
 */
export async function newInfo(extra: Record<string, unknown> | undefined): Promise<LockInfo> {
  const id = crypto.getRandomValues(new Uint32Array(4)).join("-");
  const me = await procSelf();
  return {
    ...extra,
    pid: process.pid,
    host: hostName(),
    time: new Date().toISOString(),
    id,
    beat: HEARTBEAT_MS,
    ...(me ? { boot: me.boot, start: me.start } : {}),
  };
}
