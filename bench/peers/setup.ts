/**
 * The peers: the official JavaScript SDK (npm `appmesh`, on Node), installed by the bench
 * into bench/results/peers/ (git-ignored), and Python `requests` (Debian `python3-requests`,
 * installed with apt-get when missing and possible). Each runs the same calls as ours in a
 * child process and prints its rounds as JSON.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  BENCH_DIR,
  errorText,
  nodeCommand,
  RESULTS_DIR,
  runJson,
  runProcess,
  which,
} from "../common.ts";

/** Where npm installs the peer. */
export const PEERS_DIR: string = join(RESULTS_DIR, "peers");
/** The npm package of the official JavaScript SDK, pinned to a major version. */
export const NODE_PEER = "appmesh@^1.2.0";

let nodeReady: Promise<[string, string[]]> | undefined;
let pythonReady: Promise<string> | undefined;

/**
 * Installs npm `appmesh` under bench/results/peers/ once; resolves to the Node command that runs
 * it: Node 22 from npm, the same Node our client is measured on (see `nodeCommand`).
 */
export function ensureNodePeer(): Promise<[string, string[]]> {
  return nodeReady ??= (async () => {
    if (!existsSync(join(PEERS_DIR, "node_modules", "appmesh", "package.json"))) {
      const npm = which("npm");
      if (!npm) throw new Error("npm is not on PATH");
      const r = await runProcess(npm, [
        "install",
        "--prefix",
        PEERS_DIR,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        NODE_PEER,
      ], { timeoutMs: 180_000 });
      if (r.code !== 0) {
        throw new Error(`npm install ${NODE_PEER} failed: ${r.stderr.trim().slice(-300)}`);
      }
    }
    return nodeCommand();
  })();
}

async function hasRequests(python: string): Promise<boolean> {
  return (await runProcess(python, ["-c", "import requests"])).code === 0;
}

/**
 * python3 with `requests`; installs `python3-requests` with apt-get when it is missing and we
 * are root, else rejects with the reason.
 */
export function ensurePythonPeer(): Promise<string> {
  return pythonReady ??= (async () => {
    const python = which("python3");
    if (!python) throw new Error("python3 is not on PATH");
    if (await hasRequests(python)) return python;
    const apt = which("apt-get");
    if (!apt || process.getuid?.() !== 0) {
      throw new Error("Python requests is missing and apt-get (as root) is not available");
    }
    process.stderr.write("installing python3-requests with apt-get...\n");
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    let r = await runProcess(apt, ["install", "-y", "-q", "python3-requests"], { env });
    if (r.code !== 0) {
      await runProcess(apt, ["update", "-q"], { env, timeoutMs: 300_000 });
      r = await runProcess(apt, ["install", "-y", "-q", "python3-requests"], { env });
    }
    if (r.code !== 0 || !await hasRequests(python)) {
      throw new Error(`apt-get install python3-requests failed: ${r.stderr.trim().slice(-300)}`);
    }
    return python;
  })();
}

/** What a peer's job carries (the B1 job plus the CA file). */
export interface PeerJob {
  url: string;
  caFile: string;
  app: string;
  calls: number;
  rounds: number;
  warmup: number;
}

/** The Node version the official SDK peer last ran on (`process.version`, e.g. "v22.11.0"). */
export let nodePeerVersion: string | undefined;

/** Runs npm `appmesh` on Node for a benchmark kind; resolves to its rounds. */
export async function runNodePeer(kind: string, job: PeerJob): Promise<number[]> {
  const [node, pre] = await ensureNodePeer();
  const script = join(BENCH_DIR, "peers", "node_appmesh.mjs");
  const out = await runJson<{ rounds: number[]; node?: string }>(node, [
    ...pre,
    script,
    kind,
    JSON.stringify({ ...job, peersDir: PEERS_DIR }),
  ]).catch((e) => {
    throw new Error(errorText(e));
  });
  nodePeerVersion = out.node;
  return out.rounds;
}

/** Runs Python `requests` for a benchmark kind; resolves to its rounds. */
export async function runPythonPeer(kind: string, job: PeerJob): Promise<number[]> {
  const python = await ensurePythonPeer();
  const script = join(BENCH_DIR, "peers", "python_requests.py");
  const out = await runJson<{ rounds: number[] }>(python, [script, kind, JSON.stringify(job)]);
  return out.rounds;
}
