// The official JavaScript SDK (npm `appmesh`, axios on Node) as a peer:
// `node node_appmesh.mjs b1 '<job JSON>'` prints {"rounds": [calls/s, ...]} (B1's calls);
// `node node_appmesh.mjs b4 '<job JSON>'` prints {"rounds": [ms, ...]} (exit → wait returns).
// The package is installed by the bench under bench/results/peers/ (job.peersDir).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [kind, jobText] = process.argv.slice(2);
const job = JSON.parse(jobText);

try {
  const require = createRequire(join(job.peersDir, "package.json"));
  const { AppMeshClient } = await import(pathToFileURL(require.resolve("appmesh")).href);
  const client = new AppMeshClient(job.url, {
    ca: readFileSync(job.caFile),
    rejectUnauthorized: true,
  });
  await client.login(
    process.env.APPMESH_BENCH_USER || "admin",
    process.env.APPMESH_BENCH_PASSWORD || "admin123",
  );
  if (kind === "b4") {
    // Same command as B4: it prints its exit time (ns since the epoch) right before exiting.
    const once = async () => {
      let output = "";
      const run = await client.run_app_async({ command: "sleep 0.2; date +%s%N", shell: true });
      const code = await client.wait_for_async_run(run, (o) => (output += o));
      const t = performance.timeOrigin + performance.now();
      if (code !== 0) throw new Error(`run exited ${code}`);
      return t - Number(BigInt(output.trim().split("\n").pop()) / 1000n) / 1000;
    };
    for (let i = 0; i < job.warmup; i++) await once();
    const rounds = [];
    for (let r = 0; r < job.rounds; r++) rounds.push(await once());
    console.log(JSON.stringify({ rounds, node: process.version }));
    process.exit(0);
  }
  if (kind !== "b1") throw new Error(`unknown kind ${kind}`);
  const call = (i) => (i % 2 ? client.list_labels() : client.get_app(job.app));
  const round = async (n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await call(i);
    return n / ((performance.now() - t0) / 1000);
  };
  await round(job.warmup);
  const rounds = [];
  for (let r = 0; r < job.rounds; r++) rounds.push(await round(job.calls));
  console.log(JSON.stringify({ rounds, node: process.version }));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  process.exit(1);
}
