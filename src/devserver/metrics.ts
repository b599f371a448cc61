/**
 * Request metrics of one node, in the daemon's Prometheus names (requests, in-flight, duration
 * histogram), counted by the fetch pipeline and rendered by `GET /appmesh/metrics`.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import * as os from "node:os";
import { VERSION } from "./node_info.ts";

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30];

/**
 * Request counters of one node, in the daemon's metric names.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const metrics = new Metrics();
 * metrics.start("GET", "/appmesh/labels");
 * metrics.finish("GET", "/appmesh/labels", 200, 0.002);
 * console.log(metrics.render().includes("appmesh_http_requests_total")); // true
 * ```
 */
export class Metrics {
  #scrapes = 0;
  readonly #requests = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  readonly #durations = new Map<string, { count: number; sum: number; buckets: number[] }>();

  /** A request started on a route (`unmatched` for none). */
  start(method: string, route: string): void {
    const k = `${method}\u0000${route}`;
    this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + 1);
  }

  /** A request finished. */
  finish(method: string, route: string, status: number, seconds: number): void {
    const k = `${method}\u0000${route}`;
    this.#inFlight.set(k, Math.max(0, (this.#inFlight.get(k) ?? 1) - 1));
    const rk = `${k}\u0000${status}`;
    this.#requests.set(rk, (this.#requests.get(rk) ?? 0) + 1);
    const d = this.#durations.get(k) ?? { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
    d.count++;
    d.sum += seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) d.buckets[i]++;
    });
    this.#durations.set(k, d);
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(): string {
    this.#scrapes++;
    const host = `host="${esc(os.hostname())}"`;
    const lines: string[] = [];
    const head = (name: string, help: string, type: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    head("appmesh_metrics_scrapes_total", "Total number of App Mesh metrics scrapes", "counter");
    lines.push(`appmesh_metrics_scrapes_total{${host}} ${this.#scrapes}`);
    head(
      "appmesh_metrics_collection_errors_total",
      "Total number of App Mesh metrics collection errors",
      "counter",
    );
    lines.push(`appmesh_metrics_collection_errors_total{${host}} 0`);
    head("appmesh_http_requests_total", "Total number of App Mesh HTTP requests", "counter");
    for (const [k, n] of this.#requests) {
      const [method, route, status] = k.split("\u0000");
      lines.push(
        `appmesh_http_requests_total{${host},method="${esc(method)}",route="${esc(route)}",` +
          `status_class="${status[0]}xx",status_code="${status}"} ${n}`,
      );
    }
    head("appmesh_process_open_fds", "App Mesh daemon open file descriptors", "gauge");
    let fds = 0;
    try {
      fds = readdirSync("/proc/self/fd").length;
    } catch { /* no /proc: 0 */ }
    lines.push(`appmesh_process_open_fds{${host}} ${fds}`);
    head("appmesh_process_id", "App Mesh daemon process ID", "gauge");
    lines.push(
      `appmesh_process_id{${host}} ${
        (globalThis as { process?: { pid: number } }).process?.pid ?? 0
      }`,
    );
    head("appmesh_build_info", "App Mesh build information", "gauge");
    lines.push(`appmesh_build_info{${host},version="${VERSION}"} 1`);
    head("appmesh_http_requests_in_flight", "Current App Mesh HTTP requests in flight", "gauge");
    for (const [k, n] of this.#inFlight) {
      const [method, route] = k.split("\u0000");
      lines.push(
        `appmesh_http_requests_in_flight{${host},method="${esc(method)}",route="${
          esc(route)
        }"} ${n}`,
      );
    }
    head(
      "appmesh_http_request_duration_seconds",
      "App Mesh HTTP request duration in seconds",
      "histogram",
    );
    for (const [k, d] of this.#durations) {
      const [method, route] = k.split("\u0000");
      const l = `${host},method="${esc(method)}",route="${esc(route)}"`;
      BUCKETS.forEach((le, i) =>
        lines.push(`appmesh_http_request_duration_seconds_bucket{${l},le="${le}"} ${d.buckets[i]}`)
      );
      lines.push(`appmesh_http_request_duration_seconds_bucket{${l},le="+Inf"} ${d.count}`);
      lines.push(`appmesh_http_request_duration_seconds_sum{${l}} ${d.sum}`);
      lines.push(`appmesh_http_request_duration_seconds_count{${l}} ${d.count}`);
    }
    return lines.join("\n") + "\n";
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
