/**
 * Durations as the Python client accepts them: integer seconds or ISO 8601 (`P1W`, `PT1H30M`,
 * `P2DT12H`). Pure: safe to import statically, also in a browser.
 *
 * @module
 */

interface DurationLike {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  milliseconds: number;
  microseconds: number;
  nanoseconds: number;
  sign: number;
}

interface TemporalLike {
  Duration: {
    from(text: string): DurationLike & {
      total(o: { unit: "seconds"; relativeTo?: unknown }): number;
    };
  };
  Now: { plainDateTimeISO(tz?: string): unknown };
}

// Looked up at call time: Temporal is in Deno 2.9 and Bun 1.4, not in every browser or Node.
function temporal(): TemporalLike | undefined {
  return (globalThis as { Temporal?: TemporalLike }).Temporal;
}

const ISO =
  /^([+-])?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;

/** The subset of ISO 8601 durations Temporal accepts, for runtimes without Temporal. */
function parseIso(text: string): DurationLike | undefined {
  const m = ISO.exec(text);
  if (!m || text.endsWith("T") || /^[+-]?P$/i.test(text)) return undefined;
  const n = (i: number) => Number((m[i] ?? "0").replace(",", "."));
  const seconds = n(8);
  return {
    sign: m[1] === "-" ? -1 : 1,
    years: n(2),
    months: n(3),
    weeks: n(4),
    days: n(5),
    hours: n(6),
    minutes: n(7),
    seconds: Math.trunc(seconds),
    milliseconds: (seconds % 1) * 1000,
    microseconds: 0,
    nanoseconds: 0,
  };
}

/** Adds years and months to now (UTC), clamping the day like Temporal, in seconds. */
function calendarSeconds(years: number, months: number): number {
  const now = new Date();
  const total = now.getUTCFullYear() * 12 + now.getUTCMonth() + years * 12 + months;
  const y = Math.floor(total / 12);
  const mo = total % 12;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const then = Date.UTC(
    y,
    mo,
    Math.min(now.getUTCDate(), lastDay),
    now.getUTCHours(),
    now.getUTCMinutes(),
    now.getUTCSeconds(),
    now.getUTCMilliseconds(),
  );
  return (then - now.getTime()) / 1000;
}

function bad(value: unknown, why: string): TypeError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new TypeError(
    `invalid duration ${shown}: ${why} (use integer seconds or ISO 8601 like "P1W", "PT1H30M")`,
  );
}

/**
 * Parses a duration into whole seconds: an integer number of seconds (a number, or a string
 * of digits) or an ISO 8601 duration. Days count as 24 hours and weeks as 7 days; years and
 * months are measured from now (UTC), as `Temporal.Duration.total` does with `relativeTo`.
 * A fraction of a second is dropped, as Python's `int(total_seconds())` does.
 *
 * @param value seconds, or an ISO 8601 duration such as `P1W`, `PT1H30M`, `P2DT12H`
 * @returns whole seconds (never negative)
 * @throws {TypeError} naming the bad value when it is neither
 *
 * @example
 * ```ts
 * import { durationSeconds } from "./duration.ts";
 * import assert from "node:assert/strict";
 * assert.equal(durationSeconds("P1W"), 604_800);
 * assert.equal(durationSeconds("PT1H30M"), 5_400);
 * assert.equal(durationSeconds("P2DT12H"), 216_000);
 * assert.equal(durationSeconds(300), 300);
 * assert.throws(() => durationSeconds("5m"), TypeError);
 * ```
 */
export function durationSeconds(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw bad(value, "seconds must be a non-negative integer");
    }
    return value;
  }
  if (typeof value !== "string") throw bad(value, `expected a string or a number`);
  const text = value.trim();
  if (/^\d+$/.test(text)) return durationSeconds(Number(text));
  let d: DurationLike | undefined;
  const T = temporal();
  if (T) {
    try {
      d = T.Duration.from(text);
    } catch {
      d = undefined;
    }
  } else {
    d = parseIso(text);
  }
  if (!d) throw bad(value, "not an ISO 8601 duration");
  if (d.sign < 0) throw bad(value, "negative durations are not allowed");
  const fixed = (d.weeks * 7 + d.days) * 86_400 + d.hours * 3_600 + d.minutes * 60 + d.seconds +
    d.milliseconds / 1e3 + d.microseconds / 1e6 + d.nanoseconds / 1e9;
  const calendar = d.years || d.months ? calendarSeconds(d.years, d.months) : 0;
  const total = Math.trunc(fixed + calendar + 1e-9);
  if (!Number.isSafeInteger(total)) throw bad(value, "too large");
  return total;
}
