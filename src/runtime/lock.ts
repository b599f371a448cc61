/**
 * An exclusive lock between processes on one file: `${path}.lock`, created with `O_EXCL`
 * (`"wx"`), holding `{ pid, host, time, id, beat }`. While held, its owner touches the file
 * every `beat` ms (a heartbeat). A lock is taken over when its owner is known to be gone:
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
 * Used by the cookie file and the workflow runner.
 *
 * @module
 */
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import { sleep, unrefTimer } from "./timers.ts";

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

/** A held lock. */
export interface Lock {
  /** The lock file (`${path}.lock`). */
  readonly path: string;
  /** Releases it (idempotent; leaves a lock that is no longer ours alone). */
  release(): Promise<void>;
}

/** Options of {@linkcode tryLock}. */
export interface TryLockOptions {
  /** Extra fields for the lock file (e.g. `{ workflow: "nightly" }`). */
  info?: Record<string, unknown>;
  /**
   * Milliseconds after which a lock whose owner cannot be checked (another host, or no owner
   * data) is stale. Default 600 000 (10 minutes).
   */
  stale?: number;
}

/** Options of {@linkcode acquireLock}. */
export interface AcquireLockOptions extends TryLockOptions {
  /** How long to wait for the lock, in ms (default 10 000). */
  waitMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/** Options of {@linkcode withFileLock}. */
export interface WithFileLockOptions {
  /** How long to wait for the lock, in ms (default 10 000). */
  wait?: number;
  /** See {@linkcode TryLockOptions.stale}. */
  stale?: number;
  /** Extra fields for the lock file. */
  info?: Record<string, unknown>;
}

/** The lock could not be taken in time; names the owner (pid, host), never more. */
export class LockTimeoutError extends Error {
  /** Stable error code. */
  readonly code = "LOCK_TIMEOUT";
  /** The lock file. */
  readonly path: string;
  /** Who holds it, when known. */
  readonly owner: { pid?: number; host?: string } | undefined;

  /**
   * Creates the error.
   *
   * @param path the lock file
   * @param waited milliseconds waited
   * @param owner who holds it
   */
  constructor(path: string, waited: number, owner?: { pid?: number; host?: string }) {
    const who = owner?.pid !== undefined ? ` (held by pid ${owner.pid} on ${owner.host})` : "";
    super(`could not lock ${path} within ${waited} ms${who}; remove it if no process holds it`);
    this.name = "LockTimeoutError";
    this.path = path;
    this.owner = owner;
  }
}

const DEFAULT_STALE = 600_000;

/**
 * A lock file without owner data older than this is stale: writing a hundred bytes right after
 * creating the file takes microseconds, so its owner was killed in between.
 */
const EMPTY_GRACE = 5_000;

/** Milliseconds between two heartbeats of a held lock. */
const BEAT = 1_000;
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

async function readOwner(lockPath: string): Promise<Partial<LockInfo> | undefined> {
  try {
    const o = JSON.parse(await readFile(lockPath, "utf8"));
    return o && typeof o === "object" ? o : undefined;
  } catch (e) {
    if (code(e) === "ENOENT") throw e;
    return undefined; // empty (being written) or garbage
  }
}

/** True when the lock at lockPath may be taken over. */
async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
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

type Handle = Awaited<ReturnType<typeof open>>;

/** Creates the lock file exclusively; its open handle (for the heartbeat), or undefined. */
async function create(lockPath: string, info: LockInfo): Promise<Handle | undefined> {
  let handle;
  try {
    handle = await open(lockPath, "wx", 0o600);
  } catch (e) {
    if (code(e) === "EEXIST") return undefined;
    throw e;
  }
  try {
    await handle.writeFile(JSON.stringify(info) + "\n");
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}

/**
 * Touches the lock file through its own handle every beat (the same file even if a path was
 * replaced); the timer never keeps the process alive. Returns the function that stops it.
 */
function heartbeat(handle: Handle): () => Promise<void> {
  let busy = false;
  const id = setInterval(() => {
    if (busy) return;
    busy = true;
    const now = new Date();
    handle.utimes(now, now).catch(() => {}).finally(() => busy = false);
  }, BEAT);
  unrefTimer(id);
  return async () => {
    clearInterval(id);
    await handle.close().catch(() => {});
  };
}

async function newInfo(extra: Record<string, unknown> | undefined): Promise<LockInfo> {
  const id = crypto.getRandomValues(new Uint32Array(4)).join("-");
  const me = await procSelf();
  return {
    ...extra,
    pid: process.pid,
    host: hostName(),
    time: new Date().toISOString(),
    id,
    beat: BEAT,
    ...(me ? { boot: me.boot, start: me.start } : {}),
  };
}

function held(lockPath: string, id: string, handle: Handle): Lock {
  let released = false;
  const stop = heartbeat(handle);
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      await stop();
      const owner = await readOwner(lockPath).catch(() => undefined);
      if (owner?.id === id) await unlink(lockPath).catch(() => {});
    },
  };
}

