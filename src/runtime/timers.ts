/**
 * Timers the same on Deno, Bun and Node: a sleep that an `AbortSignal` cuts short, and a timer
 * that does not keep the process alive. Importing it touches no runtime API (the client loads
 * it): the runtime's own unref is looked up at call time.
 *
 * @module
 */

/**
 * Resolves after `ms`, or rejects with `signal`'s reason when it aborts first (at once when it
 * already has).
 *
 * @example
 * ```ts
 * import { sleep } from "./timers.ts";
 * await sleep(1);
 * await sleep(1000, AbortSignal.abort()).catch((e) => e.name); // "AbortError"
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Makes a timer (of `setTimeout` or `setInterval`) not keep the process alive: Node and Bun
 * give an object with `unref()`, Deno a number for `Deno.unrefTimer`.
 *
 * @example
 * ```ts
 * import { unrefTimer } from "./timers.ts";
 * const id = setTimeout(() => {}, 60_000);
 * unrefTimer(id); // the process may exit before it fires
 * clearTimeout(id);
 * ```
 */
export function unrefTimer(
  id: ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>,
): void {
  const g = globalThis as { Deno?: { unrefTimer?(id: number): void } };
  if (typeof id === "object" && id !== null && "unref" in id) {
    (id as { unref(): void }).unref();
  } else if (typeof id === "number" && g.Deno?.unrefTimer) {
    g.Deno.unrefTimer(id);
  }
}
