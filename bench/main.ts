/**
 * The benchmark suite: `deno task bench [--quick] [--only B1,B3] [--out FILE]`.
 *
 * Runs B1–B7 of shared/docs/benchmarks.md against the local server on loopback, each side by
 * side in one run (ours, raw fetch, the peers), prints a table and writes
 * bench/results/latest.json. `--quick`: every benchmark, fewer rounds and smaller files.
 * `--smoke`: tiny counts (the test suite's smoke test).
 *
 * `--url URL --ca FILE [--user U --password-stdin]`: B1, B2 and B4 (the default selection then)
 * against that daemon instead of the local server, the floor and the peers too; e.g. a real
 * App Mesh daemon (shared/tools/real-daemon). Its figures are the same keys; `target` in the
 * JSON names the daemon.
 *
 * `--daemon URL --daemon-ca FILE [--user U --password-stdin]`: both in one run, one report: the
 * selected benchmarks against the local server, then those of B1, B2 and B4 among them again
 * against that daemon, reported as `B1@daemon` (and so on), with `daemon` in the JSON naming it.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import process from "node:process";
import {
  type Benchmark,
  type BenchResult,
  type BenchTarget,
  errorText,
  RESULTS_DIR,
  ROOT,
} from "./common.ts";
import {
  type BenchReport,
  formatTable,
  gitCommit,
  machineInfo,
  runtimeVersions,
  SERVER_NOTE,
  targetNote,
  writeReport,
} from "./report.ts";

/** Every benchmark, in order (loaded when selected). */
const ALL: Record<string, () => Promise<Benchmark>> = {
  B1: () => import("./b1_small_calls.ts"),
  B2: () => import("./b2_concurrency.ts"),
  B3: () => import("./b3_files.ts"),
  B4: () => import("./b4_wait.ts"),
  B5: () => import("./b5_workflow.ts"),
  B6: () => import("./b6_cold_start.ts"),
  B7: () => import("./b7_fleet.ts"),
};

/** The benchmarks that can run against any daemon (`--url`). */
const ON_ANY_DAEMON = ["B1", "B2", "B4"];

const USAGE = "usage: deno task bench [--quick] [--only B1,B3] [--out FILE]\n" +
  "       deno task bench --url URL --ca FILE [--user U --password-stdin] [--quick] [--only B1]\n" +
  "       deno task bench --daemon URL --daemon-ca FILE [--user U --password-stdin] [--quick]";

interface Args {
  quick: boolean;
  smoke: boolean;
  only: string[];
  out: string;
  target?: BenchTarget;
  /** `--daemon`: B1, B2, B4 also against this daemon, after the local server's run. */
  daemon?: BenchTarget;
  user?: string;
  passwordStdin: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    smoke: false,
    only: Object.keys(ALL),
    out: join(RESULTS_DIR, "latest.json"),
    passwordStdin: false,
  };
  let url: string | undefined;
  let ca: string | undefined;
  let daemon: string | undefined;
  let daemonCa: string | undefined;
  let only = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--url" || a.startsWith("--url=")) url = value();
    else if (a === "--ca" || a.startsWith("--ca=")) ca = value();
    else if (a === "--daemon" || a.startsWith("--daemon=")) daemon = value();
    else if (a === "--daemon-ca" || a.startsWith("--daemon-ca=")) daemonCa = value();
    else if (a === "--user" || a.startsWith("--user=")) args.user = value();
    else if (a === "--password-stdin") args.passwordStdin = true;
    else if (a === "--quick") args.quick = true;
    else if (a === "--smoke") args.smoke = args.quick = true;
    else if (a.startsWith("--only")) {
      only = true;
      args.only = value().split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
      for (const id of args.only) {
        if (!ALL[id]) throw new Error(`unknown benchmark ${id} (known: ${Object.keys(ALL)})`);
      }
    } else if (a.startsWith("--out")) args.out = value();
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (daemon !== undefined) {
    if (url !== undefined) throw new Error("--daemon or --url, not both");
    if (!daemonCa) throw new Error("--daemon needs --daemon-ca FILE");
    args.daemon = { url: daemon, caFile: daemonCa };
  } else if (daemonCa) throw new Error("--daemon-ca goes with --daemon");
  if (url !== undefined) {
    if (!ca) throw new Error(`--url needs --ca FILE (the CA that signed the daemon's certificate)`);
    args.target = { url, caFile: ca };
    if (!only) args.only = ON_ANY_DAEMON;
    const other = args.only.filter((id) => !ON_ANY_DAEMON.includes(id));
    if (other.length) throw new Error(`${other} run only against the local server, not --url`);
  } else if (ca || (!args.daemon && (args.user || args.passwordStdin))) {
    throw new Error("--ca goes with --url; --user and --password-stdin with --url or --daemon");
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  // The credentials reach every client process (ours, the floor, the peers) by environment.
  if (args.user) process.env.APPMESH_BENCH_USER = args.user;
  if (args.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    process.env.APPMESH_BENCH_PASSWORD = Buffer.concat(chunks).toString("utf8").replace(
      /\r?\n$/,
      "",
    );
  }
  const started = new Date();
  const t0 = performance.now();
  const log = (msg: string) => {
    const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${s}s] ${msg}\n`);
  };
  const mode = args.smoke ? "smoke" : args.quick ? "quick" : "full";
  log(`mode ${mode}: ${args.only.join(", ")}${args.target ? ` against ${args.target.url}` : ""}`);
  const benchmarks: BenchResult[] = [];
  let crashed = false;
  const runOne = async (id: string, target: BenchTarget | undefined, suffix = "") => {
    const bench = await ALL[id]();
    const title = suffix ? `${bench.title} — against the daemon at ${target!.url}` : bench.title;
    log(`${id}${suffix}: ${title}`);
    try {
      const r = await bench.run({ quick: args.quick, smoke: args.smoke, log, target });
      benchmarks.push(suffix ? { ...r, id: `${id}${suffix}`, title } : r);
    } catch (e) {
      crashed = true;
      log(`${id}${suffix} failed: ${errorText(e)}`);
      benchmarks.push({
        id: `${id}${suffix}`,
        title,
        figures: {},
        series: {},
        goals: [],
        notes: [`failed: ${errorText(e)}`],
      });
    }
  };
  for (const id of args.only) {
    // Each benchmark starts with the disk's writeback done: B3 leaves gigabytes of dirty pages,
    // and B5's fsyncs would otherwise wait behind them.
    spawnSync("sync");
    await runOne(id, args.target);
  }
  if (args.daemon) {
    for (const id of args.only.filter((id) => ON_ANY_DAEMON.includes(id))) {
      await runOne(id, args.daemon, "@daemon");
    }
  }
  const report: BenchReport = {
    benchmarks,
    machine: machineInfo(),
    runtimes: await runtimeVersions(),
    mode,
    command: `deno task bench ${process.argv.slice(2).join(" ")}`.trim(),
    target: args.target?.url ?? null,
    ...(args.daemon ? { daemon: args.daemon.url } : {}),
    started: started.toISOString(),
    commit: await gitCommit(ROOT),
    note: args.target
      ? targetNote(args.target.url)
      : args.daemon
      ? `${SERVER_NOTE} ${targetNote(args.daemon.url)} (the @daemon rows)`
      : SERVER_NOTE,
  };
  await writeReport(args.out, report);
  process.stdout.write(formatTable(report));
  log(`wrote ${args.out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return crashed ? 1 : 0;
}

process.exit(await main());
