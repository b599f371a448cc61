/**
 * B5: workflow fan-out — the demo pipeline (workflows/demo.yaml) on 1, 8 and 32 nodes of one
 * local-server cluster at `concurrency: 32`: wall time ÷ one node's, and the engine's own time
 * per step.
 *
 * Engine time is measured by wrapping the client's `fetch`: every interval in which at least
 * one request is waiting on the network (the fetch until its headers, then each body read) is
 * HTTP time; wall time minus it, divided by the steps run, is the engine's time per step. It is
 * taken on one node, where steps run one after another (with 32 nodes in flight the HTTP time
 * overlaps everything and the difference means little; it is reported too).
 *
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
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
import { median, ratio, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B5";
/** What it measures. */
export const title = "workflow fan-out: demo pipeline on 1, 8, 32 nodes at concurrency 32";

/** Node counts measured. */
export const COUNTS = [1, 8, 32] as const;

/** The job of the client side (Deno only: the runner is measured where the CLI runs). */
export interface B5Job {
  url: string;
  caPem: string;
  /** All node names of the cluster (`127.0.0.1:PORT`). */
  nodes: string[];
  rounds: number;
  /** The server's pid, to read its CPU time per run. */
  serverPid: number;
}

/** One workflow run. */
interface RunFigures {
  nodes: number;
  wallMs: number;
  httpMs: number;
  /** Time inside client method calls (HTTP included). */
  clientMs: number;
  steps: number;
  cpuMs: number;
  /** The server process's CPU time during the run. */
  serverCpuMs: number;
  /** CPU time of the processes the server ran (the jobs) during the run. */
  jobsCpuMs: number;
  /** Per step type, summed over the run: ms outside client calls, and in them but off the network. */
  engineByStep: Record<string, { engine: number; client: number }>;
  /** Wall time outside any step (setup, login, teardown of the run), minus HTTP. */
  outsideStepsMs: number;
  status: string;
}

/** Per node count, the runs. */
export interface B5Out {
  runs: RunFigures[];
}

/** Time during which at least one of possibly overlapping intervals is open. */
export function busyClock() {
  let inflight = 0;
  let since = 0;
  let busy = 0;
  return {
    enter() {
      if (inflight++ === 0) since = performance.now();
    },
    leave() {
      if (--inflight === 0) busy += performance.now() - since;
    },
    /** Busy ms so far (an open interval counts up to now). */
    ms: () => busy + (inflight > 0 ? performance.now() - since : 0),
  };
}

/**
 * The client with every method call timed (methods run on the real object, so its private
 * fields work; `forNode` views are wrapped too): time inside the client, HTTP included.
 */
export function timedClient<T extends object>(client: T) {
  const clock = busyClock();
  const wrap = <O extends object>(obj: O): O =>
    new Proxy(obj, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function" || prop === "constructor") return v;
        if (prop === "forNode") {
          return (...args: unknown[]) =>
            wrap((v as (...a: unknown[]) => object).apply(target, args));
        }
        return (...args: unknown[]) => {
          clock.enter();
          let r: unknown;
          try {
            r = (v as (...a: unknown[]) => unknown).apply(target, args);
          } catch (e) {
            clock.leave();
            throw e;
          }
          if (r instanceof Promise) return r.finally(() => clock.leave());
          clock.leave();
          return r;
        };
      },
    });
  return { client: wrap(client), busyMs: clock.ms };
}

/** A fetch that records the time any request is waiting on the network. */
export function timedFetch(base: typeof fetch) {
  const clock = busyClock();
  const { enter, leave } = clock;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    enter();
    let res: Response;
    try {
      res = await base(input, init);
    } finally {
      leave();
    }
    if (!res.body || [101, 204, 205, 304].includes(res.status)) return res;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        enter();
        try {
          const r = await reader.read();
          if (r.done) ctl.close();
          else ctl.enqueue(r.value);
        } finally {
          leave();
        }
      },
      cancel: (why) => reader.cancel(why),
    });
    const out = new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
    Object.defineProperty(out, "url", { value: res.url });
    return out;
  };
  return {
    fetch,
    /** HTTP busy time so far, in ms (an open interval counts up to now). */
    busyMs: clock.ms,
  };
}

