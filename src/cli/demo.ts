/**
 * `deno task demo`: the workflow runner end to end in well under a minute.
 *
 * Unless `APPMESH_URL` is set, it starts a 3-node local server (state in a temp folder),
 * runs `workflows/demo.yaml` across the three nodes through the real `appmesh workflow run`
 * (login, add_app, run_async, wait with streamed output, download_file, delete_app), shows
 * the summary and the downloaded files, runs it again to show the session reused from the
 * cookie file, and stops the server.
 *
 * With `APPMESH_URL` set it runs against that server instead (`APPMESH_CA`,
 * `APPMESH_USER`/`APPMESH_PASSWORD`, and `APPMESH_NODES`, a comma-separated node list).
 * `APPMESH_DEMO_DIR` chooses where the cookie file and the downloads go (and keeps them);
 * otherwise they go to a temporary folder that is removed at the end, like the server's.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { main } from "./main.ts";
import { style, useColor } from "./context.ts";
import { formatBytes } from "./output/format.ts";
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envVar, setEnvVar } from "../runtime/env.ts";
import { rm } from "node:fs/promises";
import { readText } from "../runtime/fs.ts";
import { exitProcess } from "../runtime/process.ts";

const st = style(useColor("stdout"));
const workflow = fileURLToPath(new URL("../../workflows/demo.yaml", import.meta.url));

function say(text: string): void {
  console.log(`\n${st.bold(`== ${text}`)}`);
}

interface Target {
  url: string;
  ca?: string;
  nodes: string[];
  close(): Promise<void>;
}

async function localServer(stateDir: string): Promise<Target> {
  const { startDevServer } = await import("../devserver/mod.ts");
  const server = await startDevServer({ nodes: 3, stateDir });
  console.log(`3 nodes: ${server.urls.join("  ")}`);
  console.log(`CA: ${server.caFile}`);
  return {
    url: server.urls[0],
    ca: server.caFile,
    nodes: server.nodes.map((n) => n.name),
    close: () => server.close(),
  };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isFile()) out.push(`${dir}/${e.name}`);
    }
  } catch {
    // Nothing downloaded.
  }
  return out.sort();
}

async function readReport(path: string): Promise<{ session?: { login?: string } }> {
  try {
    return JSON.parse(await readText(path));
  } catch {
    return {};
  }
}

async function demo(): Promise<number> {
  const external = envVar("APPMESH_URL");
  const given = envVar("APPMESH_DEMO_DIR");
  const dir = given ?? await mkdtemp(join(tmpdir(), "appmesh-demo-"));
  const out = `${dir}/downloads`;
  const cookieFile = `${dir}/cookies.txt`;
  const stateDir = await mkdtemp(join(tmpdir(), "appmesh-demo-state-"));

  say(external ? `Using ${external}` : "Starting a 3-node local App Mesh server");
  let target: Target;
  if (external) {
    const nodes = (envVar("APPMESH_NODES") ?? "").split(",").map((s) => s.trim())
      .filter(Boolean);
    target = {
      url: external,
      ca: envVar("APPMESH_CA"),
      nodes,
      close: () => Promise.resolve(),
    };
  } else {
    target = await localServer(stateDir);
    // The demo logs in with the local server's default admin; the workflow reads the password
    // as a secret from the environment (secrets.APPMESH_PASSWORD), never from the file.
    setEnvVar("APPMESH_USER", "admin");
    setEnvVar("APPMESH_PASSWORD", "admin123");
  }
  try {
    const args = (report: string) => [
      "workflow",
      "run",
      workflow,
      "--url",
      target.url,
      ...(target.ca ? ["--ca", target.ca] : []),
      "--cookie-file",
      cookieFile,
      ...target.nodes.flatMap((n) => ["--node", n]),
      "--input",
      `out_dir=${out}`,
      "--report",
      report,
    ];

    say(`Run 1: appmesh workflow run workflows/demo.yaml on ${target.nodes.length || 1} node(s)`);
    const first = await main(args(`${dir}/report-1.json`));
    if (first !== 0) {
      console.error(`demo: the first run failed (exit ${first})`);
      return first;
    }
    const r1 = await readReport(`${dir}/report-1.json`);

    say("Downloaded files");
    const got = await files(out);
    for (const f of got) console.log(`  ${f}  (${formatBytes((await stat(f)).size)})`);
    if (got[0]) {
      console.log(st.dim(`\n  ${got[0]}:`));
      const text = await readText(got[0]);
      for (const l of text.trimEnd().split("\n")) console.log(st.dim(`  | ${l}`));
    }

    say("Run 2: the same workflow again, no password needed");
    const second = await main(args(`${dir}/report-2.json`));
    const r2 = await readReport(`${dir}/report-2.json`);

    say("What happened");
    console.log(`  run 1: login ${r1.session?.login ?? "?"} (password sent once)`);
    console.log(
      `  run 2: login ${r2.session?.login ?? "?"}${
        r2.session?.login === "reused" ? " (session reused from the cookie file)" : ""
      }`,
    );
    console.log(`  cookie file:   ${cookieFile}`);
    console.log(`  downloads:     ${out}/`);
    console.log(`  reports:       ${dir}/report-1.json, ${dir}/report-2.json`);
    if (!given) {
      console.log(st.dim("  (a temporary folder, removed now; set APPMESH_DEMO_DIR to keep them)"));
    }
    if (second !== 0) {
      console.error(`demo: the second run failed (exit ${second})`);
      return second;
    }
    if (r2.session?.login !== "reused") {
      console.error("demo: the second run did not reuse the session");
      return 1;
    }
    return 0;
  } finally {
    if (!external) say("Stopping the local server");
    await target.close();
    await rm(stateDir, { recursive: true, force: true }).catch(() => {});
    if (!given) await rm(dir, { recursive: true, force: true }).catch(() => {});
    if (!external) console.log("stopped");
  }
}

if (import.meta.main) exitProcess(await demo());
