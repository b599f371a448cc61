/**
 * The aggregate view of a run across many nodes: instead of a line per node, one line of counts
 * (done, running, failed, queued) and the slowest nodes still running. The terminal and the
 * plain renderers switch to it above {@linkcode AGGREGATE_ABOVE} nodes; failures are still shown
 * one by one. Every event costs O(1): the running nodes are kept in start order, so the
 * longest-running ones are the first few.
 *
 * ```
 * 523/1000 done · 100 running · 2 failed · 375 queued · slowest: 127.0.0.1:61003 12.3s (done (wait)), …
 * ```
 *
 * @module
 */

import type { WorkflowEvent } from "../../workflow/language/spec.ts";
import { formatElapsed, stepLabel } from "./format.ts";

/**
 * Above this many nodes, the renderers show the aggregate line instead of a line per node.
 *
 * @example
 * ```ts
 * import { AGGREGATE_ABOVE } from "./fleet.ts";
 * console.log(AGGREGATE_ABOVE); // 32
 * ```
 */
export const AGGREGATE_ABOVE = 32;

/** Node statuses counted as done (not failed). */
const OK = new Set(["success", "skipped", "allowed_failure"]);

interface Running {
  started: number;
  step?: string;
}

/**
 * Counts of a run's nodes, kept up to date from its events.
 *
 * @example
 * ```ts
 * import { FleetTally } from "./fleet.ts";
 * const tally = new FleetTally();
 * const time = new Date(0).toISOString();
 * tally.event({ type: "run_start", time, data: { nodes: ["a", "b", "c"] } });
 * tally.event({ type: "node_start", time, node: "a" });
 * tally.event({ type: "node_end", time, node: "a", status: "success" });
 * tally.event({ type: "node_start", time, node: "b" });
 * console.log(tally.line(Date.parse(time) + 1500)); // 1/3 done · 1 running · 0 failed · 1 queued · slowest: b 1.5s
 * ```
 */
export class FleetTally {
  /** Nodes of the run (from `run_start`). */
  total = 0;
  /** Nodes finished with success (or skipped). */
  done = 0;
  /** Nodes finished otherwise. */
  failed = 0;
  readonly #running = new Map<string, Running>();

  /** Nodes started and not finished. */
  get running(): number {
    return this.#running.size;
  }

  /** Nodes not started yet. */
  get queued(): number {
    return Math.max(0, this.total - this.done - this.failed - this.#running.size);
  }

  /** Takes one event into account. */
  event(e: WorkflowEvent): void {
    const at = Date.parse(e.time) || Date.now();
    switch (e.type) {
      case "run_start": {
        const nodes = e.data?.nodes;
        if (Array.isArray(nodes)) this.total = nodes.length;
        break;
      }
      case "node_start":
        if (e.node && !this.#running.has(e.node)) this.#running.set(e.node, { started: at });
        break;
      case "step_start": {
        const r = e.node ? this.#running.get(e.node) : undefined;
        if (r) r.step = stepLabel(e);
        break;
      }
      case "step_end": {
        const r = e.node ? this.#running.get(e.node) : undefined;
        if (r) r.step = undefined;
        break;
      }
      case "node_end":
        if (!e.node || !this.#running.delete(e.node)) break;
        if (OK.has(e.status ?? "success")) this.done++;
        else this.failed++;
        break;
    }
  }

  /** The `count` nodes running longest, with their elapsed time and current step. */
  slowest(now: number, count = 3): { node: string; elapsed: number; step?: string }[] {
    const out: { node: string; elapsed: number; step?: string }[] = [];
    for (const [node, r] of this.#running) {
      if (out.length >= count) break;
      out.push({ node, elapsed: now - r.started, step: r.step });
    }
    return out;
  }

  /** The aggregate line (no colours). */
  line(now: number = Date.now()): string {
    const head = `${this.done}/${this.total} done · ${this.running} running · ` +
      `${this.failed} failed · ${this.queued} queued`;
    const slow = this.slowest(now).map((s) =>
      `${s.node} ${formatElapsed(s.elapsed)}${s.step ? ` (${s.step})` : ""}`
    );
    return slow.length ? `${head} · slowest: ${slow.join(", ")}` : head;
  }
}

/**
 * Whether a run of `e` (a `run_start` event) is shown as an aggregate: more than `above` nodes.
 *
 * @example
 * ```ts
 * import { aggregateRun } from "./fleet.ts";
 * const e = { type: "run_start" as const, time: "", data: { nodes: ["a", "b"] } };
 * console.log(aggregateRun(e, 1)); // true
 * ```
 */
export function aggregateRun(e: WorkflowEvent, above: number = AGGREGATE_ABOVE): boolean {
  const nodes = e.data?.nodes;
  return Array.isArray(nodes) && nodes.length > above;
}

/**
 * Whether a step or node status is shown as a failure in the aggregate view (an allowed failure
 * and a skip are not).
 *
 * @example
 * ```ts
 * import { aggregateFailure } from "./fleet.ts";
 * aggregateFailure("failure"); // true
 * aggregateFailure("allowed_failure"); // false
 * ```
 */
export function aggregateFailure(status: string | undefined): boolean {
  return status !== undefined && status !== "success" && status !== "skipped" &&
    status !== "allowed_failure";
}

/**
 * Whether an event other than a failure earns a line in the aggregate view: retries, and logs
 * that are not routine per-node ones ("deleted temporary app ..." stays out).
 *
 * @example
 * ```ts
 * import { aggregateNotable } from "./fleet.ts";
 * aggregateNotable({ type: "step_retry", time: "", node: "a" }); // true
 * aggregateNotable({ type: "log", time: "", node: "a", status: "success" }); // false
 * ```
 */
export function aggregateNotable(e: WorkflowEvent): boolean {
  return e.type === "step_retry" ||
    (e.type === "log" && (!e.node || (e.status !== undefined && e.status !== "success")));
}
