/**
 * Live output on a terminal: one line per node at the bottom of the screen (its current
 * step, the step's elapsed time, bytes for transfers), redrawn in place; step output and
 * failures scroll above it. Colours only when allowed (see `useColor`).
 *
 * Above `aggregateAbove` nodes (default 32) the live block is one aggregate line instead
 * (`fleet.ts`: done, running, failed, queued, the slowest nodes), and only failures, retries
 * and log lines scroll above it; step output is left to `--json` and the failure's last lines.
 *
 * @module
 */

import type { WorkflowEvent } from "../../workflow/mod.ts";
import { type Style, style as makeStyle } from "../context.ts";
import { unrefTimer } from "../../runtime/timers.ts";
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
import { terminalColumns } from "../../runtime/process.ts";
import {
  AGGREGATE_ABOVE,
  aggregateFailure,
  aggregateNotable,
  aggregateRun,
  FleetTally,
} from "./fleet.ts";

/** Options of {@linkcode ttyRenderer}. */
export interface TtyOptions {
  /** Use colours. */
  color: boolean;
  /** Writes raw text (default: stdout). */
  write: (text: string) => void;
  /** Terminal width (default: the console's, else 100). */
  columns?: () => number;
  /** Writes a failed step's line and output tail (default: `write`); the CLI uses stderr. */
  writeFailure?: (text: string) => void;
  /** Writes a note (default: `write`); the CLI sends notes to stderr. */
  writeNote?: (text: string) => void;
  /** Above this many nodes, one aggregate line instead of a line per node (default 32). */
  aggregateAbove?: number;
}

interface NodeLine {
  name: string;
  started: number;
  step?: string;
  stepStarted?: number;
  bytes?: number;
  total?: number;
  steps: number;
  final?: { status: string; elapsed: number };
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function consoleColumns(): number {
  return terminalColumns() ?? 100;
}

/** Visible length of a string (ANSI escapes removed). */
function visible(s: string): number {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "").length;
}

