// The lock file: O_EXCL creation, owner data, release, waiting, stale takeover, no deadlock.
// @bun
// @node
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runtime, test } from "../harness.ts";
import { acquireLock, LockTimeoutError, tryLock, withFileLock } from "../../src/runtime/lock.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-lock-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function deadPid(): Promise<number> {
  const child = spawn("true", [], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

test("lock: tryLock creates path.lock with pid, host, time, info; release removes it", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    const lock = await tryLock(file, { info: { workflow: "nightly" } });
    assert.ok(lock);
    assert.equal(lock.path, `${file}.lock`);
    const info = JSON.parse(await readFile(`${file}.lock`, "utf8"));
    assert.equal(info.pid, process.pid);
    assert.equal(info.host, hostname());
    assert.ok(!Number.isNaN(Date.parse(info.time)));
    assert.equal(info.workflow, "nightly");
    assert.equal(await tryLock(file), undefined);
    await lock.release();
    await lock.release();
    assert.deepEqual(await readdir(dir), []);
    const again = await tryLock(file);
    assert.ok(again);
    await again.release();
  });
});

test("lock: release leaves a lock that is no longer ours alone", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    const lock = (await tryLock(file))!;
    const foreign = JSON.stringify({ pid: 1, host: hostname(), time: "t", id: "someone-else" });
    await writeFile(`${file}.lock`, foreign);
    await lock.release();
    assert.equal(await readFile(`${file}.lock`, "utf8"), foreign);
  });
});

test("lock: a dead owner's lock is taken over; a live owner's is not", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: await deadPid(), host: hostname(), time: "t" }),
    );
    const lock = await tryLock(file);
    assert.ok(lock, "stale lock not taken over");
    assert.equal(JSON.parse(await readFile(`${file}.lock`, "utf8")).pid, process.pid);
    await lock.release();
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 1, host: hostname(), time: "t" }));
    assert.equal(await tryLock(file), undefined);
  });
});

test("lock: another host's lock is stale only after `stale` ms", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: 1, host: "elsewhere.example", time: "t" }),
    );
    assert.equal(await tryLock(file), undefined);
    await new Promise((r) => setTimeout(r, 50));
    const lock = await tryLock(file, { stale: 10 });
    assert.ok(lock);
    await lock.release();
  });
});

test("lock: many contenders on one stale lock: exactly one wins each round", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: await deadPid(), host: hostname(), time: "t" }),
    );
    const locks = await Promise.all(Array.from({ length: 8 }, () => tryLock(file)));
    assert.equal(locks.filter(Boolean).length, 1);
    await locks.find(Boolean)!.release();
    assert.deepEqual(await readdir(dir), []);
  });
});

test("lock: acquireLock waits for the holder, and times out naming it", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    const first = (await tryLock(file))!;
    setTimeout(() => first.release(), 50);
    const second = await acquireLock(file, { waitMs: 10_000 });
    await assert.rejects(acquireLock(file, { waitMs: 100 }), (e: unknown) => {
      assert.ok(e instanceof LockTimeoutError);
      assert.equal(e.path, `${file}.lock`);
      assert.equal(e.owner?.pid, process.pid);
      assert.match(e.message, new RegExp(`held by pid ${process.pid}`));
      return true;
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("give up")), 30);
    await assert.rejects(acquireLock(file, { waitMs: 10_000, signal: ac.signal }), /give up/);
    await second.release();
  });
});

test("lock: withFileLock runs callers one at a time and releases on error", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) =>
      withFileLock(file, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
        if (i % 3 === 0) throw new Error(`fail ${i}`);
        return i;
      }).catch((e) => e)));
    assert.equal(most, 1);
    assert.deepEqual(await readdir(dir), []);
  });
});

test("lock: a nested withFileLock on the same path times out instead of deadlocking", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "state");
    await assert.rejects(
      withFileLock(file, () => withFileLock(file, () => Promise.resolve("inner"), { wait: 100 }), {
        wait: 100,
      }),
      LockTimeoutError,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

/** Runs the lock child with the README's permissions (Deno) or as is (Bun, Node). */
function lockChild(args: string[]) {
  const child = new URL("./_lock_child.ts", import.meta.url).pathname;
  const cmd = runtime !== "deno"
    ? [child, ...args]
    : ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-env", child, ...args];
  return spawn(process.execPath, cmd, { stdio: ["ignore", "pipe", "pipe"] });
}

function output(child: ReturnType<typeof spawn>): Promise<{ code: number | null; out: string }> {
  let out = "";
  child.stdout!.on("data", (d) => out += d);
  child.stderr!.on("data", (d) => out += d);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

test("lock: a SIGKILLed holder's lock is taken over within seconds, without --allow-run/--allow-sys", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "cookies.txt");
    const holder = lockChild(["hold", file]);
    const holderDone = output(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on("data", (d) => String(d).includes("held") && resolve());
      holder.once("close", () => reject(new Error("holder exited early")));
    });
    holder.kill("SIGKILL");
    await holderDone;
    const info = JSON.parse(await readFile(`${file}.lock`, "utf8"));
    assert.equal(info.pid, holder.pid);
    // The waiter gets the default wait of the cookie file (10 s), not the 10 minutes of
    // `stale`: the holder's heartbeat stopped (or, where pids may be probed, it is dead).
    const { code, out } = await output(lockChild(["take", file, "10000"]));
    assert.equal(code, 0, out);
    assert.ok(JSON.parse(out).ms < 9_000, out);
  });
});

test("lock: an empty lock file (owner killed between create and write) does not block", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "cookies.txt");
    await writeFile(`${file}.lock`, "");
    // Within the cookie file's default wait of 10 s, not the 10 minutes of `stale`.
    const lock = await acquireLock(file, { waitMs: 10_000 });
    assert.equal(JSON.parse(await readFile(`${file}.lock`, "utf8")).pid, process.pid);
    await lock.release();
  });
});

test("lock: a live holder is not taken over by a process without --allow-run/--allow-sys", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "cookies.txt");
    const lock = (await tryLock(file))!;
    try {
      const { code, out } = await output(lockChild(["take", file, "300"]));
      assert.equal(code, 3, out);
      assert.match(out, new RegExp(`held by pid ${process.pid}`));
    } finally {
      await lock.release();
    }
  });
});
