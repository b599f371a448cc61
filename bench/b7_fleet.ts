/**
 * B7: fleet scale — the demo pipeline (workflows/demo.yaml: login, add_app, run_async, wait,
 * download_file, delete_app) on 32, 256 and 1,000 nodes behind one entry node, at
 * `concurrency: 100`. The nodes are the local server's forwarded-only nodes
 * (`startDevServer({ forwardedNodes })`), all reached through the one listening node.
 *
 * Each node count runs in a fresh runner process (Deno, as the CLI), so its peak RSS (VmHWM) is
 * that run's. The runner feeds every event to the terminal renderer and the plain renderer (as
 * `appmesh workflow run` would on a terminal and in CI), then writes the JSON and JUnit reports
 * as the CLI does. Figures: wall time, the runner's CPU per node-step (engine + client + TLS +
 * output), peak RSS, report size and write time, and how many lines a person sees.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  type BenchOptions,
  type BenchResult,
  errorText,
  loadClient,
  processCpuMs,
  ROOT,
  runClient,
  startServer,
  tlsFetch,
} from "./common.ts";
import { ratio, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B7";
/** What it measures. */
export const title =
  "fleet: demo pipeline on 32, 256, 1,000 nodes behind one entry node, concurrency 100";

/** Node counts of a full run. */
export const COUNTS = [32, 256, 1000] as const;
/** Node counts of `--quick`. */
export const QUICK_COUNTS = [32, 256] as const;
/** Node counts of the smoke test. */
export const SMOKE_COUNTS = [2, 4] as const;

/** The job of one runner process. */
export interface B7Job {
  /** The entry node's URL. */
  url: string;
  /** CA PEM. */
  caPem: string;
  /** The forwarded-only nodes' names. */
  nodes: string[];
  /** The workflow's `concurrency`. */
  concurrency: number;
}

/** What one runner process measured. */
export interface B7Out {
  nodes: number;
  status: string;
  failedNodes: number;
  wallMs: number;
  /** Runner CPU (user + system) during the run, output included. */
  cpuMs: number;
  /** Steps run (not skipped), over all nodes. */
  nodeSteps: number;
  /** Peak RSS of the runner process (VmHWM), and its RSS before the run. */
  peakRssMiB: number;
  baseRssMiB: number;
  /** JS heap in use at the end of the run (the report still held). */
  heapUsedMiB: number;
  /** The JSON report: bytes, and ms to serialize and write it; same for JUnit. */
  reportBytes: number;
  reportWriteMs: number;
  junitBytes: number;
  junitWriteMs: number;
  /** Lines the plain renderer printed, and lines the terminal renderer scrolled. */
  plainLines: number;
  ttyLines: number;
  /** Events the engine emitted. */
  events: number;
}

function procStatusMiB(field: "VmHWM" | "VmRSS"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // no /proc
  }
  return process.memoryUsage.rss() / 2 ** 20;
}

interface Renderer {
  event(e: unknown): void;
  close(): void;
}

