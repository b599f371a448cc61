/**
 * B4: `wait` on a run — from the moment the process exits to the moment `wait()` returns.
 *
 * The command sleeps briefly, then prints a nanosecond wall-clock timestamp (`date +%s%N`) as
 * its last act; the client notes its own wall clock when `wait()` returns. The floor is the
 * same long-poll loop with raw fetch (GET output with `timeout=5`, then DELETE the app, as
 * `wait()` does); the official JavaScript SDK's `wait_for_async_run` is the peer.
 *
 * @module
 */
import {
  type BenchOptions,
  type BenchResult,
  errorText,
  loggedInClient,
  type OurClient,
  rawLogin,
  runClient,
  type Runtime,
  serverOrTarget,
  tlsFetch,
} from "./common.ts";
import { interleavedRounds } from "./interleave.ts";
import { nodePeerVersion, runNodePeer } from "./peers/setup.ts";
import { median, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B4";
/** What it measures. */
export const title = "wait on a run: process exit → wait() returns";

/** The command of every run: sleep, then print the exit time (ns since the epoch). */
export const COMMAND = "sleep 0.2; date +%s%N";

/** The job of the client side. */
export interface B4Job {
  url: string;
  caPem: string;
  rounds: number;
}

/** Latencies in ms per contender. */
export interface B4Out {
  floor: number[];
  ours: number[];
  oursError?: string;
}

/** Wall clock in ms with sub-ms resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The exit time the command printed (last line), in ms since the epoch. */
export function exitStamp(output: string): number {
  const line = output.trim().split("\n").pop() ?? "";
  if (!/^\d{16,}$/.test(line)) throw new Error(`no timestamp in the run's output: ${output}`);
  return Number(BigInt(line) / 1000n) / 1000;
}

async function floorWait(f: typeof fetch, url: string, token: string): Promise<number> {
  const headers = { "authorization": `Bearer ${token}`, "user-agent": "appmesh/typescript" };
  const started = await f(`${url}/appmesh/app/run?timeout=172800&lifecycle=216000`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ command: COMMAND, shell: true }),
  });
  if (!started.ok) throw new Error(`floor run: ${started.status} ${await started.text()}`);
  const { name, process_uuid } = await started.json() as { name: string; process_uuid: string };
  let position = 0;
  let output = "";
  for (;;) {
    const q = `stdout_position=${position}&process_uuid=${process_uuid}&timeout=5`;
    const res = await f(`${url}/appmesh/app/${encodeURIComponent(name)}/output?${q}`, { headers });
    if (!res.ok) throw new Error(`floor output: ${res.status} ${await res.text()}`);
    output += await res.text();
    position = Number(res.headers.get("x-output-position") ?? position);
    if (res.headers.get("x-exit-code") !== null) break;
  }
  const del = await f(`${url}/appmesh/app/${encodeURIComponent(name)}`, {
    method: "DELETE",
    headers,
  });
  await del.body?.cancel();
  return nowMs() - exitStamp(output);
}

/** Runs in the child: floor and ours, interleaved, one warm-up each. */
export async function clientSide(job: B4Job): Promise<B4Out> {
  const raw = tlsFetch(job.caPem);
  const token = await rawLogin(raw.fetch, job.url);
  const out: B4Out = { floor: [], ours: [] };
  const floor = () => floorWait(raw.fetch, job.url, token);
  let ours: (() => Promise<number>) | undefined;
  let client: OurClient | undefined;
  try {
    const c = await loggedInClient(job.url, job.caPem);
    client = c;
    ours = async () => {
      let output = "";
      const run = await c.runAppAsync({ command: COMMAND, shell: true });
      const code = await run.wait({ onOutput: (chunk) => (output += chunk) });
      const t = nowMs();
      if (code !== 0) throw new Error(`run exited ${code}`);
      return t - exitStamp(output);
    };
  } catch (e) {
    out.oursError = errorText(e);
  }
  try {
    await floor();
    if (ours) await ours();
    await interleavedRounds({ rounds: job.rounds, floor, ours, measure: (fn) => fn(), out });
    return out;
  } finally {
    await client?.close();
    raw.close();
  }
}

/** Runs B4 on Deno and Bun, then the npm `appmesh` peer. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const server = await serverOrTarget(o);
  try {
    const job: B4Job = {
      url: server.info.urls[0],
      caPem: server.info.caPem,
      rounds: o.smoke ? 1 : o.quick ? 6 : 20,
    };
    const med: Record<string, number> = {};
    const max: Record<string, number> = {};
    for (const rt of ["deno", "bun", "node"] as Runtime[]) {
      o.log(`B4: ${rt} (${job.rounds} runs each, ours + floor)`);
      try {
        const out = await runClient<B4Out>(rt, id, job);
        for (const who of ["floor", "ours"] as const) {
          if (!out[who].length) continue;
          result.series[`${rt}.${who}`] = summarize(out[who], "ms");
          med[`${rt}.${who}`] = median(out[who]);
          max[`${rt}.${who}`] = Math.max(...out[who]);
        }
        if (out.oursError) result.notes.push(`${rt}: our client not measured: ${out.oursError}`);
      } catch (e) {
        result.notes.push(`${rt}: not measured: ${errorText(e)}`);
      }
    }
    o.log("B4: peer appmesh_node (wait_for_async_run)");
    try {
      const rounds = await runNodePeer("b4", {
        url: job.url,
        caFile: server.info.caFile,
        app: "",
        calls: 0,
        warmup: 1,
        rounds: o.smoke ? 1 : o.quick ? 3 : 6,
      });
      result.series["appmesh_node"] = summarize(rounds, "ms");
      med.appmesh_node = median(rounds);
      result.notes.push(`peer appmesh_node ran on Node ${nodePeerVersion}`);
    } catch (e) {
      result.notes.push(`peer appmesh_node skipped: ${errorText(e)}`);
    }
    const f = result.figures;
    const v = (x: number | undefined) => (x === undefined ? null : round(x, 1));
    f.median_ms = v(med["deno.ours"]);
    f.max_ms = v(max["deno.ours"]);
    f.floor_median_ms = v(med["deno.floor"]);
    f.bun_median_ms = v(med["bun.ours"]);
    f.bun_max_ms = v(max["bun.ours"]);
    f.bun_floor_median_ms = v(med["bun.floor"]);
    f.node_median_ms = v(med["node.ours"]);
    f.node_max_ms = v(max["node.ours"]);
    f.node_floor_median_ms = v(med["node.floor"]);
    f.appmesh_node_median_ms = v(med.appmesh_node);
    for (const fig of ["median_ms", "bun_median_ms"]) {
      result.goals.push({ figure: fig, goal: "< 50", pass: f[fig] === null ? null : f[fig]! < 50 });
    }
    result.notes.push(
      `command: ${COMMAND}; latency = wall clock when wait() returns − the ns timestamp the ` +
        "process printed right before exiting (includes wait()'s DELETE of the run app).",
    );
  } finally {
    await server.close();
  }
  return result;
}
