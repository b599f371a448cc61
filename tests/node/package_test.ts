// The npm package as a Node 22 user gets it: `deno task npm`'s build packed into a tarball,
// installed into an empty folder (`npm install <tarball>`, its dependencies from the registry),
// then used from a plain `.mjs` script and from `npx appmesh workflow run`, against the local
// server over HTTPS with its CA. Node pass only: it is Node's behaviour that it measures.
// @node
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => out += d);
  child.stderr.on("data", (d) => out += d);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

test("npm package: install the tarball, use it from a .mjs script and npx appmesh", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-npm-"));
  const server = await startDevServer({ nodes: 2, stateDir: join(dir, "state") });
  // This very Node (22) runs npm, npx and the package's `bin` (`#!/usr/bin/env node`).
  const env = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    APPMESH_URL: server.urls[0],
    APPMESH_CA: server.caFile ?? "",
    APPMESH_COOKIE_FILE: join(dir, "cookies.txt"),
    HOME: dir,
    APPMESH_USER: "admin",
    APPMESH_PASSWORD: "admin123",
  };
  try {
    const built = await run(process.execPath, [
      join(ROOT, ".ci/npm.ts"),
      `--out=${join(dir, "package")}`,
      "--pack",
      `--pack-destination=${dir}`,
    ], { cwd: ROOT, env });
    assert.equal(built.code, 0, built.out);
    const tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, built.out);

    const app = join(dir, "app");
    await run("mkdir", [app], { cwd: dir });
    await writeFile(join(app, "package.json"), '{ "name": "try-appmesh", "private": true }\n');
    const install = await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      join(dir, tarball),
    ], { cwd: app, env });
    assert.equal(install.code, 0, install.out);

    await writeFile(
      join(app, "script.mjs"),
      [
        'import { AppMeshClient } from "@appmesh/sdk";',
        'import { CookieJar } from "@appmesh/sdk/cookies";',
        'import { runWorkflow } from "@appmesh/sdk/workflow";\nimport { startDevServer } from "@appmesh/sdk/devserver";',
        "const client = new AppMeshClient({",
        "  baseUrl: process.env.APPMESH_URL,",
        "  ca: process.env.APPMESH_CA,",
        "  cookieFile: process.env.APPMESH_COOKIE_FILE,",
        "});",
        'await client.login("admin", "admin123");',
        'const r = await client.runAppSync("echo from-mjs");',
        "await client.close();",
        "console.log(JSON.stringify({ exit: r.exitCode, output: r.output,",
        "  jar: typeof CookieJar, run: typeof runWorkflow, dev: typeof startDevServer }));",
        "",
      ].join("\n"),
    );
    const script = await run(process.execPath, ["script.mjs"], { cwd: app, env });
    assert.equal(script.code, 0, script.out);
    const got = JSON.parse(script.out.trim().split("\n").pop()!);
    assert.deepEqual(got, {
      exit: 0,
      output: "from-mjs\n",
      jar: "function",
      run: "function",
      dev: "function",
    });

    await writeFile(
      join(app, "wf.yaml"),
      [
        "name: from-npx",
        "nodes: [" + server.nodes.map((n) => JSON.stringify(n.name)).join(", ") + "]",
        "steps:",
        "  - run_sync:",
        "      command: echo on ${{ node.name }}",
        "",
      ].join("\n"),
    );
    const wf = await run("npx", ["appmesh", "workflow", "run", "wf.yaml", "--report", "r.json"], {
      cwd: app,
      env,
    });
    assert.equal(wf.code, 0, wf.out);
    const report = JSON.parse(await readFile(join(app, "r.json"), "utf8"));
    assert.equal(report.status, "success");
    assert.equal(report.session?.login, "reused"); // the .mjs script's session, from the file

    const version = await run("npx", ["appmesh", "--version"], { cwd: app, env });
    assert.match(version.out, /^appmesh \d+\.\d+\.\d+/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}, { skip: ["deno", "bun"], timeout: 600_000 });
