/**
 * The one interrupt guard of every command (`workflow run`, `run`, `get`, `put`, `devserver`).
 *
 * The first SIGINT or SIGTERM stops the command, which then cleans up (`finally` steps,
 * temporary apps, a partly written file). A terminal's Ctrl-C signals the whole foreground
 * process group, and `deno task` and `npx` pass it on to their child, so the same Ctrl-C
 * arrives two or three times: signals within {@linkcode GRACE_SECONDS} of the first are that
 * same interrupt. Once the grace period is over (said on stderr while the clean-up goes on),
 * another signal abandons the clean-up: the command stops at once and exits 5; should it not
 * stop within {@linkcode ABANDON_EXIT_MS}, or a signal come again more than
 * {@linkcode GRACE_SECONDS} after that one, the process exits 5 without waiting.
 *
 * @module
 */

import { EXIT } from "./errors.ts";
import { exitProcess, onSignal } from "../runtime/process.ts";
import { unrefTimer } from "../runtime/timers.ts";

/** Signals this soon after the first are the same interrupt. */
export const GRACE_SECONDS = 2;
/** After the clean-up is abandoned, how long the command may take to stop before the exit. */
export const ABANDON_EXIT_MS = 10_000;

/** The interrupts of a command: see {@linkcode guardInterrupts}. */
export interface Interrupts {
  /** Aborted by the first SIGINT or SIGTERM: stop, then clean up. */
  signal: AbortSignal;
  /** Aborted by a signal after the grace period: abandon the clean-up too. */
  abandon: AbortSignal;
  /** 5 when the clean-up was abandoned, 130/143 for the signal received, else undefined. */
  exitCode(): number | undefined;
  /** The signal received, if any. */
  received(): "SIGINT" | "SIGTERM" | undefined;
  /** Removes the timers, and the listeners unless a signal came (see the comment inside). */
  dispose(): void;
}

/** Options of {@linkcode guardInterrupts}. */
export interface GuardOptions {
  /**
   * Said on the first signal, given the announcement (default: nothing said). The workflow
   * runner passes it through its renderer, so that a terminal's live lines are cleared first.
   */
  announce?: (text: string) => void;
  /** What the first signal does, for the announcement (default: "stopping; cleaning up"). */
  stopping?: string;
  /** What an abandoned clean-up may leave (default: "the clean-up may be incomplete"). */
  leaves?: string;
}

/**
 * Listens for SIGINT and SIGTERM until `dispose()`, with the rules of the module above.
 *
 * @example
 * ```ts
 * import { guardInterrupts } from "./interrupts.ts";
 * const interrupts = guardInterrupts({ stopping: "stopping; deleting the temporary app" });
 * try {
 *   // ... work that takes interrupts.signal, clean-up that takes interrupts.abandon ...
 * } finally {
 *   interrupts.dispose();
 * }
 * console.log(interrupts.exitCode() ?? 0); // 0: no signal came
 * ```
 */
export function guardInterrupts(options: GuardOptions = {}): Interrupts {
  const stopping = options.stopping ?? "stopping; cleaning up";
  const leaves = options.leaves ?? "the clean-up may be incomplete";
  const stop = new AbortController();
  const abandon = new AbortController();
  let got: "SIGINT" | "SIGTERM" | undefined;
  // When the last signal that did something was handled: copies of it passed on by
  // `deno task` or `npx` come right after, and count as that same signal.
  let acted = 0;
  let grace: ReturnType<typeof setTimeout> | undefined;
  let hard: ReturnType<typeof setTimeout> | undefined;
  const removers: (() => void)[] = [];
  const handle = (sig: "SIGINT" | "SIGTERM") => {
    const now = performance.now();
    if (got && now - acted < GRACE_SECONDS * 1000) return;
    acted = now;
    if (!got) {
      got = sig;
      options.announce?.(
        `appmesh: ${sig}: ${stopping} (interrupt again after ${GRACE_SECONDS}s to abandon ` +
          "the clean-up)",
      );
      stop.abort(new DOMException(`interrupted by ${sig}`, "AbortError"));
      grace = setTimeout(() => {
        console.error("appmesh: still cleaning up; interrupt again to abandon the clean-up");
      }, GRACE_SECONDS * 1000 + 50);
      unrefTimer(grace);
      return;
    }
    if (!abandon.signal.aborted) {
      clearTimeout(grace);
      console.error(`appmesh: ${sig} again: abandoning the clean-up`);
      abandon.abort(new DOMException(`clean-up abandoned by ${sig}`, "AbortError"));
      hard = setTimeout(() => {
        console.error(`appmesh: did not stop in time; exiting: ${leaves}`);
        exitProcess(EXIT.abandoned);
      }, ABANDON_EXIT_MS);
      unrefTimer(hard);
      return;
    }
    console.error(`appmesh: ${sig} again: exiting now; ${leaves}`);
    exitProcess(EXIT.abandoned);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      removers.push(onSignal(sig, () => handle(sig)));
    } catch {
      // Signals are not supported on this platform (Windows: SIGTERM); Ctrl-C still kills.
    }
  }
  return {
    signal: stop.signal,
    abandon: abandon.signal,
    exitCode: () =>
      abandon.signal.aborted
        ? EXIT.abandoned
        : got === "SIGINT"
        ? EXIT.sigint
        : got === "SIGTERM"
        ? EXIT.sigterm
        : undefined,
    received: () => got,
    dispose: () => {
      clearTimeout(grace);
      clearTimeout(hard);
      // After an interrupt the listeners stay: the command ends because of it and the process
      // exits next, and a copy of the signal passed on by `deno task` or `npx` may still come;
      // with no listener it would kill the process (exit 130 after a clean stop).
      if (!got) { for (const remove of removers) remove(); }
    },
  };
}
