/**
 * The progress bar of `appmesh get` and `appmesh put` on a terminal (stderr, redrawn in
 * place with `\r`); off a terminal it stays silent and the command prints one line at the end.
 *
 * ```
 * big.iso  [=============>               ]  45%  12.3 MiB / 27.0 MiB  3.2 MiB/s
 * ```
 *
 * @module
 */

import { formatBytes } from "./format.ts";

/** Options of {@linkcode progressBar}. */
export interface ProgressOptions {
  /** Shown before the bar. */
  label: string;
  /** Writes raw text (default: stderr). */
  write: (text: string) => void;
  /** Terminal width. */
  columns?: number;
  /** Minimum milliseconds between redraws (default 100). */
  intervalMs?: number;
}

/** A live progress bar. */
export interface ProgressBar {
  /** Bytes so far, and the total when known. */
  update(bytes: number, total?: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
}

/** Creates a progress bar that redraws at most every `intervalMs`. */
export function progressBar(options: ProgressOptions): ProgressBar {
  const started = Date.now();
  const every = options.intervalMs ?? 100;
  let last = 0;
  let bytes = 0;
  let total: number | undefined;
  const draw = () => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = `${formatBytes(Math.round(bytes / secs))}/s`;
    const cols = options.columns ?? 80;
    let text: string;
    if (total && total > 0) {
      const ratio = Math.min(1, bytes / total);
      const figures = `${String(Math.floor(ratio * 100)).padStart(3)}%  ${formatBytes(bytes)} / ${
        formatBytes(total)
      }  ${rate}`;
      // "label  [bar]  figures": the bar takes what is left of the line, 10 to 40 columns.
      const width = Math.max(
        10,
        Math.min(40, cols - 1 - options.label.length - figures.length - 6),
      );
      const filled = Math.round(ratio * width);
      const bar = "=".repeat(Math.max(0, filled - 1)) + (filled ? (ratio >= 1 ? "=" : ">") : "") +
        " ".repeat(width - filled);
      text = `${options.label}  [${bar}]  ${figures}`;
    } else {
      text = `${options.label}  ${formatBytes(bytes)}  ${rate}`;
    }
    options.write(`\r${text.slice(0, cols - 1)}\x1b[K`);
  };
  return {
    update(b, t) {
      bytes = b;
      if (t !== undefined) total = t;
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      options.write("\n");
    },
  };
}
