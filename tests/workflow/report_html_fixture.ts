/**
 * A made-up report of a large fleet for the HTML report's tests (the unit test measures its
 * page, the browser test renders it): `nodes` nodes of six steps each, every 97th failing the
 * same way, one interrupted and one not started when there are enough nodes.
 */
import type { NodeReport, Report, StepReport } from "../../src/workflow/report/report.ts";

const T0 = Date.parse("2026-11-29T02:30:00.000Z");
const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** Name of node `i` (0-based) of {@linkcode fleetReport}. */
export function fleetNode(i: number): string {
  return `web-${String(i + 1).padStart(4, "0")}.fleet.example:6060`;
}

/** A report of `nodes` nodes (deterministic). */
export function fleetReport(nodes: number): Report {
  const list: NodeReport[] = [];
  let failed = 0;
  for (let i = 0; i < nodes; i++) {
    let t = (i * 7) % 30;
    const step = (id: string, type: string, duration: number, extra: Partial<StepReport> = {}) => {
      const s: StepReport = {
        id,
        type,
        status: "success",
        attempts: 1,
        started: iso(t),
        duration_ms: duration,
        ...extra,
      };
      t += duration + 5;
      return s;
    };
    const fails = i % 97 === 1;
    const steps = [
      step("#0", "login", 40),
      step("app", "add_app", 80, { name: "Register the job" }),
      step("job", "run_async", 60),
      step("done", "wait", 1200 + (i * 37) % 900, { exit_code: fails ? 1 : 0 }),
    ];
    if (fails) {
      failed++;
      Object.assign(steps[3], {
        status: "failure",
        error: "process exited with code 1; last output: \"rm: cannot remove '/data/x'\"",
        output_tail: "purging /data\nrm: cannot remove '/data/x': Permission denied\n",
      });
      steps.push({
        id: "fetch",
        type: "download_file",
        status: "skipped",
        attempts: 0,
        duration_ms: 0,
      });
    } else steps.push(step("fetch", "download_file", 150));
    steps.push(step("finally#0", "delete_app", 40, { finally: true }));
    let status: NodeReport["status"] = fails ? "failure" : "success";
    if (nodes > 10 && i === nodes - 2) status = "interrupted";
    const node: NodeReport = { node: fleetNode(i), status, steps };
    if (nodes > 10 && i === nodes - 1) {
      Object.assign(node, { status: "skipped", steps: [], error: "not started: max_failures" });
    }
    list.push(node);
  }
  return {
    workflow: "rolling-deploy",
    run_id: "20261129-023000-ab12cd",
    status: failed ? "failure" : "success",
    started: iso(0),
    duration_ms: 2600,
    session: { login: "reused" },
    nodes: list,
    leftovers: [],
    summary: `rolling-deploy: ${failed ? "failure" : "success"}: ${
      nodes - failed
    }/${nodes} nodes ok`,
    exit_code: failed ? 1 : 0,
  };
}
