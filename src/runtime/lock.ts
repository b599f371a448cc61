/**
 * An exclusive lock between processes on one file: `${path}.lock`, created with `O_EXCL`
 * (`"wx"`), holding its owner's data (lock_owner.ts). While held, its owner touches the file
 * every beat (a heartbeat). A lock is taken over when lock_owner.ts judges its owner gone;
 * the takeover runs under a second exclusive file so that two waiters cannot both take it.
 *
 * Used by the cookie file and the workflow runner.
 *
 * @module
 */
import { open, rename, stat, unlink } from "node:fs/promises";
import { HEARTBEAT_MS, isStale, type LockInfo, newInfo, readOwner } from "./lock_owner.ts";
import { sleep, unrefTimer } from "./timers.ts";

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
  }, HEARTBEAT_MS);
  unrefTimer(id);
  return async () => {
    clearInterval(id);
    await handle.close().catch(() => {});
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
