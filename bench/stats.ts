/**
 * Small statistics for the benchmark suite: min/median/max of rounds, percentiles of
 * latencies, ratios that stay `null` when a side is missing.
 *
 * @module
 */

/** Min, median and max of a series of rounds, in one unit. */
export interface Summary {
  /** What the numbers measure, e.g. "calls/s", "MB/s", "ms". */
  unit: string;
  /** Smallest round. */
  min: number;
  /** Median round (mean of the two middle ones for an even count). */
  median: number;
  /** Largest round. */
  max: number;
  /** Every round, in the order taken. */
  rounds: number[];
}

/**
 * The median of a list (mean of the two middle values for an even count); NaN when empty.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The p-th percentile (0..100) by the nearest-rank method; NaN when empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * percentile([1, 2, 3, 4], 99); // 4
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/**
 * Min/median/max of rounds.
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * summarize([10, 12, 11], "calls/s").median; // 11
 * ```
 */
export function summarize(rounds: readonly number[], unit: string): Summary {
  return {
    unit,
    min: rounds.length ? Math.min(...rounds) : NaN,
    median: median(rounds),
    max: rounds.length ? Math.max(...rounds) : NaN,
    rounds: [...rounds],
  };
}

/**
 * `a ÷ b` of two medians, rounded to 3 decimals; `null` when either side is missing or zero.
 *
 * @example
 * ```ts
 * import { ratio } from "./stats.ts";
 * ratio(95, 100); // 0.95
 * ```
 */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return null;
  }
  return round(a / b, 3);
}

/**
 * A number rounded to `digits` decimals (for the JSON and the table).
 *
 * @example
 * ```ts
 * import { round } from "./stats.ts";
 * round(1.23456, 2); // 1.23
 * ```
 */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The median of per-round ratios `a[i] ÷ b[i]` of rounds taken side by side (interleaved in one
 * process), rounded to 3 decimals; `null` when there are no pairs. Steadier than a ratio of
 * medians on a shared machine: drift hits both sides of a pair alike.
 *
 * @example
 * ```ts
 * import { pairedRatio } from "./stats.ts";
 * pairedRatio([95, 190], [100, 200]); // 0.95
 * ```
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.min(a.length, b.length);
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) if (b[i] > 0) pairs.push(a[i] / b[i]);
  return pairs.length ? round(median(pairs), 3) : null;
}
