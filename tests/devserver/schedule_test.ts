// The daemon's durations, cron expressions and next start times (pure functions).
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { nextCron, nextStart, parseCron, parseIsoDuration } from "../../src/devserver/schedule.ts";
import { HttpError } from "../../src/devserver/http.ts";

test("schedule: durations as the daemon's DurationParse", () => {
  assert.equal(parseIsoDuration(""), 0);
  assert.equal(parseIsoDuration("30"), 30);
  assert.equal(parseIsoDuration("PT30S"), 30);
  assert.equal(parseIsoDuration("PT1H2M3S"), 3723);
  assert.equal(parseIsoDuration("P1D"), 86400);
  assert.equal(parseIsoDuration("P2W"), 14 * 86400);
  assert.equal(parseIsoDuration("P"), 0);
  assert.equal(parseIsoDuration("PT"), 0); // the daemon's pattern takes a bare "PT" too
  for (const bad of ["soon", "1m", "*/30 * * * * *", "P1W2D", "30s"]) {
    assert.equal(parseIsoDuration(bad), undefined, bad);
  }
});

test("schedule: six-field cron expressions and their next times (local time)", () => {
  const at = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
    new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
  const every30 = parseCron("*/30 * * * * *");
  assert.equal(nextCron(every30, at(2030, 1, 1, 10, 0, 0)), at(2030, 1, 1, 10, 0, 30));
  assert.equal(nextCron(every30, at(2030, 1, 1, 10, 0, 45)), at(2030, 1, 1, 10, 1, 0));
  const daily = parseCron("0 15 3 * * ?");
  assert.equal(nextCron(daily, at(2030, 1, 1, 10, 0, 0)), at(2030, 1, 2, 3, 15, 0));
  const weekdays = parseCron("0 0 9 * * MON-FRI");
  // 2030-01-05 is a Saturday: the next weekday 09:00 is Monday the 7th.
  assert.equal(nextCron(weekdays, at(2030, 1, 5, 12, 0, 0)), at(2030, 1, 7, 9, 0, 0));
  const yearly = parseCron("0 0 0 1 JAN *");
  assert.equal(nextCron(yearly, at(2030, 6, 1, 0, 0, 0)), at(2031, 1, 1, 0, 0, 0));
  for (const bad of ["* * * * *", "61 * * * * *", "a b c d e f", "*/0 * * * * *"]) {
    assert.throws(() => parseCron(bad), (e: unknown) => e instanceof HttpError && e.status === 412);
  }
});

test("schedule: next start of a periodic app, on the start_time grid, before end_time", () => {
  const s = { startTime: 1000, endTime: 0, intervalSeconds: 30 };
  assert.equal(nextStart(s, 900), 1000); // before start_time: start_time
  assert.equal(nextStart(s, 1000), 1000); // at start_time: still start_time
  assert.equal(nextStart(s, 1000.2), 1030); // just after: the next period
  assert.equal(nextStart(s, 1075), 1090);
  assert.equal(nextStart({ ...s, endTime: 1060 }, 1031), undefined); // 1060 is the end
  const cron = { startTime: 0, endTime: 0, intervalSeconds: 0, cron: parseCron("0 * * * * *") };
  const t = new Date(2030, 0, 1, 10, 0, 0).getTime() / 1000;
  assert.equal(nextStart(cron, t), t + 60);
});
