/**
 * When an app starts, as the daemon's `AppTimer`s work it out: a periodic app
 * (`start_interval_seconds`, an integer or ISO 8601 duration) starts at `start_time` and then
 * every interval after it; a cron app (`cron: true`) at each time its six-field expression
 * (`sec min hour day-of-month month day-of-week`, local time) names after `start_time`. Nothing
 * starts at or after `end_time`. Times are epoch seconds.
 *
 * @module
 */
import { HttpError } from "./http.ts";

const DAY = 24 * 3600;

/**
 * A duration as the daemon's `DurationParse`: whole seconds, `PnW`, or
 * `P[nY][nM][nD][T[nH][nM][nS]]`. Undefined when it is neither (the daemon's
 * `invalid ISO8601 duration format`); 0 for an empty value.
 *
 * @example
 * ```ts
 * import { parseIsoDuration } from "./schedule.ts";
 * parseIsoDuration("PT1M"); // 60
 * parseIsoDuration("30"); // 30
 * parseIsoDuration("soon"); // undefined
 * ```
 */
export function parseIsoDuration(raw: string): number | undefined {
  if (raw === "") return 0;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  const week = /^P(\d+)W$/.exec(raw);
  if (week) return Number(week[1]) * 7 * DAY;
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(raw);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  return y * 365 * DAY + mo * 30 * DAY + d * DAY + h * 3600 + mi * 60 + s;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** One parsed field: the allowed values. */
type Field = Set<number>;

function parseField(text: string, min: number, max: number, names?: string[]): Field {
  const out: Field = new Set();
  const value = (v: string): number => {
    const i = names ? names.indexOf(v.toUpperCase()) : -1;
    const n = i >= 0 ? i + min : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`bad value ${v}`);
    return n;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || part.split("/").length > 2) {
      throw new Error(`bad step ${part}`);
    }
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") [lo, hi] = [min, max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-");
      [lo, hi] = [value(a), value(b)];
      if (lo > hi) throw new Error(`bad range ${range}`);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/**
 * A parsed six-field cron expression.
 *
 * @example
 * ```ts
 * import { type CronExpression, parseCron } from "./schedule.ts";
 * const noon: CronExpression = parseCron("0 0 12 * * *");
 * noon.fields[2].has(12); // true
 * ```
 */
export interface CronExpression {
  /** Allowed seconds, minutes, hours, days of month, months (1-12), days of week (0 Sunday). */
  fields: [Field, Field, Field, Field, Field, Field];
}

/**
 * Parses `sec min hour day-of-month month day-of-week` (numbers, `*`, `?`, ranges, steps,
 * lists, month and day names). Throws the daemon's 412 for anything else.
 *
 * @example
 * ```ts
 * import { parseCron } from "./schedule.ts";
 * parseCron("*\/30 * * * * *").fields[0].size; // 2
 * ```
 */
export function parseCron(expr: string): CronExpression {
  const parts = expr.trim().split(/\s+/);
  try {
    if (parts.length !== 6) throw new Error("six fields expected");
    return {
      fields: [
        parseField(parts[0], 0, 59),
        parseField(parts[1], 0, 59),
        parseField(parts[2], 0, 23),
        parseField(parts[3], 1, 31),
        parseField(parts[4], 1, 12, MONTHS),
        parseField(parts[5].replace(/\b7\b/g, "0"), 0, 6, DAYS),
      ],
    };
  } catch (e) {
    throw new HttpError(412, `invalid cron expression <${expr}>: ${(e as Error).message}`);
  }
}

/**
 * The first time strictly after `after` (epoch seconds) that `cron` names, or undefined when
 * none comes within five years.
 *
 * @example
 * ```ts
 * import { nextCron, parseCron } from "./schedule.ts";
 * nextCron(parseCron("0 * * * * *"), 0) ?? 0; // the next whole minute after the epoch: 60
 * ```
 */
export function nextCron(cron: CronExpression, after: number): number | undefined {
  const [sec, min, hour, dom, mon, dow] = cron.fields;
  const d = new Date((Math.floor(after) + 1) * 1000);
  const limit = d.getTime() + 5 * 366 * DAY * 1000;
  while (d.getTime() < limit) {
    if (!mon.has(d.getMonth() + 1)) {
      d.setMonth(d.getMonth() + 1, 1);
      d.setHours(0, 0, 0);
    } else if (!dom.has(d.getDate()) || !dow.has(d.getDay())) {
      d.setDate(d.getDate() + 1);
      d.setHours(0, 0, 0);
    } else if (!hour.has(d.getHours())) {
      d.setHours(d.getHours() + 1, 0, 0);
    } else if (!min.has(d.getMinutes())) {
      d.setMinutes(d.getMinutes() + 1, 0);
    } else {
      for (let s = d.getSeconds(); s < 60; s++) {
        if (sec.has(s)) {
          d.setSeconds(s);
          return Math.floor(d.getTime() / 1000);
        }
      }
      d.setMinutes(d.getMinutes() + 1, 0);
    }
  }
  return undefined;
}

/**
 * How an app is scheduled.
 *
 * @example
 * ```ts
 * import type { Schedule } from "./schedule.ts";
 * const everyMinute: Schedule = { startTime: 0, endTime: 0, intervalSeconds: 60 };
 * ```
 */
export interface Schedule {
  /** `start_time`, epoch seconds (0: none). */
  startTime: number;
  /** `end_time`, epoch seconds (0: none). */
  endTime: number;
  /** Interval of a periodic app, seconds (0: not periodic). */
  intervalSeconds: number;
  /** Expression of a cron app. */
  cron?: CronExpression;
}

/**
 * The next start of a periodic or cron app after `from` (epoch seconds; `start_time` itself
 * counts when it is not past), as the daemon's
 * `AppTimerPeriod`/`AppTimerCron`; undefined when none is left before `end_time`.
 *
 * @example
 * ```ts
 * import { nextStart } from "./schedule.ts";
 * nextStart({ startTime: 100, endTime: 0, intervalSeconds: 30 }, 130); // 160
 * ```
 */
export function nextStart(s: Schedule, from: number): number | undefined {
  let next = Math.max(from, s.startTime);
  if (s.cron) {
    const t = nextCron(s.cron, next);
    if (t === undefined) return undefined;
    next = t;
  } else if (next > s.startTime && s.intervalSeconds > 0) {
    const periods = Math.floor((next - s.startTime) / s.intervalSeconds);
    next = s.startTime + periods * s.intervalSeconds;
    if (next <= from) next += s.intervalSeconds;
  }
  return s.endTime && next >= s.endTime ? undefined : next;
}
