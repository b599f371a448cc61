/**
 * B3: download and upload of a big file (1 GiB; 256 MiB with --quick): MB/s ÷ raw fetch, and
 * the client process's RSS growth, which must stay under 64 MiB and flat in the file size
 * (compared between a 256 MiB and a 1 GiB transfer; 64 and 256 MiB with --quick).
 *
 * Every transfer runs in a fresh child process: it warms up on a 1 MiB file, notes its RSS,
 * resets the kernel's peak-RSS mark (/proc/self/clear_refs), transfers, and reports the peak;
 * the bench also samples the child's VmRSS from /proc every 20 ms. The floor is the runtime's
 * own idiom: Deno `FsFile.readable`/`writable`, Bun `Bun.file().stream()`/`Bun.write`.
 * Downloads have a second, durable floor as `downloadFile` is durable: the same into a temporary
 * file beside the target, fsync, rename (`download_vs_durable_floor`, beside the non-durable
 * `download_vs_floor`).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BenchOptions,
  type BenchResult,
  errorText,
  loggedInClient,
  rawLogin,
  rssBytes,
  runClient,
  type Runtime,
  startServer,
  tlsFetch,
} from "./common.ts";
import { fileStream, multipartBody, writeBody, writeBodyDurable } from "./file_io.ts";
import { ratio, round, summarize } from "./stats.ts";

/** Benchmark id. */
export const id = "B3";
/** What it measures. */
export const title = "download and upload of a big file: MB/s ÷ raw fetch, client RSS growth";

const MiB = 2 ** 20;

/** Who transfers. */
type Who = "floor" | "floor_durable" | "ours" | "ours_stream";
type Direction = "download" | "upload";

/** The job of one child. */
export interface B3Job {
  url: string;
  caPem: string;
  who: Who;
  direction: Direction;
  /** Download: the server's file; upload: the target (must not exist). */
  remote: string;
  /** Download: where to write; upload: the file to send. */
  local: string;
  /** A 1 MiB file for the warm-up. */
  warmFile: string;
  /** Scratch folder for warm-up outputs. */
  scratch: string;
}

/** One transfer's outcome. */
export interface B3Out {
  seconds: number;
  bytes: number;
  /** RSS after the warm-up, before the transfer. */
  baseline: number;
  /** Kernel peak RSS during the transfer (NaN if it could not be reset/read). */
  peak: number;
}

function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

type Transfer = (remote: string, local: string) => Promise<void>;

async function floorTransfers(job: B3Job) {
  const raw = tlsFetch(job.caPem);
  const token = await rawLogin(raw.fetch, job.url);
  const base = { "authorization": `Bearer ${token}`, "user-agent": "appmesh/typescript" };
  const download: Transfer = async (remote, local) => {
    const res = await raw.fetch(`${job.url}/appmesh/file/download`, {
      headers: { ...base, "x-file-path": encodeURIComponent(remote) },
    });
    if (!res.ok) throw new Error(`floor download: ${res.status} ${await res.text()}`);
    if (job.who === "floor_durable") await writeBodyDurable(local, res);
    else await writeBody(local, res);
  };
  const upload: Transfer = async (remote, local) => {
    const name = remote.split("/").pop()!;
    const form = multipartBody(name, await fileStream(local));
    const res = await raw.fetch(`${job.url}/appmesh/file/upload`, {
      method: "POST",
      headers: {
        ...base,
        "content-type": form.contentType,
        "x-file-path": encodeURIComponent(remote),
        "x-file-mode": "420",
      },
      body: form.body,
      duplex: "half",
    } as RequestInit);
    if (!res.ok) throw new Error(`floor upload: ${res.status} ${await res.text()}`);
    await res.text();
  };
  return { download, upload, close: () => raw.close() };
}

async function ourTransfers(job: B3Job) {
  const client = await loggedInClient(job.url, job.caPem);
  const download: Transfer = job.who === "ours_stream"
    ? async (remote, local) => await writeBody(local, await client.download(remote))
    : async (remote, local) => void await client.downloadFile(remote, local);
  const upload: Transfer = (remote, local) => client.uploadFile(local, remote);
  return { download, upload, close: () => client.close() };
}

