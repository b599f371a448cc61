/**
 * B1: small calls one after another on one keep-alive connection — `getApp` and `listLabels`
 * alternating — as calls/s: ours ÷ raw fetch (the floor, also the server's share) and ours ÷
 * each peer (npm `appmesh` on Node, Python `requests`).
 *
 * Floor and ours run in the same child process, in interleaved rounds (alternating which goes
 * first), so drift of a shared machine hits both alike.
 *
 * @module
 */
import {
  type BenchOptions,
  type BenchResult,
  errorText,
  loadClient,
  loggedInClient,
  type OurClient,
  rawLogin,
  runClient,
  type Runtime,
  type ServerInfo,
  serverOrTarget,
  tlsFetch,
} from "./common.ts";
import { interleavedRounds } from "./interleave.ts";
import { nodePeerVersion, runNodePeer, runPythonPeer } from "./peers/setup.ts";
import { median, pairedRatio, ratio, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B1";
/** What it measures. */
export const title = "small calls (getApp, listLabels) one after another, keep-alive";

/** The app every small call reads (registered disabled: no process behind it). */
export const APP = "bench-app";

/** The job of the client side. */
export interface B1Job {
  /** Server base URL. */
  url: string;
  /** Server CA. */
  caPem: string;
  /** App name to read. */
  app: string;
  /** Calls per round. */
  calls: number;
  /** Measured rounds. */
  rounds: number;
  /** Calls before the first round (not measured). */
  warmup: number;
}

/** Calls/s per round of each contender. */
export interface B1Out {
  floor: number[];
  ours: number[];
  /** Why ours was not measured (the floor still is). */
  oursError?: string;
  /** µs per call with a canned in-process fetch (no network, no server): client cost alone. */
  overhead?: { floorUs: number; oursUs: number };
}

/**
 * The client's own cost per call, without network or server: ours and the floor's code both
 * over a `fetch` that answers at once with the bodies the server gave. Their difference is
 * what our client adds to every call.
 */
async function clientOverhead(job: B1Job, f: typeof fetch, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  const appBody = await (await f(`${job.url}/appmesh/app/${job.app}`, { headers })).text();
  const labelsBody = await (await f(`${job.url}/appmesh/labels`, { headers })).text();
  // With the Content-Length the servers send (the local server and the daemon alike): without
  // it our client takes its capped read loop, which these answers never meet.
  const length = (text: string) => String(new TextEncoder().encode(text).byteLength);
  const appHeaders = { "content-type": "application/json", "content-length": length(appBody) };
  const labelsHeaders = {
    "content-type": "application/json",
    "content-length": length(labelsBody),
  };
  const canned: typeof fetch = (input) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const labels = url.endsWith("/labels");
    return Promise.resolve(
      new Response(labels ? labelsBody : appBody, {
        status: 200,
        headers: labels ? labelsHeaders : appHeaders,
      }),
    );
  };
  const AppMeshClient = await loadClient();
  const client = new AppMeshClient({ baseUrl: job.url, fetch: canned, token });
  const floor = floorCalls(canned, job.url, token, job.app);
  const ours = ourCalls(client, job.app);
  const n = 5000;
  const us = async (call: (i: number) => Promise<void>) => 1e6 / await callsPerSecond(call, n);
  await us(floor);
  await us(ours);
  const floorUs: number[] = [];
  const oursUs: number[] = [];
  for (let r = 0; r < 5; r++) {
    floorUs.push(await us(floor));
    oursUs.push(await us(ours));
  }
  await client.close();
  return { floorUs: median(floorUs), oursUs: median(oursUs) };
}

/**
 * The same two requests as our client's `getApp` / `listLabels`, with raw fetch: the same
 * headers too (`Authorization: Bearer`, `User-Agent`; the client sends its token once, not also as
 * a cookie, see tests/client/request_headers_test.ts), so the server does the same work for both.
 */
