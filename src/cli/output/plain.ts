/**
 * Plain output for cron and CI: one timestamped line per event, prefixed by the node, no
 * colours, no cursor movement, progress at most every few seconds per step.
 *
 * ```
 * 2026-11-28T02:15:00.120Z [db-1] step app (add_app) started
 * 2026-11-28T02:15:01.480Z [db-1] job | dump complete
 * 2026-11-28T02:15:02.001Z [db-1] step done (wait) success in 1.4s, exit 0
 * 2026-11-28T02:15:02.350Z [db-2] step done (wait) failure in 1.7s, exit 3: process of app ... exited with code 3; last output: "disk full"
 * 2026-11-28T02:15:02.350Z [db-2] done ! dump started
 * 2026-11-28T02:15:02.350Z [db-2] done ! disk full
 * ```
 *
 * A failed process's last lines (`! `) follow its failure line, whatever its `output` mode.
 * A failed step's line, those last lines and a failed node's line go to the failure sink
 * (stderr in the CLI), so that `2>` keeps why a job failed; the rest goes to `write` (stdout).
 *
 * Above `aggregateAbove` nodes (default 32) the lines per node give way to the aggregate view
 * (`fleet.ts`): an aggregate line at most every `progressEveryMs` and at the end, and the
 * failures (step, node, retries, the failed process's last lines); no step output.
 *
 * ```
 * 2026-11-28T02:15:05.000Z 412/1000 done · 100 running · 1 failed · 487 queued · slowest: 10.0.0.7:6060 9.1s (done (wait))
 * ```
 *
 * @module
 */

import type { WorkflowEvent } from "../../workflow/mod.ts";
import {
  eventBytes,
  formatBytes,
  formatElapsed,
  LineBuffer,
  type Renderer,
  runTitle,
  stepLabel,
  tailLines,
} from "./format.ts";
import {
  AGGREGATE_ABOVE,
  aggregateFailure,
  aggregateNotable,
  aggregateRun,
  FleetTally,
} from "./fleet.ts";

/** Options of {@linkcode plainRenderer}. */
export interface PlainOptions {
  /** Where lines go (default: `console.log`). */
  write?: (line: string) => void;
  /** Where a failed step's line, its output tail and a failed node's line go (default: `console.error`). */
  writeFailure?: (line: string) => void;
  /**
   * Minimum milliseconds between two progress lines of one step, and between two aggregate
   * lines (default 5000).
   */
  progressEveryMs?: number;
  /** Above this many nodes, the aggregate view (default 32). */
  aggregateAbove?: number;
}