/** Runs in a fresh child: warm up, note RSS, transfer once, report time and peak RSS. */
export async function clientSide(job: B3Job): Promise<B3Out> {
  const t = job.who.startsWith("floor") ? await floorTransfers(job) : await ourTransfers(job);
  try {
    const warmTarget = join(job.scratch, `warm-${crypto.randomUUID()}`);
    if (job.direction === "download") await t.download(job.warmFile, warmTarget);
    else await t.upload(warmTarget, job.warmFile);
    await rm(warmTarget, { force: true });
    const baseline = rssBytes();
    const canPeak = resetPeak();
    const t0 = performance.now();
    if (job.direction === "download") await t.download(job.remote, job.local);
    else await t.upload(job.remote, job.local);
    const seconds = (performance.now() - t0) / 1000;
    const peak = canPeak ? peakRss() : NaN;
    const bytes = (await stat(job.direction === "download" ? job.local : job.remote)).size;
    return { seconds, bytes, baseline, peak };
  } finally {
    await t.close();
  }
}

/** Writes a file of `size` bytes of random-looking data (1 MiB block repeated). */
async function makeFile(path: string, size: number): Promise<void> {
  const block = new Uint8Array(MiB);
  for (let i = 0; i < MiB; i += 65536) crypto.getRandomValues(block.subarray(i, i + 65536));
  const fh = await open(path, "w");
  try {
    for (let done = 0; done < size; done += MiB) {
      await fh.write(block, 0, Math.min(MiB, size - done));
    }
  } finally {
    await fh.close();
  }
}

/** One transfer as the bench sees it. */
interface Measured {
  mbps: number;
  growthMiB: number;
}

