// The aggregate view of a run across hundreds of nodes: counts and failures, not a line per node.
// @bun
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { FleetTally } from "../../src/cli/output/fleet.ts";
import { jsonRenderer } from "../../src/cli/output/json.ts";
import { plainRenderer } from "../../src/cli/output/plain.ts";
import { ttyRenderer } from "../../src/cli/output/tty.ts";
import type { Renderer } from "../../src/cli/output/format.ts";
import type { WorkflowEvent } from "../../src/workflow/language/spec.ts";

const T0 = Date.parse("2026-11-28T02:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** A run of `count` nodes, 3 steps each with output; node 7 fails its wait step. */
function fleetEvents(count: number): WorkflowEvent[] {
  const names = Array.from({ length: count }, (_, i) => `127.0.0.1:${61000 + i}`);
  const out: WorkflowEvent[] = [
    { type: "run_start", time: at(0), message: "demo", data: { nodes: names } },
  ];
  names.forEach((node, i) => {
    const t = i * 10;
    out.push({ type: "node_start", time: at(t), node, status: "running" });
    for (const [step, type] of [["app", "add_app"], ["done", "wait"], ["fetch", "download_file"]]) {
      out.push({ type: "step_start", time: at(t + 1), node, step, step_type: type });
      out.push({ type: "step_output", time: at(t + 2), node, step, message: `line of ${node}\n` });
      const bad = i === 7 && step === "done";
      out.push({
        type: "step_end",
        time: at(t + 3),
        node,
        step,
        step_type: type,
        status: bad ? "failure" : "success",
        ...(bad ? { message: "exited with code 3", data: { output_tail: "disk full\n" } } : {}),
      });
      if (bad) break;
    }
    out.push({ type: "log", time: at(t + 4), node, message: `deleted temporary app x` });
    out.push({
      type: "node_end",
      time: at(t + 4),
      node,
      status: i === 7 ? "failure" : "success",
      ...(i === 7 ? { message: "step done failed" } : {}),
    });
  });
  out.push({ type: "run_end", time: at(count * 10 + 5), status: "failure" });
  return out;
}

function feed(r: Renderer, events: WorkflowEvent[]) {
  for (const e of events) r.event(e);
  r.close();
}

test("cli output: the tally counts done, running, failed, queued and names the slowest", () => {
  const t = new FleetTally();
  const time = at(0);
  t.event({ type: "run_start", time, data: { nodes: ["a", "b", "c", "d"] } });
  t.event({ type: "node_start", time, node: "a" });
  t.event({ type: "node_start", time: at(500), node: "b" });
  t.event({ type: "step_start", time: at(600), node: "a", step: "done", step_type: "wait" });
  t.event({ type: "node_start", time: at(700), node: "c" });
  t.event({ type: "node_end", time: at(800), node: "c", status: "failure" });
  assert.deepEqual([t.done, t.running, t.failed, t.queued], [0, 2, 1, 1]);
  assert.equal(
    t.line(T0 + 2000),
    "0/4 done · 2 running · 1 failed · 1 queued · slowest: a 2.0s (done (wait)), b 1.5s",
  );
  t.event({ type: "node_end", time: at(900), node: "a", status: "success" });
  assert.deepEqual(t.slowest(T0 + 2000).map((s) => s.node), ["b"]);
});

test("cli output: plain, hundreds of nodes: aggregate lines and the failures, not a line per node", () => {
  const lines: string[] = [];
  const failures: string[] = [];
  // 500 nodes, 10 ms apart: 5 s of events, so one aggregate line between start and end.
  feed(
    plainRenderer({ write: (l) => lines.push(l), writeFailure: (l) => failures.push(l) }),
    fleetEvents(500),
  );
  assert.ok(lines.length < 10, `${lines.length} lines:\n${lines.slice(0, 20).join("\n")}`);
  assert.match(lines[0], /run started: demo \(500 nodes\); aggregate view/);
  // The failures go where failures go (the CLI: stderr), as with a few nodes.
  assert.deepEqual(failures, [
    `${at(73)} [127.0.0.1:61007] step done (wait) failure: exited with code 3`,
    `${at(73)} [127.0.0.1:61007] done ! disk full`,
    `${at(74)} [127.0.0.1:61007] node failure: step done failed`,
  ]);
  assert.ok(lines.some((l) => / done · \d+ running · 1 failed · \d+ queued/.test(l)));
  assert.equal(lines.at(-1), `${at(5005)} 499/500 done · 0 running · 1 failed · 0 queued`);
  assert.ok(!lines.some((l) => l.includes("line of ")), "no step output in the aggregate view");
  assert.ok(!lines.some((l) => l.includes("deleted temporary")), "no routine logs either");
});

test("cli output: plain, a few nodes: still a line per event", () => {
  const lines: string[] = [];
  feed(plainRenderer({ write: (l) => lines.push(l) }), fleetEvents(3));
  assert.ok(lines.some((l) => l.includes("[127.0.0.1:61001] step app (add_app) started")));
  assert.ok(lines.some((l) => l.includes("app | line of 127.0.0.1:61002")));
});

test("cli output: terminal, hundreds of nodes: one live line, failures above it", () => {
  let out = "";
  feed(ttyRenderer({ color: false, write: (t) => out += t, columns: () => 200 }), fleetEvents(300));
  // Only the title, the failure (step, its tail, the node) and the live line are ever drawn.
  const lines = out.split("\n").filter(Boolean);
  assert.ok(lines.length < 20, `${lines.length} lines`);
  assert.match(out, /▶ demo \(300 nodes\)/);
  assert.match(out, /✘ \[127\.0\.0\.1:61007\] done \(wait\) failure: exited with code 3/);
  assert.match(out, /\[127\.0\.0\.1:61007\] done ! disk full/);
  assert.ok(!out.includes("line of "), "no step output in the aggregate view");
  // The final state stays on the screen.
  assert.match(lines.at(-1)!, /299\/300 done · 0 running · 1 failed · 0 queued$/);
}, {
  // The terminal renderer is the Deno command line's (Deno.consoleSize, Deno.unrefTimer).
  skip: "bun",
});

test("cli output: --json stays one event per line at hundreds of nodes", () => {
  const lines: string[] = [];
  const events = fleetEvents(200);
  feed(jsonRenderer((l) => lines.push(l)), events);
  assert.equal(lines.length, events.length);
  assert.deepEqual(JSON.parse(lines[1]), events[1]);
});
