/**
 * Exit codes of the steps that follow a process to its exit (`run_sync`, `wait`): which
 * codes a step accepts (`check`, `exit_codes`), and the failure when the code is not one of
 * them, with the last lines of the output for the report, the events and JUnit.
 *
 * @module
 */

import type { FieldSpec } from "./spec.ts";

/**
 * What App Mesh reports for killed processes, for the descriptions of the steps that check
 * exit codes (the README's step reference and the schema show it).
 */
export const KILLED_NOTE = "App Mesh reports a process killed by a signal as exit code 0 (so " +
  "`check` cannot catch it) and one it kills itself (`max_time`, a timeout, `disable_app`) as 9.";

/**
 * The fields of the steps that follow a process to its exit (`run_sync`, `wait`): whether its
 * exit code decides the step, as a failing `run:` does in GitHub Actions.
 */
export const CHECK_FIELDS: Readonly<Record<string, FieldSpec>> = {
  check: {
    type: "boolean",
    description: "Fail the step when the exit code is not accepted (0, or one of " +
      "`exit_codes`); `false`: any exit code passes.",
    default: true,
  },
  exit_codes: {
    type: "array",
    items: { type: "integer", description: "An exit code that counts as success." },
    description: "The exit codes that count as success, e.g. `[0, 1]` (default `[0]`).",
  },
};

/** Most lines of output a failed step shows (`output_tail`). */
const TAIL_LINES = 20;
/** Most bytes (UTF-8) of output a failed step shows. */
export const TAIL_BYTES = 4096;
/**
 * Output kept for the tail of a failure: much more than `TAIL_BYTES`, so that the engine
 * masks secrets before anything is cut (a cut through a secret would show part of it).
 */
export const TAIL_WINDOW = 64 * 1024;

/**
 * The exit codes a `check`ed step accepts, or undefined when it accepts any (`check: false`).
 *
 * @example
 * ```ts
 * import { acceptedCodes } from "./exit_codes.ts";
 * acceptedCodes({ check: true }); // [0]
 * acceptedCodes({ check: true, exit_codes: [0, 1] }); // [0, 1]
 * acceptedCodes({ check: false }); // undefined
 * ```
 */
export function acceptedCodes(args: Record<string, unknown>): readonly number[] | undefined {
  if (args.check === false) return undefined;
  const codes = args.exit_codes;
  if (codes === undefined || codes === null) return [0];
  if (!Array.isArray(codes) || !codes.every((c) => Number.isInteger(c))) {
    throw new TypeError(
      `field "exit_codes" must be a list of integers, got ${JSON.stringify(codes)}`,
    );
  }
  if (codes.length === 0) {
    throw new TypeError('field "exit_codes" is empty: list the accepted codes, e.g. [0, 1]');
  }
  return codes as number[];
}

/**
 * A process exited with a code its step does not accept (thrown by `run_sync` and `wait`;
 * never retried). It carries the end of the output
 * (unmasked: the engine masks it, then cuts it to {@linkcode TAIL_LINES} lines and
 * {@linkcode TAIL_BYTES} bytes with {@linkcode explainExit}) and the step's outputs, which
 * later steps may still read (`if: failure()`, `continue_on_error`).
 */
export class ExitCodeError extends Error {
  /** The exit code (undefined: the server reported none). */
  readonly exitCode: number | undefined;
  /** The end of the output, at most {@linkcode TAIL_WINDOW} characters, unmasked. */
  readonly output: string;
  /** The outputs the step would have had. */
  readonly outputs: Record<string, unknown>;
  /**
   * Creates the error.
   * @param what `process` or `process of app NAME`
   * @param init the exit code, the end of the output and the step's outputs
   */
  constructor(
    what: string,
    init: { exitCode: number | undefined; output: string; outputs: Record<string, unknown> },
  ) {
    super(
      init.exitCode === undefined ? `${what} ended without an exit code` : init.exitCode === 9
        // App Mesh reports its own kills (max_time, a sync run's timeout, disable) as 9.
        ? `${what} exited with code 9 (also App Mesh's code for a process it killed, e.g. at max_time)`
        : `${what} exited with code ${init.exitCode}`,
    );
    this.name = "ExitCodeError";
    this.exitCode = init.exitCode;
    const out = init.output;
    this.output = out.length > TAIL_WINDOW ? out.slice(out.length - TAIL_WINDOW) : out;
    this.outputs = init.outputs;
  }
}

/**
 * The report's view of an {@linkcode ExitCodeError}: its message with the last line of output,
 * and the last lines (at most {@linkcode TAIL_LINES}, {@linkcode TAIL_BYTES}), both masked
 * with `mask` before anything is cut.
 *
 * @example
 * ```ts
 * import { ExitCodeError, explainExit } from "./exit_codes.ts";
 * const e = new ExitCodeError("process", { exitCode: 3, output: "a\nboom\n", outputs: {} });
 * explainExit(e, (s) => s);
 * // { error: 'process exited with code 3; last output: "boom"', tail: "a\nboom\n" }
 * ```
 */
export function explainExit(
  e: ExitCodeError,
  mask: (text: string) => string,
): { error: string; tail?: string } {
  const masked = mask(e.output);
  // The window may start in the middle of a line (and of a secret): drop that partial line.
  const whole = e.output.length >= TAIL_WINDOW ? masked.slice(masked.indexOf("\n") + 1) : masked;
  const tail = lastLines(whole, TAIL_LINES, TAIL_BYTES);
  const error = mask(e.message);
  if (!tail.trim()) return { error };
  const last = tail.trimEnd().split("\n").pop()!.trim();
  const shown = last.length > 200 ? `${last.slice(0, 199)}…` : last;
  return { error: `${error}; last output: ${JSON.stringify(shown)}`, tail };
}

/**
 * The last `lines` lines of `text`, at most `bytes` bytes of UTF-8 (cut at a line start; a
 * single longer line keeps its end).
 *
 * @example
 * ```ts
 * import { lastLines } from "./exit_codes.ts";
 * lastLines("a\nb\nc\n", 2, 4096); // "b\nc\n"
 * ```
 */
export function lastLines(text: string, lines: number, bytes: number): string {
  const all = text.split("\n");
  // A final newline ends the last line; it does not start another.
  const end = all.at(-1) === "" ? all.length - 1 : all.length;
  const kept: string[] = [];
  const encoder = new TextEncoder();
  let size = 0;
  for (let i = end - 1; i >= 0 && kept.length < lines; i--) {
    const n = encoder.encode(all[i]).length + 1;
    if (size + n > bytes) {
      // A single line longer than the budget: keep its end.
      if (kept.length === 0) kept.unshift(tailBytes(all[i], bytes - 1));
      break;
    }
    size += n;
    kept.unshift(all[i]);
  }
  return kept.length ? kept.join("\n") + (end < all.length ? "\n" : "") : "";
}

function tailBytes(line: string, bytes: number): string {
  let out = "";
  let size = 0;
  const encoder = new TextEncoder();
  for (const ch of [...line].reverse()) {
    size += encoder.encode(ch).length;
    if (size > bytes) break;
    out = ch + out;
  }
  return out;
}