/** Runs B3 on Deno and Bun. */
export async function run(o: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { id, title, figures: {}, series: {}, goals: [], notes: [] };
  const big = o.smoke ? 8 * MiB : o.quick ? 256 * MiB : 1024 * MiB;
  const small = big / 4;
  const rounds = o.smoke ? 1 : o.quick ? 2 : 3;
  const dir = await mkdtemp(join(tmpdir(), "appmesh-bench-b3-"));
  const server = await startServer();
  try {
    const files = {
      big: join(dir, "big.bin"),
      small: join(dir, "small.bin"),
      warm: join(dir, "warm.bin"),
    };
    o.log(`B3: writing ${big / MiB} MiB and ${small / MiB} MiB test files`);
    await makeFile(files.big, big);
    await makeFile(files.small, small);
    await makeFile(files.warm, MiB);

    let n = 0;
    const once = async (rt: Runtime, who: Who, direction: Direction, src: string) => {
      const target = join(dir, `out-${n++}.bin`);
      const job: B3Job = {
        url: server.info.urls[0],
        caPem: server.info.caPem,
        who,
        direction,
        remote: direction === "download" ? src : target,
        local: direction === "download" ? target : src,
        warmFile: files.warm,
        scratch: dir,
      };
      let sampled = 0;
      let timer: ReturnType<typeof setInterval> | undefined;
      try {
        const out = await runClient<B3Out>(rt, id, job, {
          onSpawn: (pid) => {
            timer = setInterval(() => {
              const r = rssBytes(pid);
              if (r > sampled) sampled = r;
            }, 20);
          },
        });
        const expected = (await stat(src)).size;
        if (out.bytes !== expected) {
          throw new Error(`${who} ${direction}: ${out.bytes} bytes arrived, ${expected} sent`);
        }
        const peak = Math.max(Number.isFinite(out.peak) ? out.peak : 0, sampled);
        return {
          mbps: out.bytes / 1e6 / out.seconds,
          growthMiB: (peak - out.baseline) / MiB,
        } satisfies Measured;
      } finally {
        clearInterval(timer);
        await rm(target, { force: true });
      }
    };

    for (const rt of ["deno", "bun"] as Runtime[]) {
      const px = rt === "deno" ? "" : "bun_";
      try {
        for (const direction of ["download", "upload"] as Direction[]) {
          const whos: Who[] = direction === "download"
            ? ["floor", "floor_durable", "ours", "ours_stream"]
            : ["floor", "ours"];
          const got: Record<string, Measured[]> = {};
          const failed = new Set<Who>();
          const tryOnce = async (who: Who, src: string): Promise<Measured | undefined> => {
            if (failed.has(who)) return undefined;
            try {
              return await once(rt, who, direction, src);
            } catch (e) {
              failed.add(who);
              result.notes.push(`${rt} ${direction} ${who}: not measured: ${errorText(e)}`);
              return undefined;
            }
          };
          o.log(`B3: ${rt} ${direction} ${big / MiB} MiB × ${rounds} rounds (${whos.join(", ")})`);
          for (let r = 0; r < rounds; r++) {
            const order = r % 2 ? [...whos].reverse() : whos;
            for (const who of order) {
              const m = await tryOnce(who, files.big);
              if (m) (got[who] ??= []).push(m);
            }
          }
          for (const who of whos) {
            if (!got[who]) continue;
            result.series[`${rt}.${direction}.${who}`] = summarize(
              got[who].map((m) => m.mbps),
              "MB/s",
            );
            result.series[`${rt}.${direction}.${who}.rss_growth`] = summarize(
              got[who].map((m) => m.growthMiB),
              "MiB",
            );
          }
          const med = (who: Who) => result.series[`${rt}.${direction}.${who}`]?.median;
          const maxGrowth = (who: Who) =>
            got[who] ? round(Math.max(...got[who].map((m) => m.growthMiB)), 1) : null;
          result.figures[`${px}${direction}_vs_floor`] = ratio(med("ours"), med("floor"));
          if (direction === "download") {
            result.figures[`${px}download_stream_vs_floor`] = ratio(
              med("ours_stream"),
              med("floor"),
            );
            result.figures[`${px}download_vs_durable_floor`] = ratio(
              med("ours"),
              med("floor_durable"),
            );
          }
          // Flatness: the same transfer at a quarter of the size.
          o.log(`B3: ${rt} ${direction} ${small / MiB} MiB (flatness)`);
          const smallOurs = await tryOnce("ours", files.small);
          const smallFloor = await tryOnce("floor", files.small);
          result.figures[`${px}${direction}_rss_growth_mib`] = maxGrowth("ours");
          result.figures[`${px}${direction}_rss_growth_small_mib`] = smallOurs
            ? round(smallOurs.growthMiB, 1)
            : null;
          result.figures[`${px}${direction}_floor_rss_growth_mib`] = maxGrowth("floor");
          result.figures[`${px}${direction}_floor_rss_growth_small_mib`] = smallFloor
            ? round(smallFloor.growthMiB, 1)
            : null;
        }
        const g = (k: string) => result.figures[`${px}${k}`] ?? NaN;
        const finite = (x: number) => (Number.isFinite(x) ? round(x, 1) : null);
        result.figures[`${px}rss_growth_mib`] = finite(
          Math.max(g("download_rss_growth_mib"), g("upload_rss_growth_mib")),
        );
        // Growth from the small to the big file: flat means it does not scale with the size.
        result.figures[`${px}rss_growth_delta_mib`] = finite(
          Math.max(
            g("download_rss_growth_mib") - g("download_rss_growth_small_mib"),
            g("upload_rss_growth_mib") - g("upload_rss_growth_small_mib"),
          ),
        );
      } catch (e) {
        result.notes.push(`${rt}: not measured: ${errorText(e)}`);
      }
      const f = result.figures;
      const goal = (fig: string, text: string, ok: (v: number) => boolean) =>
        result.goals.push({
          figure: fig,
          goal: text,
          pass: f[fig] === null || f[fig] === undefined || Number.isNaN(f[fig])
            ? null
            : ok(f[fig]!),
        });
      goal(`${px}download_vs_floor`, ">= 0.9", (v) => v >= 0.9);
      goal(`${px}download_vs_durable_floor`, ">= 0.9", (v) => v >= 0.9);
      goal(`${px}upload_vs_floor`, ">= 0.9", (v) => v >= 0.9);
      goal(`${px}rss_growth_mib`, "< 64", (v) => v < 64);
      goal(`${px}rss_growth_delta_mib`, "< 16 (flat)", (v) => v < 16);
    }
    result.notes.push(
      `sizes: ${big / MiB} MiB (throughput, ${rounds} rounds) and ${small / MiB} MiB (flatness); ` +
        "ours = downloadFile/uploadFile (temp file + fsync + rename, attributes), ours_stream = " +
        "download() into the floor's file writer; floor_durable = raw fetch into a temp file, " +
        "fsync, rename (download_vs_durable_floor; download_vs_floor is the non-durable ratio); " +
        "RSS growth = peak RSS during the transfer − " +
        "RSS after warm-up, in the client's process.",
    );
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}
