// Pure pieces of the command line: argument parsing, the renderers, the progress bar.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { parseCommandArgs, parsePairs, UsageError } from "../../src/cli/args.ts";
import { formatBytes, formatElapsed, LineBuffer } from "../../src/cli/output/format.ts";
import { plainRenderer } from "../../src/cli/output/plain.ts";
import { jsonRenderer } from "../../src/cli/output/json.ts";
import { progressBar } from "../../src/cli/output/progress.ts";
import type { WorkflowEvent } from "../../src/workflow/language/spec.ts";

const spec = {
  name: "get",
  summary: "download",
  flags: { node: { type: "string" as const, description: "node" } },
  positionals: [{ name: "REMOTE", required: true }, { name: "LOCAL", required: true }],
  connects: true,
};

test("cli args: flags, globals and positionals", () => {
  const r = parseCommandArgs(spec, ["--url", "https://x:1", "a", "--node", "n1", "b"]);
  assert.deepEqual(r.positionals, ["a", "b"]);
  assert.equal(r.flags.url, "https://x:1");
  assert.equal(r.flags.node, "n1");
  assert.equal(r.help, false);
});

test("cli args: one-line usage errors", () => {
  const cases: [string[], string][] = [
    [["a", "b", "--nope"], "unknown flag --nope for 'appmesh get'"],
    [["a"], "missing argument LOCAL"],
    [["a", "b", "c"], "unexpected argument 'c'"],
    [["a", "b", "--node"], "flag --node needs a value"],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseCommandArgs(spec, argv), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, message);
      assert.match(e.usage, /^usage: appmesh get \[flags\] REMOTE LOCAL/);
      return true;
    });
  }
  assert.equal(parseCommandArgs(spec, ["--help"]).help, true);
  assert.deepEqual(parsePairs(["a=1", "b=x=y"], "input", ""), { a: "1", b: "x=y" });
  assert.throws(() => parsePairs(["a"], "input", ""), UsageError);
});

test("cli output: formatters and line buffer", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 * 1024), "3.0 MiB");
  assert.equal(formatElapsed(250), "250ms");
  assert.equal(formatElapsed(1500), "1.5s");
  assert.equal(formatElapsed(125_000), "2m05s");
  const b = new LineBuffer();
  assert.deepEqual(b.push("k", "one\ntw"), ["one"]);
  assert.deepEqual(b.push("k", "o\n"), ["two"]);
  assert.deepEqual(b.push("k", "tail"), []);
  assert.deepEqual(b.flush(), [["k", "tail"]]);
});

const ev = (e: Partial<WorkflowEvent> & Pick<WorkflowEvent, "type">): WorkflowEvent => ({
  time: "2026-11-28T02:00:00.000Z",
  ...e,
});

test("cli output: plain lines are timestamped and node-prefixed; a failure goes to the failure sink", () => {
  const lines: string[] = [];
  const failures: string[] = [];
  const r = plainRenderer({ write: (l) => lines.push(l), writeFailure: (l) => failures.push(l) });
  r.event(ev({ type: "step_start", node: "db-1", step: "job", step_type: "run_async" }));
  r.event(ev({ type: "step_output", node: "db-1", step: "done", message: "hello\nwor" }));
  r.event(ev({ type: "step_output", node: "db-1", step: "done", message: "ld\n" }));
  r.event(ev({
    type: "step_end",
    node: "db-1",
    step: "done",
    step_type: "wait",
    status: "success",
    data: { duration_ms: 1200, exit_code: 0 },
  }));
  r.event(ev({ type: "node_end", node: "db-1", status: "failure", message: "boom" }));
  r.close();
  assert.deepEqual(lines, [
    "2026-11-28T02:00:00.000Z [db-1] step job (run_async) started",
    "2026-11-28T02:00:00.000Z [db-1] done | hello",
    "2026-11-28T02:00:00.000Z [db-1] done | world",
    "2026-11-28T02:00:00.000Z [db-1] step done (wait) success in 1.2s, exit 0",
  ]);
  assert.deepEqual(failures, ["2026-11-28T02:00:00.000Z [db-1] node failure: boom"]);
});

test("cli output: --json writes one parseable event per line", () => {
  const lines: string[] = [];
  const r = jsonRenderer((l) => lines.push(l));
  const e = ev({ type: "step_end", node: "n", step: "s", status: "success", data: { bytes: 3 } });
  r.event(e);
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [e]);
});

test("cli output: progress bar draws percent and ends the line", () => {
  let text = "";
  const bar = progressBar({ label: "f", write: (t) => text += t, columns: 80, intervalMs: 0 });
  bar.update(512, 1024);
  bar.done();
  assert.match(text, /50%/);
  assert.ok(text.endsWith("\n"));
});
