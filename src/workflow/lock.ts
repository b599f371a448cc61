/**
 * `--lock`: one run of a workflow at a time on this machine. The lock is a file named after
 * the workflow, created exclusively and holding the owner's PID and host; a lock left by a
 * process that is gone (same host, dead PID) is taken over.
 *
 * @module
 */

/** What a lock file holds. */
export interface LockOwner {
  /** Owner's process id. */
  pid: number;
  /** Owner's host name. */
  host: string;
  /** When it was taken (ISO 8601). */
  time: string;
  /** The workflow name. */
  workflow: string;
}

/** Options of {@linkcode WorkflowLock.acquire}. */
export interface LockOptions {
  /** Wait up to this many milliseconds for the lock (default 0: give up at once). */
  wait?: number;
  /** Folder of the lock files (default `~/.appmesh/locks`, else the temp folder). */
  dir?: string;
}

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
  #released = false;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Takes the lock, or resolves to `undefined` when another live process holds it (after
   * waiting up to `wait` ms).
   */
  static async acquire(name: string, options: LockOptions = {}): Promise<WorkflowLock | undefined> {
    const fs = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = options.dir ?? await defaultDir();
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${lockName(name)}.lock`);
    const owner: LockOwner = {
      pid: pid(),
      host: os.hostname(),
      time: new Date().toISOString(),
      workflow: name,
    };
    const deadline = Date.now() + Math.max(0, options.wait ?? 0);
    while (true) {
      try {
        const h = await fs.open(file, "wx", 0o600);
        try {
          await h.writeFile(JSON.stringify(owner) + "\n");
        } finally {
          await h.close();
        }
        return new WorkflowLock(file);
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      }
      const holder = await WorkflowLock.holder(file);
      if (holder === "stale") {
        await takeOver(file);
        continue;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(10, deadline - Date.now()))));
    }
  }

  /**
   * Who holds the lock file: its owner, `"stale"` (a dead process of this host, or a file
   * left half-written), or `undefined` when there is no lock.
   */
  static async holder(file: string): Promise<LockOwner | "stale" | undefined> {
    const fs = await import("node:fs/promises");
    const os = await import("node:os");
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch {
      return undefined;
    }
    let owner: LockOwner;
    try {
      owner = JSON.parse(text);
    } catch {
      // Being written right now, or garbage from a crash: stale only when old.
      const age = Date.now() - (await fs.stat(file).then((s) => s.mtimeMs, () => Date.now()));
      return age > 5_000 ? "stale" : { pid: 0, host: "?", time: "", workflow: "" };
    }
    if (owner.host === os.hostname() && !(await alive(owner.pid))) return "stale";
    return owner;
  }

  /** Releases the lock (idempotent). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const fs = await import("node:fs/promises");
    // Remove it only if it is still ours (a takeover by mistake must not be undone).
    try {
      const owner = JSON.parse(await fs.readFile(this.path, "utf8")) as LockOwner;
      if (owner.pid !== pid()) return;
    } catch {
      return;
    }
    await fs.rm(this.path, { force: true });
  }

  /** Same as {@linkcode WorkflowLock.release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** The lock file's base name for a workflow name. */
export function lockName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_").slice(0, 100) || "workflow";
}

/**
 * Removes a stale lock under a second, short-lived lock, re-checking first: two waiters that
 * both saw the stale file must not remove the fresh lock the first of them then created.
 */
async function takeOver(file: string): Promise<void> {
  const fs = await import("node:fs/promises");
  const guard = `${file}.takeover`;
  try {
    await (await fs.open(guard, "wx", 0o600)).close();
  } catch {
    // Someone else is taking over; a guard left by a crash is cleared after 10 s.
    const age = Date.now() - (await fs.stat(guard).then((s) => s.mtimeMs, () => Date.now()));
    if (age > 10_000) await fs.rm(guard, { force: true });
    await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    if (await WorkflowLock.holder(file) === "stale") await fs.rm(file, { force: true });
  } finally {
    await fs.rm(guard, { force: true });
  }
}

async function defaultDir(): Promise<string> {
  const os = await import("node:os");
  const path = await import("node:path");
  const home = os.homedir();
  return home ? path.join(home, ".appmesh", "locks") : path.join(os.tmpdir(), "appmesh-locks");
}

function pid(): number {
  const g = globalThis as { Deno?: { pid: number }; process?: { pid: number } };
  return g.Deno?.pid ?? g.process?.pid ?? 0;
}

async function alive(p: number): Promise<boolean> {
  if (!Number.isInteger(p) || p <= 0) return false;
  if (p === pid()) return true;
  const { default: proc } = await import("node:process");
  try {
    proc.kill(p, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as { code?: string }).code === "EPERM";
  }
}