/** Runs in the child (Deno): the demo on every node of the job, once. */
export async function clientSide(job: B7Job): Promise<B7Out> {
  const wfMod = await import(new URL("../src/workflow/mod.ts", import.meta.url).href) as {
    loadWorkflow(path: string): Promise<Record<string, unknown>>;
    runWorkflow(wf: unknown, o: unknown): Promise<{
      status: string;
      summary: string;
      nodes: { status: string; steps: { status: string }[] }[];
    }>;
    toJUnit(report: unknown): string;
  };
  const plainMod = await import(new URL("../src/cli/output/plain.ts", import.meta.url).href) as {
    plainRenderer(o: { write(line: string): void }): Renderer;
  };
  const ttyMod = await import(new URL("../src/cli/output/tty.ts", import.meta.url).href) as {
    ttyRenderer(o: { color: boolean; write(t: string): void; columns(): number }): Renderer;
  };
  const wf = await wfMod.loadWorkflow(join(ROOT, "workflows", "demo.yaml"));
  wf.concurrency = job.concurrency;
  const raw = tlsFetch(job.caPem);
  const dir = await mkdtemp(join(tmpdir(), "appmesh-bench-b7-"));
  let plainLines = 0;
  let ttyLines = 0;
  let events = 0;
  const plain = plainMod.plainRenderer({ write: () => void plainLines++ });
  const tty = ttyMod.ttyRenderer({
    color: true,
    columns: () => 120,
    write: (t) => {
      for (let i = t.indexOf("\n"); i >= 0; i = t.indexOf("\n", i + 1)) ttyLines++;
    },
  });
  try {
    const AppMeshClient = await loadClient();
    const client = new AppMeshClient({ baseUrl: job.url, fetch: raw.fetch });
    const baseRssMiB = procStatusMiB("VmRSS");
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await wfMod.runWorkflow(wf, {
      nodes: job.nodes,
      inputs: { out_dir: join(dir, "out") },
      env: { ...process.env, APPMESH_USER: "admin" },
      secrets: { APPMESH_PASSWORD: "admin123" },
      connection: { url: job.url },
      client,
      cwd: dir,
      onEvent: (e: unknown) => {
        events++;
        tty.event(e);
        plain.event(e);
      },
    });
    tty.close();
    plain.close();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await (client as { close(): Promise<void> }).close();
    const r0 = performance.now();
    const reportText = JSON.stringify(report, null, 2) + "\n";
    await writeFile(join(dir, "report.json"), reportText);
    const reportWriteMs = performance.now() - r0;
    const j0 = performance.now();
    const junit = wfMod.toJUnit(report);
    await writeFile(join(dir, "report.xml"), junit);
    const junitWriteMs = performance.now() - j0;
    return {
      nodes: job.nodes.length,
      status: report.status,
      failedNodes: report.nodes.filter((n) => n.status !== "success").length,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      nodeSteps: report.nodes.reduce(
        (s, n) => s + n.steps.filter((st) => st.status !== "skipped").length,
        0,
      ),
      peakRssMiB: procStatusMiB("VmHWM"),
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
      baseRssMiB,
      reportBytes: new TextEncoder().encode(reportText).length,
      reportWriteMs,
      junitBytes: new TextEncoder().encode(junit).length,
      junitWriteMs,
      plainLines,
      ttyLines,
      events,
    };
  } finally {
    raw.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs B7: one server with as many forwarded-only nodes as the largest count. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const counts: readonly number[] = o.smoke ? SMOKE_COUNTS : o.quick ? QUICK_COUNTS : COUNTS;
  const server = await startServer({ nodes: 1, forwardedNodes: Math.max(...counts) });
  const outs: (B7Out & { serverCpuMs: number })[] = [];
  try {
    for (const n of counts) {
      o.log(`B7: demo workflow on ${n} forwarded nodes, concurrency 100 (Deno)`);
      try {
        const cpu0 = processCpuMs(server.info.pid).own;
        const out = await runClient<B7Out>(
          "deno",
          id,
          {
            url: server.info.urls[0],
            caPem: server.info.caPem,
            nodes: server.info.forwardedNodes.slice(0, n).map((x) => x.name),
            concurrency: 100,
          } satisfies B7Job,
          { timeoutMs: 900_000 },
        );
        outs.push({ ...out, serverCpuMs: processCpuMs(server.info.pid).own - cpu0 });
        if (out.status !== "success") {
          result.notes.push(`${n} nodes: ${out.status}, ${out.failedNodes} node(s) not successful`);
        }
      } catch (e) {
        result.notes.push(`${n} nodes not measured: ${errorText(e)}`);
      }
    }
  } finally {
    await server.close();
  }
  const f = result.figures;
  for (const out of outs) {
    const k = `n${out.nodes}`;
    const perStep = out.cpuMs / out.nodeSteps;
    result.series[`${k}.wall`] = summarize([out.wallMs], "ms");
    result.series[`${k}.cpu_per_node_step`] = summarize([perStep], "ms");
    result.series[`${k}.peak_rss`] = summarize([out.peakRssMiB], "MiB");
    f[`${k}_wall_s`] = round(out.wallMs / 1000, 2);
    f[`${k}_cpu_ms_per_node_step`] = round(perStep, 3);
    f[`${k}_peak_rss_mib`] = round(out.peakRssMiB, 1);
    f[`${k}_report_kib`] = round(out.reportBytes / 1024, 1);
    f[`${k}_report_write_ms`] = round(out.reportWriteMs, 1);
    f[`${k}_junit_write_ms`] = round(out.junitWriteMs, 1);
    f[`${k}_server_cpu_ms_per_node_step`] = round(out.serverCpuMs / out.nodeSteps, 3);
    f[`${k}_plain_lines`] = out.plainLines;
    f[`${k}_tty_lines`] = out.ttyLines;
    result.notes.push(
      `${out.nodes} nodes: ${out.nodeSteps} node-steps, ${out.events} events, runner CPU ` +
        `${round(out.cpuMs, 0)} ms, RSS ${round(out.baseRssMiB, 1)} MiB before the run, JS heap ` +
        `${round(out.heapUsedMiB, 1)} MiB in use after it, server CPU ${
          round(out.serverCpuMs, 0)
        } ms, ` +
        `JUnit ${round(out.junitBytes / 1024, 1)} KiB`,
    );
  }
  const first = outs.find((x) => x.nodes === counts[0]);
  const last = outs.find((x) => x.nodes === counts[counts.length - 1]);
  const per = (x: B7Out | undefined) => x && x.cpuMs / x.nodeSteps;
  f.cpu_per_node_step_largest_vs_smallest = ratio(per(last), per(first));
  f.peak_rss_mib_largest = last ? round(last.peakRssMiB, 1) : null;
  result.goals.push({
    figure: "cpu_per_node_step_largest_vs_smallest",
    goal: "<= 1.5",
    pass: f.cpu_per_node_step_largest_vs_smallest === null
      ? null
      : f.cpu_per_node_step_largest_vs_smallest <= 1.5,
  });
  result.goals.push({
    figure: "peak_rss_mib_largest",
    goal: "<= 256",
    pass: f.peak_rss_mib_largest === null ? null : f.peak_rss_mib_largest <= 256,
  });
  result.notes.push(
    "one runner process per node count (Deno), fed to the terminal and the plain renderer as " +
      "the CLI would; CPU per node-step = runner CPU during the run ÷ steps run over all nodes; " +
      "the server (one Deno process, every node forwarded through the entry node, each job a real " +
      "process) shares the machine and sets the wall time.",
  );
  return result;
}