export function floorCalls(f: typeof fetch, url: string, token: string, app: string) {
  const headers = { "authorization": `Bearer ${token}`, "user-agent": "appmesh/typescript" };
  const appUrl = `${url}/appmesh/app/${encodeURIComponent(app)}`;
  const labelsUrl = `${url}/appmesh/labels`;
  return async (i: number): Promise<void> => {
    const res = await f(i % 2 ? labelsUrl : appUrl, { headers });
    if (!res.ok) throw new Error(`floor call: ${res.status}`);
    await res.json();
  };
}

/** Our client's calls, the same mix. */
export function ourCalls(client: OurClient, app: string) {
  return async (i: number): Promise<void> => {
    if (i % 2) await client.listLabels();
    else await client.getApp(app);
  };
}

async function callsPerSecond(call: (i: number) => Promise<void>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call(i);
  return n / ((performance.now() - t0) / 1000);
}

/** Runs in the child (Deno or Bun): floor and ours, interleaved rounds. */
export async function clientSide(job: B1Job): Promise<B1Out> {
  const raw = tlsFetch(job.caPem);
  const token = await rawLogin(raw.fetch, job.url);
  const floor = floorCalls(raw.fetch, job.url, token, job.app);
  const out: B1Out = { floor: [], ours: [] };
  let client: OurClient | undefined;
  try {
    client = await loggedInClient(job.url, job.caPem);
  } catch (e) {
    out.oursError = errorText(e);
  }
  const ours = client && ourCalls(client, job.app);
  try {
    if (client) out.overhead = await clientOverhead(job, raw.fetch, token);
    // After the overhead pass the pooled connection sat idle for seconds: Node's fetch (undici)
    // may pick it just as the server closes it ("fetch failed"). One unmeasured call, retried
    // once, before the warm-up.
    await floor(0).catch(() => floor(0));
    await callsPerSecond(floor, job.warmup);
    if (ours) await callsPerSecond(ours, job.warmup);
    await interleavedRounds({
      rounds: job.rounds,
      floor,
      ours,
      measure: (call) => callsPerSecond(call, job.calls),
      out,
    });
    return out;
  } finally {
    await client?.close();
    raw.close();
  }
}

