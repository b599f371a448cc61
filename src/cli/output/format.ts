/**
 * Shared shapes and small formatters of the workflow output renderers.
 *
 * @module
 */

import type { WorkflowEvent } from "../../workflow/mod.ts";

/** Shows the events of one run somewhere (terminal, log, JSON lines). */
export interface Renderer {
  /** One event, already masked by the engine. */
  event(e: WorkflowEvent): void;
  /** The run is over: flush and leave the display in its final state. */
  close(): void;
  /**
   * Prints a message (e.g. "SIGINT: stopping") without breaking a live display: the live
   * lines are cleared first and drawn again below it.
   */
  note?(text: string): void;
}

/** `850ms`, `12.3s`, `4m05s`, `1h02m`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** `512 B`, `1.2 KiB`, `3.4 MiB`, `1.0 GiB` (powers of 1024, named as such). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The step's label: its id, with the type when they differ. */
export function stepLabel(e: WorkflowEvent): string {
  const id = e.step ?? "";
  if (!e.step_type || id === e.step_type) return id || (e.step_type ?? "");
  return id.startsWith("#") ? `${e.step_type}${id}` : `${id} (${e.step_type})`;
}

/** The bytes figure of a progress event, if any. */
export function eventBytes(e: WorkflowEvent): { bytes?: number; total?: number } {
  const d = e.data ?? {};
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : undefined;
  return { bytes: num(d.bytes), total: num(d.total) };
}

/** Splits streamed output into complete lines, keeping the unfinished tail per key. */
export class LineBuffer {
  #tails = new Map<string, string>();
  /** Adds a chunk; returns the complete lines. */
  push(key: string, chunk: string): string[] {
    const text = (this.#tails.get(key) ?? "") + chunk;
    const lines = text.split(/\r?\n/);
    this.#tails.set(key, lines.pop() ?? "");
    return lines;
  }
  /** Returns and clears the unfinished tail of a key (or of all keys). */
  flush(key?: string): [string, string][] {
    const keys = key === undefined ? [...this.#tails.keys()] : [key];
    const out: [string, string][] = [];
    for (const k of keys) {
      const t = this.#tails.get(k);
      if (t) out.push([k, t]);
      this.#tails.delete(k);
    }
    return out;
  }
}

/** `demo (run 20261128-0215-ab12, 3 nodes)` for a `run_start` event. */
export function runTitle(e: WorkflowEvent): string {
  const d = e.data ?? {};
  const bits: string[] = [];
  if (typeof d.run_id === "string") bits.push(`run ${d.run_id}`);
  if (Array.isArray(d.nodes)) bits.push(`${d.nodes.length} node${d.nodes.length === 1 ? "" : "s"}`);
  return `${e.message ?? "workflow"}${bits.length ? ` (${bits.join(", ")})` : ""}`;
}

/**
 * The output tail of a failed `step_end` event (`data.output_tail`: the last lines of a
 * process that exited with a code its step does not accept), as lines to print under the
 * failure line; none for other events.
 */
export function tailLines(e: WorkflowEvent): string[] {
  const tail = e.data?.output_tail;
  if (typeof tail !== "string" || e.status === "success") return [];
  return tail.replace(/\r?\n$/, "").split(/\r?\n/);
}
