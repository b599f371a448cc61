/**
 * Child process of the lock takeover tests, run with only the permissions the README asks of
 * library users (`--allow-net --allow-read --allow-write --allow-env`: no run, no sys).
 *
 * - `hold FILE`: takes the lock of FILE, prints `held`, then waits to be killed.
 * - `take FILE WAIT_MS`: takes the lock (waiting up to WAIT_MS), prints `{"ms":N}` and exits 0;
 *   on a time-out prints the error's message and exits 3.
 */
import process from "node:process";
import { acquireLock } from "../../src/runtime/lock.ts";

const [mode, file, wait] = process.argv.slice(-3).filter((a) => !a.endsWith("_lock_child.ts"));
if (mode === "hold") {
  await acquireLock(file, { waitMs: 10_000 });
  console.log("held");
  setInterval(() => {}, 60_000);
} else {
  const t0 = Date.now();
  try {
    const lock = await acquireLock(file, { waitMs: Number(wait) });
    await lock.release();
    console.log(JSON.stringify({ ms: Date.now() - t0 }));
  } catch (e) {
    console.log((e as Error).message);
    process.exit(3);
  }
}