/** Registers the (disabled) app the small calls read, with raw fetch from this process. */
export async function seedApp(info: ServerInfo, name = APP): Promise<void> {
  const raw = tlsFetch(info.caPem);
  try {
    const token = await rawLogin(raw.fetch, info.urls[0]);
    const res = await raw.fetch(`${info.urls[0]}/appmesh/app/${name}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name, command: "sleep 60", status: 0 }),
    });
    if (!res.ok) throw new Error(`register ${name}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  } finally {
    raw.close();
  }
}

/** Deletes the app {@linkcode seedApp} registered (a daemon given with `--url` keeps no trace). */
export async function unseedApp(info: ServerInfo, name = APP): Promise<void> {
  const raw = tlsFetch(info.caPem);
  try {
    const token = await rawLogin(raw.fetch, info.urls[0]);
    const res = await raw.fetch(`${info.urls[0]}/appmesh/app/${name}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    });
    await res.body?.cancel();
  } finally {
    raw.close();
  }
}

/** Counts per mode. */
export function b1Counts(o: BenchOptions): { calls: number; rounds: number; warmup: number } {
  if (o.smoke) return { calls: 40, rounds: 1, warmup: 10 };
  if (o.quick) return { calls: 300, rounds: 6, warmup: 100 };
  return { calls: 1500, rounds: 10, warmup: 400 };
}

/** Runs B1: server, our client and the floor on Deno and Bun, then the peers. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const server = await serverOrTarget(o);
  try {
    await seedApp(server.info);
    const counts = b1Counts(o);
    const job: B1Job = {
      url: server.info.urls[0],
      caPem: server.info.caPem,
      app: APP,
      ...counts,
    };
    const medians: Record<string, number> = {};
    const paired: Record<string, number | null> = {};
    for (const rt of ["deno", "bun", "node"] as Runtime[]) {
      o.log(`B1: ${rt} (ours + floor, ${counts.rounds} rounds of ${counts.calls} calls)`);
      try {
        const out = await runClient<B1Out>(rt, id, job);
        result.series[`${rt}.floor`] = summarize(out.floor, "calls/s");
        medians[`${rt}.floor`] = result.series[`${rt}.floor`].median;
        if (out.oursError) result.notes.push(`${rt}: our client not measured: ${out.oursError}`);
        else {
          result.series[`${rt}.ours`] = summarize(out.ours, "calls/s");
          medians[`${rt}.ours`] = result.series[`${rt}.ours`].median;
          paired[rt] = pairedRatio(out.ours, out.floor);
          if (out.overhead) {
            const px = rt === "deno" ? "" : `${rt}_`;
            const extra = out.overhead.oursUs - out.overhead.floorUs;
            result.figures[`${px}client_overhead_us`] = round(extra, 1);
            // What that cost alone allows: the floor's time per call plus our extra.
            const floorUs = 1e6 / medians[`${rt}.floor`];
            result.figures[`${px}overhead_bound_vs_floor`] = round(floorUs / (floorUs + extra), 3);
          }
        }
      } catch (e) {
        result.notes.push(`${rt}: not measured: ${errorText(e)}`);
      }
    }
    const peerJob = { ...job, caFile: server.info.caFile };
    for (
      const [name, runPeer] of [
        ["appmesh_node", runNodePeer],
        ["python_requests", runPythonPeer],
      ] as const
    ) {
      o.log(`B1: peer ${name}`);
      try {
        const rounds = await runPeer("b1", peerJob);
        result.series[name] = summarize(rounds, "calls/s");
        medians[name] = result.series[name].median;
        if (name === "appmesh_node") {
          result.notes.push(`peer appmesh_node ran on Node ${nodePeerVersion}`);
        }
      } catch (e) {
        result.notes.push(`peer ${name} skipped: ${errorText(e)}`);
      }
    }
    const f = result.figures;
    // Ours and the floor ran interleaved in one process: the median of per-round ratios.
    f.vs_floor = paired.deno ?? null;
    f.bun_vs_floor = paired.bun ?? null;
    // Node: ours and raw fetch on Node, and ours on Node ÷ the official SDK, on Node as well.
    f.node_vs_floor = paired.node ?? null;
    f.node_vs_appmesh_node = ratio(medians["node.ours"], medians["appmesh_node"]);
    f.vs_appmesh_node = ratio(medians["deno.ours"], medians["appmesh_node"]);
    f.vs_python_requests = ratio(medians["deno.ours"], medians["python_requests"]);
    f.bun_vs_appmesh_node = ratio(medians["bun.ours"], medians["appmesh_node"]);
    f.bun_vs_python_requests = ratio(medians["bun.ours"], medians["python_requests"]);
    const atLeast = (fig: string, min: number) =>
      result.goals.push({
        figure: fig,
        goal: `>= ${min}`,
        pass: f[fig] === null || f[fig] === undefined ? null : f[fig]! >= min,
      });
    atLeast("vs_floor", 0.95);
    atLeast("bun_vs_floor", 0.95);
    for (const p of ["appmesh_node", "python_requests"]) {
      atLeast(`vs_${p}`, 1);
      atLeast(`bun_vs_${p}`, 1);
    }
    result.notes.push(
      "vs_floor / bun_vs_floor: median of per-round ratios (ours and the floor interleaved in " +
        "one process); vs_<peer>: ratio of medians (peers run in their own processes).",
    );
    result.notes.push(
      "client_overhead_us: µs our client adds per call over raw fetch with a canned in-process " +
        "fetch (no network, no server); overhead_bound_vs_floor: the ratio that cost alone allows.",
    );
    result.notes.push(
      "deno.floor / bun.floor are raw fetch doing the same calls: that is the server's share " +
        "(the most any client can reach against this server).",
    );
  } finally {
    if (o.target) await unseedApp(server.info).catch(() => {});
    await server.close();
  }
  return result;
}