/** Runs in the child (Deno): the demo workflow per node count, interleaved rounds. */
export async function clientSide(job: B5Job): Promise<B5Out> {
  const wfMod = await import(new URL("../src/workflow/mod.ts", import.meta.url).href) as {
    loadWorkflow(path: string): Promise<Record<string, unknown>>;
    runWorkflow(wf: unknown, o: unknown): Promise<{
      status: string;
      summary: string;
      nodes: { status: string; steps: { status: string }[] }[];
    }>;
  };
  const wf = await wfMod.loadWorkflow(join(ROOT, "workflows", "demo.yaml"));
  wf.concurrency = 32;
  const raw = tlsFetch(job.caPem);
  const dir = await mkdtemp(join(tmpdir(), "appmesh-bench-b5-"));
  const runs: RunFigures[] = [];
  try {
    const once = async (n: number): Promise<RunFigures> => {
      const timed = timedFetch(raw.fetch);
      const AppMeshClient = await loadClient();
      const real = new AppMeshClient({ baseUrl: job.url, fetch: timed.fetch });
      const inClient = timedClient(real);
      const engineByStep: RunFigures["engineByStep"] = {};
      const open = new Map<string, { t: number; busy: number; inClient: number }>();
      let inSteps = 0;
      const onEvent = (e: { type: string; node?: string; step?: string; step_type?: string }) => {
        const key = `${e.node}|${e.step}`;
        if (e.type === "step_start") {
          open.set(key, {
            t: performance.now(),
            busy: timed.busyMs(),
            inClient: inClient.busyMs(),
          });
        } else if (e.type === "step_end" && open.has(key)) {
          const s = open.get(key)!;
          open.delete(key);
          const dt = performance.now() - s.t;
          const http = timed.busyMs() - s.busy;
          const client = inClient.busyMs() - s.inClient;
          inSteps += dt - http;
          const sum = engineByStep[e.step_type ?? "?"] ??= { engine: 0, client: 0 };
          sum.engine += dt - client;
          sum.client += client - http;
        }
      };
      const server0 = processCpuMs(job.serverPid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const report = await wfMod.runWorkflow(wf, {
        nodes: job.nodes.slice(0, n),
        inputs: { out_dir: join(dir, "out") },
        env: { ...process.env, APPMESH_USER: "admin" },
        secrets: { APPMESH_PASSWORD: "admin123" },
        connection: { url: job.url },
        client: inClient.client,
        cwd: dir,
        onEvent,
      });
      await real.close();
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const server1 = processCpuMs(job.serverPid);
      const serverCpuMs = server1.own - server0.own;
      const jobsCpuMs = server1.children - server0.children;
      const httpMs = timed.busyMs();
      const clientMs = inClient.busyMs();
      if (report.status !== "success") throw new Error(`demo on ${n} nodes: ${report.summary}`);
      return {
        nodes: n,
        wallMs,
        httpMs,
        clientMs,
        steps: report.nodes.reduce(
          (s, node) => s + node.steps.filter((st) => st.status !== "skipped").length,
          0,
        ),
        cpuMs: (cpu.user + cpu.system) / 1000,
        serverCpuMs,
        jobsCpuMs,
        engineByStep,
        outsideStepsMs: n === 1 ? wallMs - httpMs - inSteps : NaN,
        status: report.status,
      };
    };
    await once(1); // warm-up: module loading, connections, the server's first processes
    for (let r = 0; r < job.rounds; r++) {
      const order = r % 2 ? [...COUNTS].reverse() : [...COUNTS];
      for (const n of order) if (n <= job.nodes.length) runs.push(await once(n));
    }
    return { runs };
  } finally {
    raw.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs B5: a 32-node server, the demo on 1, 8 and 32 of its nodes. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const server = await startServer({ nodes: 32 });
  try {
    const job: B5Job = {
      url: server.info.urls[0],
      caPem: server.info.caPem,
      nodes: server.info.nodes.map((n) => n.name),
      rounds: o.smoke ? 1 : o.quick ? 2 : 4,
      serverPid: server.info.pid,
    };
    o.log(`B5: demo workflow on 1, 8, 32 nodes × ${job.rounds} rounds (Deno)`);
    let out: B5Out | undefined;
    try {
      out = await runClient<B5Out>("deno", id, job);
    } catch (e) {
      result.notes.push(`not measured: ${errorText(e)}`);
    }
    const f = result.figures;
    const walls: Record<number, number> = {};
    for (const n of COUNTS) {
      const runs = out?.runs.filter((r) => r.nodes === n) ?? [];
      if (!runs.length) continue;
      result.series[`n${n}.wall`] = summarize(runs.map((r) => r.wallMs), "ms");
      result.series[`n${n}.engine_per_step`] = summarize(
        runs.map((r) => (r.wallMs - r.httpMs) / r.steps),
        "ms",
      );
      result.series[`n${n}.engine_only_per_step`] = summarize(
        runs.map((r) => (r.wallMs - r.clientMs) / r.steps),
        "ms",
      );
      result.series[`n${n}.client_per_step`] = summarize(
        runs.map((r) => (r.clientMs - r.httpMs) / r.steps),
        "ms",
      );
      result.series[`n${n}.client_cpu_per_step`] = summarize(
        runs.map((r) => r.cpuMs / r.steps),
        "ms",
      );
      result.series[`n${n}.server_cpu`] = summarize(runs.map((r) => r.serverCpuMs), "ms");
      result.series[`n${n}.jobs_cpu`] = summarize(runs.map((r) => r.jobsCpuMs), "ms");
      result.series[`n${n}.client_cpu`] = summarize(runs.map((r) => r.cpuMs), "ms");
      walls[n] = median(runs.map((r) => r.wallMs));
    }
    const one = out?.runs.filter((r) => r.nodes === 1) ?? [];
    if (one.length) {
      const types = [...new Set(one.flatMap((r) => Object.keys(r.engineByStep)))];
      const part = (t: string, k: "engine" | "client") =>
        round(median(one.map((r) => r.engineByStep[t]?.[k] ?? 0)), 2);
      const parts = types.map((t) => `${t} ${part(t, "engine")} + ${part(t, "client")}`);
      parts.push(`outside steps ${round(median(one.map((r) => r.outsideStepsMs)), 2)}`);
      result.notes.push(
        "one node, off-network ms per run by step type, engine + client (median): " +
          parts.join(", "),
      );
    }
    f.n8_vs_n1 = ratio(walls[8], walls[1]);
    f.n32_vs_n1 = ratio(walls[32], walls[1]);
    const med = (k: string) => (result.series[k] ? round(result.series[k].median, 3) : null);
    f.engine_ms_per_step = med("n1.engine_per_step");
    f.engine_ms_per_step_n32 = med("n32.engine_per_step");
    f.engine_only_ms_per_step = med("n1.engine_only_per_step");
    f.client_ms_per_step = med("n1.client_per_step");
    f.client_cpu_ms_per_step = med("n1.client_cpu_per_step");
    f.n1_wall_ms = walls[1] === undefined ? null : round(walls[1], 0);
    result.goals.push({
      figure: "n32_vs_n1",
      goal: "<= 2",
      pass: f.n32_vs_n1 === null ? null : f.n32_vs_n1 <= 2,
    });
    result.goals.push({
      figure: "engine_ms_per_step",
      goal: "< 1",
      pass: f.engine_ms_per_step === null ? null : f.engine_ms_per_step < 1,
    });
    result.notes.push(
      "engine time per step = (wall − time with a request waiting on the network) ÷ steps run, " +
        "one node; it splits into engine_only (outside any client call) + client_ms_per_step " +
        "(inside client calls but not waiting on the network); client_cpu_ms_per_step = the client process's CPU (engine + client + TLS) " +
        "per step. The demo's job sleeps 3 × 0.2 s on every node.",
    );
  } finally {
    await server.close();
  }
  return result;
}