function truncate(s: string, width: number): string {
  if (visible(s) <= width) return s;
  // deno-lint-ignore no-control-regex
  const plain = s.replace(/\x1b\[[0-9;]*m/g, "");
  return plain.slice(0, Math.max(0, width - 1)) + "…";
}

/** A renderer that keeps a live line per node on the terminal. */
export function ttyRenderer(options: TtyOptions): Renderer {
  const st: Style = makeStyle(options.color);
  const write = options.write;
  const columns = options.columns ?? consoleColumns;
  const nodes = new Map<string, NodeLine>();
  const lines = new LineBuffer();
  let drawn = 0;
  let frame = 0;
  let closed = false;
  let tally: FleetTally | undefined;
  let longestName = 4;

  const statusMark = (s: string) =>
    s === "success"
      ? st.ok("✔")
      : s === "skipped"
      ? st.dim("-")
      : s === "interrupted"
      ? st.warn("■")
      : st.bad("✘");

  const render = (n: NodeLine, width: number, now: number): string => {
    const name = n.name.padEnd(nameWidth());
    if (n.final) {
      const text = `${statusMark(n.final.status)} ${
        st.bold(name)
      }  ${n.final.status}, ${n.steps} step${n.steps === 1 ? "" : "s"} in ${
        formatElapsed(n.final.elapsed)
      }`;
      return truncate(text, width);
    }
    const spin = st.dim(SPINNER[frame % SPINNER.length]);
    const parts = [`${spin} ${st.bold(name)}`];
    if (n.step) {
      parts.push(n.step);
      parts.push(st.dim(formatElapsed(now - (n.stepStarted ?? now))));
      if (n.bytes !== undefined) {
        parts.push(
          st.dim(`${formatBytes(n.bytes)}${n.total ? ` / ${formatBytes(n.total)}` : ""}`),
        );
      }
    } else {
      parts.push(st.dim(n.steps ? "next step" : "starting"));
    }
    return truncate(parts.join("  "), width);
  };

  const nameWidth = () => Math.min(32, longestName);

  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };

  const draw = () => {
    const width = Math.max(20, columns() - 1);
    const now = Date.now();
    if (tally) {
      const mark = tally.running || tally.queued ? st.dim(SPINNER[frame % SPINNER.length]) : "■";
      write(truncate(`${mark} ${tally.line(now)}`, width) + "\n");
      drawn = 1;
      return;
    }
    if (!nodes.size) return;
    const text = [...nodes.values()].map((n) => render(n, width, now)).join("\n");
    write(text + "\n");
    drawn = nodes.size;
  };

  const redraw = () => {
    clear();
    draw();
  };

  /** Prints lines above the live block. */
  const above = (text: string[]) => {
    if (!text.length) return;
    clear();
    write(text.join("\n") + "\n");
    draw();
  };

  const outputLine = (e: WorkflowEvent, l: string) =>
    `${st.dim(`[${e.node ?? "-"}] ${e.step ?? ""} |`)} ${l}`;

  const timer = setInterval(() => {
    if (closed) return;
    frame++;
    if (tally ? tally.running > 0 : [...nodes.values()].some((n) => !n.final)) redraw();
  }, 200);
  unrefTimer(timer);

  const nodeOf = (e: WorkflowEvent): NodeLine | undefined => {
    if (!e.node) return undefined;
    let n = nodes.get(e.node);
    if (!n) {
      n = { name: e.node, started: Date.parse(e.time) || Date.now(), steps: 0 };
      nodes.set(e.node, n);
      longestName = Math.max(longestName, e.node.length);
    }
    return n;
  };

  const key = (e: WorkflowEvent) => `${e.node ?? ""}\u0000${e.step ?? ""}`;

  /** The aggregate view: counts in the live line, failures above it, O(1) per event. */
  const aggregate = (fleet: FleetTally, e: WorkflowEvent) => {
    fleet.event(e);
    const where = `[${e.node ?? "-"}]`;
    if (e.type === "step_end" && aggregateFailure(e.status)) {
      above([
        `${statusMark(e.status!)} ${where} ${stepLabel(e)} ${e.status}${
          e.message ? `: ${e.message}` : ""
        }`,
        ...tailLines(e).map((l) => `${st.dim(`  ${where} ${e.step ?? ""} !`)} ${l}`),
      ]);
    } else if (e.type === "node_end" && aggregateFailure(e.status)) {
      above([
        `${statusMark(e.status!)} ${where} node ${e.status}${e.message ? `: ${e.message}` : ""}`,
      ]);
    } else if (e.type === "step_retry") {
      above([st.warn(`↻ ${where} ${stepLabel(e)} retry: ${e.message ?? ""}`)]);
    } else if (e.type === "log" && aggregateNotable(e)) {
      above([`${e.node ? st.dim(`${where} `) : ""}${e.message ?? ""}`]);
    }
    // Other events only change the counts: the timer redraws the line.
  };

  return {
    event(e) {
      if (e.type === "run_start" && aggregateRun(e, options.aggregateAbove ?? AGGREGATE_ABOVE)) {
        tally = new FleetTally();
        tally.event(e);
        above([st.bold(`▶ ${runTitle(e)}`) + st.dim("  (aggregate view; --json has every event)")]);
        return;
      }
      if (tally) return aggregate(tally, e);
      const n = nodeOf(e);
      const d = e.data ?? {};
      switch (e.type) {
        case "run_start":
          above([st.bold(`▶ ${runTitle(e)}`)]);
          break;
        case "node_start":
          redraw();
          break;
        case "step_start":
          if (n) {
            n.step = stepLabel(e);
            n.stepStarted = Date.now();
            n.bytes = undefined;
            n.total = undefined;
          }
          redraw();
          break;
        case "step_output": {
          const got = lines.push(key(e), e.message ?? "");
          above(got.map((l) => outputLine(e, l)));
          break;
        }
        case "step_progress":
          if (n) {
            const { bytes, total } = eventBytes(e);
            n.bytes = bytes ?? n.bytes;
            n.total = total ?? n.total;
          }
          break;
        case "step_retry":
          above([
            st.warn(
              `↻ [${e.node ?? "-"}] ${stepLabel(e)} retry: ${
                e.message ?? (d.attempt !== undefined ? `attempt ${d.attempt}` : "")
              }`,
            ),
          ]);
          break;
        case "step_end": {
          const tail = lines.flush(key(e)).map(([, t]) => outputLine(e, t));
          if (n) {
            n.steps++;
            n.step = undefined;
          }
          // A failure goes where failures go (the CLI: stderr); an allowed one stays here.
          const failure: string[] = [];
          const into = e.status === "failure" ? failure : tail;
          if (e.status && e.status !== "success" && e.status !== "skipped") {
            into.push(
              `${statusMark(e.status)} [${e.node ?? "-"}] ${stepLabel(e)} ${e.status}${
                e.message ? `: ${e.message}` : ""
              }`,
            );
            for (const l of tailLines(e)) {
              into.push(`${st.dim(`  [${e.node ?? "-"}] ${e.step ?? ""} !`)} ${l}`);
            }
          }
          if (failure.length) {
            clear();
            if (tail.length) write(tail.join("\n") + "\n");
            (options.writeFailure ?? write)(failure.join("\n") + "\n");
            draw();
          } else if (tail.length) above(tail);
          else redraw();
          break;
        }
        case "node_end":
          if (n) {
            n.final = {
              status: e.status ?? "done",
              elapsed: typeof d.duration_ms === "number" ? d.duration_ms : Date.now() - n.started,
            };
          }
          redraw();
          break;
        case "log":
          above([`${e.node ? st.dim(`[${e.node}] `) : ""}${e.message ?? ""}`]);
          break;
        case "run_end":
          break;
      }
    },
    note(text: string) {
      clear();
      (options.writeNote ?? write)(text.endsWith("\n") ? text : text + "\n");
      if (!closed) draw();
    },
    close() {
      closed = true;
      clearInterval(timer);
      const tails = lines.flush().map(([k, t]) => {
        const [node, step] = k.split("\u0000");
        return `${st.dim(`[${node || "-"}] ${step} |`)} ${t}`;
      });
      if (tails.length) above(tails);
      else redraw();
    },
  };
}
