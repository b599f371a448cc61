/**
 * An exclusive lock between processes on one file: `${path}.lock`, created with `O_EXCL`
 * (`"wx"`), holding `{ pid, host, time, id }`. A lock left by a process that is gone (same host,
 * dead pid) is taken over; so is one older than `stale` whose owner cannot be checked (another
 * host, a file without owner data, or a Deno process run without `--allow-run`/`--allow-sys`,
 * which may not probe pids or read the host name). Used by the cookie file and the workflow
 * runner.
 *
 * @module
 */
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
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

function code(e: unknown): string | undefined {
  return (e as { code?: string })?.code;
}

/** True/false when known; undefined when this process may not check (Deno without --allow-run). */
function alive(pid: number): boolean | undefined {
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
  try {
    return hostname();
  } catch {
    return "unknown-host";
  }
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
  if (owner && typeof owner.pid === "number" && owner.host === hostName()) {
    if (owner.pid === process.pid) return false;
    const live = alive(owner.pid);
    if (live !== undefined) return !live;
  }
  // Owner on another host, unknown, or not checkable from here: judge by age.
  const age = Date.now() - (await stat(lockPath)).mtimeMs;
  return age > staleMs;
}

async function create(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, "wx", 0o600);
  } catch (e) {
    if (code(e) === "EEXIST") return false;
    throw e;
  }
  try {
    await handle.writeFile(JSON.stringify(info) + "\n");
  } finally {
    await handle.close();
  }
  return true;
}

function newInfo(extra: Record<string, unknown> | undefined): LockInfo {
  const id = crypto.getRandomValues(new Uint32Array(4)).join("-");
  return { ...extra, pid: process.pid, host: hostName(), time: new Date().toISOString(), id };
}

function held(lockPath: string, id: string): Lock {
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
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
  const mine = newInfo(undefined);
  if (!await create(guard, mine)) {
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
  const info = newInfo(options.info);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await create(lockPath, info)) return held(lockPath, info.id);
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

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