/** A renderer that prints timestamped, node-prefixed lines. */
export function plainRenderer(options: PlainOptions = {}): Renderer {
  const write = options.write ?? ((l: string) => console.log(l));
  const writeFailure = options.writeFailure ?? ((l: string) => console.error(l));
  const every = options.progressEveryMs ?? 5000;
  const lines = new LineBuffer();
  const lastProgress = new Map<string, number>();
  const prefix = (e: WorkflowEvent) => `${e.time} ${e.node ? `[${e.node}] ` : ""}`;
  let tally: FleetTally | undefined;
  let lastAggregate = 0;
  const key = (e: WorkflowEvent) => `${e.node ?? ""}\u0000${e.step ?? ""}`;
  const flushOutput = (e: WorkflowEvent) => {
    for (const [, tail] of lines.flush(key(e))) write(`${prefix(e)}${e.step} | ${tail}`);
  };
  /** The aggregate view's handling of one event. */
  const aggregate = (fleet: FleetTally, e: WorkflowEvent) => {
    fleet.event(e);
    const p = prefix(e);
    const now = Date.parse(e.time) || Date.now();
    if (e.type === "run_end") {
      write(`${e.time} ${fleet.line(now)}`);
      return;
    }
    if (e.type === "step_end" && aggregateFailure(e.status)) {
      const to = e.status === "failure" ? writeFailure : write;
      to(`${p}step ${stepLabel(e)} ${e.status}${e.message ? `: ${e.message}` : ""}`);
      for (const l of tailLines(e)) to(`${p}${e.step} ! ${l}`);
    } else if (e.type === "node_end" && aggregateFailure(e.status)) {
      writeFailure(`${p}node ${e.status}${e.message ? `: ${e.message}` : ""}`);
    } else if (aggregateNotable(e)) {
      write(`${p}${e.type === "log" ? "" : `step ${stepLabel(e)} retry: `}${e.message ?? ""}`);
    }
    if (now - lastAggregate >= every) {
      lastAggregate = now;
      write(`${e.time} ${fleet.line(now)}`);
    }
  };
  return {
    event(e) {
      if (e.type === "run_start" && aggregateRun(e, options.aggregateAbove ?? AGGREGATE_ABOVE)) {
        tally = new FleetTally();
        tally.event(e);
        lastAggregate = Date.parse(e.time) || Date.now();
        write(
          `${prefix(e)}run started: ${runTitle(e)}; aggregate view: a line every ` +
            `${formatElapsed(every)} and each failure (--json has every event)`,
        );
        return;
      }
      if (tally) return aggregate(tally, e);
      const p = prefix(e);
      const d = e.data ?? {};
      switch (e.type) {
        case "run_start":
          write(`${p}run started: ${runTitle(e)}`);
          break;
        case "node_start":
          write(`${p}node started`);
          break;
        case "step_start":
          write(`${p}step ${stepLabel(e)} started`);
          break;
        case "step_output":
          for (const l of lines.push(key(e), e.message ?? "")) write(`${p}${e.step} | ${l}`);
          break;
        case "step_progress": {
          const now = Date.parse(e.time) || Date.now();
          const k = key(e);
          if (now - (lastProgress.get(k) ?? 0) < every) break;
          lastProgress.set(k, now);
          const { bytes, total } = eventBytes(e);
          const figure = bytes === undefined
            ? (e.message ?? "")
            : `${formatBytes(bytes)}${total ? ` of ${formatBytes(total)}` : ""}`;
          write(`${p}step ${stepLabel(e)} ${figure}`);
          break;
        }
        case "step_retry":
          write(
            // The engine's message already names the attempt; the figure is the fallback.
            `${p}step ${stepLabel(e)} retry: ${
              e.message ?? (d.attempt !== undefined ? `attempt ${d.attempt}` : "")
            }`,
          );
          break;
        case "step_end": {
          flushOutput(e);
          const parts = [`${p}step ${stepLabel(e)} ${e.status ?? "done"}`];
          if (typeof d.duration_ms === "number") parts.push(` in ${formatElapsed(d.duration_ms)}`);
          if (d.exit_code !== undefined) parts.push(`, exit ${d.exit_code}`);
          if (typeof d.bytes === "number") parts.push(`, ${formatBytes(d.bytes)}`);
          if (e.message && e.status !== "success") parts.push(`: ${e.message}`);
          // A failure, with the last lines of its process whatever the step's `output` mode,
          // goes where failures go; an allowed failure stays with the progress.
          const to = e.status === "failure" ? writeFailure : write;
          to(parts.join(""));
          for (const l of tailLines(e)) to(`${p}${e.step} ! ${l}`);
          break;
        }
        case "node_end":
          (e.status === "failure" ? writeFailure : write)(
            `${p}node ${e.status ?? "done"}${
              typeof d.duration_ms === "number" ? ` in ${formatElapsed(d.duration_ms)}` : ""
            }${e.message && e.status !== "success" ? `: ${e.message}` : ""}`,
          );
          break;
        case "run_end":
          // The command prints the report's one-line summary after the run.
          break;
        case "log":
          write(`${p}${e.message ?? ""}`);
          break;
      }
    },
    close() {
      for (const [k, tail] of lines.flush()) {
        const [node, step] = k.split("\u0000");
        write(`${new Date().toISOString()} ${node ? `[${node}] ` : ""}${step} | ${tail}`);
      }
    },
  };
}
