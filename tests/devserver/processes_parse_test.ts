// Pure parsers of processes.ts: command-line splitting and the daemon's duration values.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { queryDurationSeconds } from "../../src/devserver/http.ts";
import { splitCommand } from "../../src/devserver/processes.ts";

test("processes: command lines split honouring quotes; durations as the daemon parses them", () => {
  assert.deepEqual(splitCommand(`python3 -c "print('a b')" x\\ y ''`), [
    "python3",
    "-c",
    "print('a b')",
    "x y",
    "",
  ]);
  assert.deepEqual(splitCommand(`  sleep   30 `), ["sleep", "30"]);
  assert.deepEqual(splitCommand(`echo "a \\"q\\" b" 'c "d"'`), ["echo", 'a "q" b', 'c "d"']);
  assert.equal(queryDurationSeconds("30"), 30);
  assert.equal(queryDurationSeconds("PT1M"), 60);
  assert.equal(queryDurationSeconds("P2DT12H"), 216000);
  assert.equal(queryDurationSeconds("P1W"), 604800);
  assert.equal(queryDurationSeconds("abc"), undefined);
  assert.equal(queryDurationSeconds(null), undefined);
});
