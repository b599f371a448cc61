// durationSeconds: ISO 8601 and integer seconds, with and without Temporal.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { durationSeconds } from "../../src/runtime/duration.ts";

test("duration: ISO 8601 weeks, days, hours, minutes, seconds", () => {
  assert.equal(durationSeconds("P1W"), 7 * 86_400);
  assert.equal(durationSeconds("PT1H30M"), 5_400);
  assert.equal(durationSeconds("P2DT12H"), 216_000);
  assert.equal(durationSeconds("P2D"), 172_800);
  assert.equal(durationSeconds("PT45S"), 45);
  assert.equal(durationSeconds("PT0S"), 0);
  assert.equal(durationSeconds("P1DT1H1M1S"), 90_061);
  assert.equal(durationSeconds("pt2h"), 7_200); // Temporal accepts lower case
  assert.equal(durationSeconds("  PT1M "), 60);
});

test("duration: fractions of a second are dropped like Python's int()", () => {
  assert.equal(durationSeconds("PT1.9S"), 1);
  assert.equal(durationSeconds("PT0.5S"), 0);
});

test("duration: integers and digit strings are seconds", () => {
  assert.equal(durationSeconds(0), 0);
  assert.equal(durationSeconds(300), 300);
  assert.equal(durationSeconds("300"), 300);
});

test("duration: years and months are measured from now", () => {
  const month = durationSeconds("P1M");
  assert.ok(month >= 28 * 86_400 && month <= 31 * 86_400, String(month));
  const year = durationSeconds("P1Y");
  assert.ok(year === 365 * 86_400 || year === 366 * 86_400, String(year));
});

test("duration: bad input is a TypeError naming the value", () => {
  for (const bad of ["5m", "", "P", "PT", "1h", "P1H", "-PT1S", "-5", "1.5", "PT1H30", "abc"]) {
    let error: unknown;
    try {
      durationSeconds(bad);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError, `${bad}: ${error}`);
    assert.ok(error.message.includes(JSON.stringify(bad)), error.message);
  }
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => durationSeconds(bad), TypeError, String(bad));
  }
  assert.throws(() => durationSeconds(null as unknown as string), TypeError);
});

test("duration: the fallback parser (no Temporal) agrees", () => {
  const g = globalThis as { Temporal?: unknown };
  const saved = g.Temporal;
  try {
    g.Temporal = undefined;
    assert.equal(durationSeconds("P1W"), 604_800);
    assert.equal(durationSeconds("PT1H30M"), 5_400);
    assert.equal(durationSeconds("P2DT12H"), 216_000);
    assert.equal(durationSeconds("PT1.5S"), 1);
    const month = durationSeconds("P1M");
    assert.ok(month >= 28 * 86_400 && month <= 31 * 86_400);
    for (const bad of ["5m", "P", "PT", "-PT1S", "P1H"]) {
      assert.throws(() => durationSeconds(bad), TypeError);
    }
  } finally {
    g.Temporal = saved;
  }
});