/**
 * Removes a stale lock. Two processes may find the same stale lock at once; the takeover itself
 * runs under a second exclusive file, and the lock is re-checked there, so that the slower one
 * cannot remove the lock the faster one just took.
 */
async function takeOver(lockPath: string, staleMs: number): Promise<void> {
  const guard = `${lockPath}.takeover`;
  const mine = await newInfo(undefined);
  const guardHandle = await create(guard, mine);
  if (!guardHandle) {
    // A takeover that crashed leaves its guard: it is stale after a few seconds.
    const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > 5_000) {
      const aside = `${guard}.${mine.id}`;
      await rename(guard, aside).then(() => unlink(aside), () => {});
    }
    return;
  }
  try {
    if (await isStale(lockPath, staleMs).catch(() => false)) await unlink(lockPath).catch(() => {});
  } finally {
    await guardHandle.close().catch(() => {});
    await unlink(guard).catch(() => {});
  }
}

/**
 * Takes the lock of `path` (the file `${path}.lock`) if it is free or stale; undefined when a
 * live process holds it.
 *
 * @param path the file to protect (its folder must exist)
 * @param options extra `info` for the lock file, `stale` age
 *
 * @example
 * ```ts
 * import { tryLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await tryLock(`${dir}/cookies.txt`);
 * console.assert(lock !== undefined);
 * console.assert((await tryLock(`${dir}/cookies.txt`)) === undefined); // held
 * await lock!.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function tryLock(
  path: string,
  options: TryLockOptions = {},
): Promise<Lock | undefined> {
  const lockPath = `${path}.lock`;
  const info = await newInfo(options.info);
  for (let attempt = 0; attempt < 3; attempt++) {
    const handle = await create(lockPath, info);
    if (handle) return held(lockPath, info.id, handle);
    let stale: boolean;
    try {
      stale = await isStale(lockPath, options.stale ?? DEFAULT_STALE);
    } catch (e) {
      if (code(e) === "ENOENT") continue; // released meanwhile: try again
      throw e;
    }
    if (!stale) return undefined;
    await takeOver(lockPath, options.stale ?? DEFAULT_STALE);
  }
  return undefined;
}

/** Per-process queue, so that callers in one process wait their turn instead of polling. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Takes the lock of `path`, waiting up to `waitMs` (polling with a growing, jittered delay).
 *
 * @throws {LockTimeoutError} when it is still held after `waitMs`
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireLock(`${dir}/state.json`, { waitMs: 1000 });
 * await lock.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function acquireLock(path: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const waitMs = options.waitMs ?? 10_000;
  const start = Date.now();
  let delay = 5;
  while (true) {
    options.signal?.throwIfAborted();
    const lock = await tryLock(path, options);
    if (lock) return lock;
    const waited = Date.now() - start;
    if (waited >= waitMs) {
      const owner = await readOwner(`${path}.lock`).catch(() => undefined);
      throw new LockTimeoutError(
        `${path}.lock`,
        waitMs,
        owner && { pid: owner.pid, host: owner.host },
      );
    }
    await sleep(Math.min(delay * (0.5 + Math.random()), waitMs - waited), options.signal);
    delay = Math.min(delay * 2, 200);
  }
}

/**
 * Runs `fn` holding the lock of `path`, and releases it afterwards (also when `fn` throws).
 * Callers in the same process are queued; other processes are kept out by the lock file.
 *
 * @example
 * ```ts
 * import { withFileLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const n = await withFileLock(`${dir}/counter`, async () => 42, { wait: 5000 });
 * console.assert(n === 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: WithFileLockOptions = {},
): Promise<T> {
  const wait = options.wait ?? 10_000;
  const start = Date.now();
  const previous = queues.get(path);
  const run = (async () => {
    if (previous) {
      // Bounded: a nested call on the same path must time out, not deadlock.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        previous,
        new Promise((resolve) => timer = setTimeout(resolve, wait)),
      ]);
      clearTimeout(timer);
    }
    const lock = await acquireLock(path, {
      waitMs: Math.max(0, wait - (Date.now() - start)),
      stale: options.stale,
      info: options.info,
    });
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  })();
  const tail = run.then(() => {}, () => {});
  queues.set(path, tail);
  tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return run;
}
