/**
 * B2: 64 concurrent callers on one client (one TLS client for the floor), the B1 mix of calls:
 * calls/s ÷ raw fetch at the same concurrency, and p99 latency.
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
import { APP, floorCalls, ourCalls, seedApp, unseedApp } from "./b1_small_calls.ts";
import { interleavedRounds } from "./interleave.ts";
import { median, pairedRatio, percentile, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B2";
/** What it measures. */
export const title = "64 concurrent callers on one client (getApp, listLabels)";

/** The job of the client side. */
export interface B2Job {
  url: string;
  caPem: string;
  app: string;
  /** Concurrent callers. */
  concurrency: number;
  /** Calls per caller per round. */
  perCaller: number;
  rounds: number;
}

/** One round: throughput and latency percentile. */
interface Round {
  callsPerSec: number;
  p99: number;
  p50: number;
}

/** Per contender, the rounds. */
export interface B2Out {
  floor: Round[];
  ours: Round[];
  oursError?: string;
}

async function concurrentRound(
  call: (i: number) => Promise<void>,
  concurrency: number,
  perCaller: number,
): Promise<Round> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let k = 0; k < perCaller; k++) {
      const s = performance.now();
      await call(w + k);
      latencies.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return {
    callsPerSec: latencies.length / seconds,
    p99: percentile(latencies, 99),
    p50: percentile(latencies, 50),
  };
}

/** Runs in the child: floor and ours, interleaved rounds, same concurrency. */
export async function clientSide(job: B2Job): Promise<B2Out> {
  const raw = tlsFetch(job.caPem);
  const token = await rawLogin(raw.fetch, job.url);
  const floor = floorCalls(raw.fetch, job.url, token, job.app);
  const out: B2Out = { floor: [], ours: [] };
  let client: OurClient | undefined;
  try {
    client = await loggedInClient(job.url, job.caPem);
  } catch (e) {
    out.oursError = errorText(e);
  }
  const ours = client && ourCalls(client, job.app);
  try {
    // Warm-up opens the pool's connections (one per concurrent caller over HTTP/1.1).
    await concurrentRound(floor, job.concurrency, 3);
    if (ours) await concurrentRound(ours, job.concurrency, 3);
    await interleavedRounds({
      rounds: job.rounds,
      floor,
      ours,
      measure: (call) => concurrentRound(call, job.concurrency, job.perCaller),
      out,
    });
    return out;
  } finally {
    await client?.close();
    raw.close();
  }
}

/** Runs B2 on Deno and Bun. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const server = await serverOrTarget(o);
  try {
    await seedApp(server.info);
    const job: B2Job = {
      url: server.info.urls[0],
      caPem: server.info.caPem,
      app: APP,
      concurrency: 64,
      perCaller: o.smoke ? 2 : o.quick ? 10 : 40,
      rounds: o.smoke ? 1 : o.quick ? 4 : 8,
    };
    const med: Record<string, number> = {};
    const paired: Record<string, number | null> = {};
    for (const rt of ["deno", "bun"] as Runtime[]) {
      o.log(`B2: ${rt} (${job.rounds} rounds of ${job.concurrency}×${job.perCaller} calls)`);
      try {
        const out = await runClient<B2Out>(rt, id, job);
        for (const who of ["floor", "ours"] as const) {
          if (out[who].length === 0) continue;
          const s = summarize(out[who].map((r) => r.callsPerSec), "calls/s");
          result.series[`${rt}.${who}`] = s;
          result.series[`${rt}.${who}.p99`] = summarize(out[who].map((r) => r.p99), "ms");
          med[`${rt}.${who}`] = s.median;
          med[`${rt}.${who}.p99`] = median(out[who].map((r) => r.p99));
        }
        paired[rt] = pairedRatio(
          out.ours.map((r) => r.callsPerSec),
          out.floor.map((r) => r.callsPerSec),
        );
        if (out.oursError) result.notes.push(`${rt}: our client not measured: ${out.oursError}`);
      } catch (e) {
        result.notes.push(`${rt}: not measured: ${errorText(e)}`);
      }
    }
    const f = result.figures;
    const ms = (k: string) => (med[k] === undefined ? null : round(med[k], 2));
    // Interleaved rounds in one process: the median of per-round ratios.
    f.vs_floor = paired.deno ?? null;
    f.p99_ms = ms("deno.ours.p99");
    f.floor_p99_ms = ms("deno.floor.p99");
    f.bun_vs_floor = paired.bun ?? null;
    f.bun_p99_ms = ms("bun.ours.p99");
    f.bun_floor_p99_ms = ms("bun.floor.p99");
    result.notes.push(
      "vs_floor: median of per-round ratios (interleaved in one process, one TLS client each, " +
        "64 callers); p99 over each round's calls, median over rounds.",
    );
    for (const fig of ["vs_floor", "bun_vs_floor"]) {
      result.goals.push({
        figure: fig,
        goal: ">= 0.9",
        pass: f[fig] === null ? null : f[fig]! >= 0.9,
      });
    }
  } finally {
    if (o.target) await unseedApp(server.info).catch(() => {});
    await server.close();
  }
  return result;
}
