/**
 * `--lock`: one run of a workflow at a time. The lock is a file named after the workflow,
 * created exclusively and holding the owner's PID and host (the runtime's file lock); a lock
 * left by a process of this host that is gone is taken over.
 *
 * @module
 */

import type { Lock } from "../../runtime/lock.ts";

/** What a lock file holds. */
export interface LockOwner {
  /** Owner's process id. */
  pid: number;
  /** Owner's host name. */
  host: string;
  /** When it was taken (ISO 8601). */
  time: string;
  /** The workflow name. */
  workflow?: string;
}

/** Options of {@linkcode WorkflowLock.acquire}. */
export interface LockOptions {
  /** Wait up to this many milliseconds for the lock (default 0: give up at once). */
  wait?: number;
  /** Folder of the lock files (default `~/.appmesh/locks`, else the temp folder). */
  dir?: string;
}

/**
 * A lock whose owner cannot be checked (another host sharing the folder, or a file left
 * half-written) is taken over only after a day: a nightly run may well take hours.
 */
const STALE_UNVERIFIABLE = 24 * 3600 * 1000;

/**
 * An exclusive lock named after a workflow.
 *
 * @example
 * ```ts
 * import { WorkflowLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await WorkflowLock.acquire("nightly-backup", { dir });
 * if (!lock) throw new Error("another run holds the lock"); // the CLI exits 4
 * try {
 *   // ... run the workflow ...
 * } finally {
 *   await lock.release();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class WorkflowLock {
  /** The lock file. */
  readonly path: string;
  readonly #lock: Lock;

  private constructor(lock: Lock) {
    this.#lock = lock;
    this.path = lock.path;
  }

  /**
   * Takes the lock, or resolves to `undefined` when another live process holds it (after
   * waiting up to `wait` ms).
   */
  static async acquire(name: string, options: LockOptions = {}): Promise<WorkflowLock | undefined> {
    const { mkdir } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { acquireLock, LockTimeoutError, tryLock } = await import("../../runtime/lock.ts");
    const dir = options.dir ?? await defaultDir();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const base = join(dir, lockName(name));
    const opts = { info: { workflow: name }, stale: STALE_UNVERIFIABLE };
    const wait = Math.max(0, options.wait ?? 0);
    if (wait === 0) {
      const lock = await tryLock(base, opts);
      return lock && new WorkflowLock(lock);
    }
    try {
      return new WorkflowLock(await acquireLock(base, { ...opts, waitMs: wait }));
    } catch (e) {
      if (e instanceof LockTimeoutError) return undefined;
      throw e;
    }
  }

  /**
   * Who holds the lock of a workflow (to tell the user), or `undefined` when nobody does.
   *
   * @example
   * ```ts
   * import { WorkflowLock } from "./lock.ts";
   * const dir = await Deno.makeTempDir();
   * console.log(await WorkflowLock.holder("nightly-backup", { dir })); // undefined
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async holder(name: string, options: Pick<LockOptions, "dir"> = {}): Promise<
    LockOwner | undefined
  > {
    const { readFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const dir = options.dir ?? await defaultDir();
    try {
      const o = JSON.parse(await readFile(join(dir, `${lockName(name)}.lock`), "utf8"));
      return o && typeof o === "object" ? o as LockOwner : undefined;
    } catch {
      return undefined;
    }
  }

  /** Releases the lock (idempotent; a lock that is no longer ours is left alone). */
  release(): Promise<void> {
    return this.#lock.release();
  }

  /** Same as {@linkcode WorkflowLock.release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** The lock file's base name for a workflow name (without `.lock`). */
function lockName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_").slice(0, 100) || "workflow";
}

async function defaultDir(): Promise<string> {
  const os = await import("node:os");
  const path = await import("node:path");
  const { homeDir } = await import("../../runtime/env.ts");
  const home = homeDir();
  return home ? path.join(home, ".appmesh", "locks") : path.join(os.tmpdir(), "appmesh-locks");
}
