/**
 * The whole test suite: `deno task test`.
 *
 * 1. every `tests/**\/*_test.ts` under Deno (`deno test`), with the JSDoc examples of mod.ts and
 *    src/ (`--doc`);
 * 2. the files marked `// @bun` again under Bun (`bun test`), after `bun install`;
 * 3. the files marked `// @node` under Node 22 (`node --test`, its type stripping running the
 *    `.ts` files), after `npm install` of package.json's dependencies (`--no-node` skips it);
 * 4. one closing line `N passed, N failed, N skipped` over all passes (CI reads its `N passed,
 *    N failed` prefix), and a non-zero exit on any failure. A skipped test (`skip` in
 *    tests/harness.ts: Deno's "ignored", Bun's "skip") is counted as skipped, never as passed.
 *
 * Every pass runs several test files at a time (`--parallel`, `--test-concurrency`; as many as
 * `APPMESH_TEST_JOBS`, default 4): most of a test's time is spent waiting on servers and child
 * processes, not computing, so files overlap well even on two cores. Every test file owns its
 * servers, ports, folders and environment, so files never depend on running alone; the few that
 * measure (`ALONE`) run by themselves after the others.
 *
 * Deno, Bun and Node 22 are taken from npm through `npx`, so nothing is assumed on the machine
 * beyond Node, npm, python3, curl and, for the browser test, Chromium.
 */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = Deno.args;
const only = args.filter((a) => !a.startsWith("--"));
const skipBun = args.includes("--no-bun") || Deno.env.get("APPMESH_TEST_NO_BUN") === "1";
const jobs = Math.max(1, Number(Deno.env.get("APPMESH_TEST_JOBS")) || 4);

async function run(cmd: string, cmdArgs: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  // Tee both streams: the summaries are parsed from them (bun test writes its to stderr).
  let out = "";
  const tee = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  await Promise.all([tee(child.stdout, Deno.stdout), tee(child.stderr, Deno.stderr)]);
  const status = await child.status;
  return { code: status.code, out };
}

// deno-lint-ignore no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function testFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await testFiles(path));
    else if (entry.name.endsWith("_test.ts")) found.push(path);
  }
  return found.sort();
}

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;

// Deno pass.
// The JSDoc `@example`s of mod.ts and src/ run too (`--doc`): every one must stay runnable.
// The files in ALONE measure (the benchmark's smoke round hammers a server as fast as it can):
// they run after the others, one at a time, so that no other test competes with them.
const ALONE = ["tests/bench/"];
async function denoPass(files: string[], parallel: boolean): Promise<void> {
  const deno = await run(Deno.execPath(), [
    "test",
    "-A",
    "--no-check=remote",
    ...(parallel ? ["--parallel"] : []),
    ...files,
  ], { DENO_JOBS: String(jobs) });
  const text = stripAnsi(deno.out);
  const m = [
    ...text.matchAll(/^(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed(?: \| (\d+) ignored)?/gm),
  ].pop();
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3] ?? 0);
  } else {
    console.error("deno test printed no summary; counting the pass as failed");
    broken = true;
  }
  if (deno.code !== 0 && !(m && Number(m[2]) > 0)) broken = true;
}
if (only.length) {
  await denoPass(only, jobs > 1);
} else {
  const files = (await testFiles(`${root}tests`)).map((f) => f.slice(root.length));
  const alone = (f: string) => ALONE.some((dir) => f.startsWith(dir));
  await denoPass(["--doc", "mod.ts", "src/", ...files.filter((f) => !alone(f))], jobs > 1);
  if (files.some(alone)) await denoPass(files.filter(alone), false);
}

// Bun pass over the files marked `// @bun`.
if (!skipBun) {
  const all = await testFiles(`${root}tests`);
  const marked: string[] = [];
  for (const file of all) {
    const rel = file.slice(root.length);
    if (only.length && !only.some((o) => rel.startsWith(o.replace(/^\.\//, "")))) continue;
    if (/^\/\/ @bun$/m.test(await Deno.readTextFile(file))) marked.push(`./${rel}`);
  }
  if (marked.length) {
    console.log(`\nBun pass: ${marked.length} file(s)`);
    const install = await run("npx", ["-y", "bun@1", "install", "--frozen-lockfile"]);
    if (install.code !== 0) {
      const retry = await run("npx", ["-y", "bun@1", "install"]);
      if (retry.code !== 0) broken = true;
    }
    const bun = await run("npx", [
      "-y",
      "bun@1",
      "test",
      "--timeout",
      "120000",
      ...(jobs > 1 ? [`--parallel=${jobs}`] : []),
      ...marked,
    ]);
    const text = stripAnsi(bun.out);
    const p = text.match(/^\s*(\d+) pass$/m);
    const f = text.match(/^\s*(\d+) fail$/m);
    const s = text.match(/^\s*(\d+) skip$/m);
    if (p || f) {
      passed += Number(p?.[1] ?? 0);
      failed += Number(f?.[1] ?? 0);
      skipped += Number(s?.[1] ?? 0);
    } else {
      console.error("bun test printed no summary; counting the pass as failed");
      broken = true;
    }
    if (bun.code !== 0 && !(f && Number(f[1]) > 0)) broken = true;
  }
}

// Node pass over the files marked `// @node` (Node 22 from npm, like Bun).
const skipNode = args.includes("--no-node") || Deno.env.get("APPMESH_TEST_NO_NODE") === "1";
if (!skipNode) {
  const all = await testFiles(`${root}tests`);
  const marked: string[] = [];
  for (const file of all) {
    const rel = file.slice(root.length);
    if (only.length && !only.some((o) => rel.startsWith(o.replace(/^\.\//, "")))) continue;
    if (/^\/\/ @node$/m.test(await Deno.readTextFile(file))) marked.push(`./${rel}`);
  }
  if (marked.length) {
    console.log(`\nNode pass: ${marked.length} file(s)`);
    const install = await run("npm", [
      "install",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ]);
    if (install.code !== 0) broken = true;
    // Several files at a time, as in the other passes (`APPMESH_TEST_JOBS`): each file owns its
    // servers, ports and folders, and most of its time is spent waiting.
    const node = await run("npx", [
      "-y",
      "node@22",
      "--test",
      `--test-concurrency=${jobs}`,
      "--test-reporter=tap",
      ...marked,
    ]);
    const text = stripAnsi(node.out);
    const p = text.match(/^# pass (\d+)$/m);
    const f = text.match(/^# fail (\d+)$/m);
    const s = text.match(/^# skipped (\d+)$/m);
    if (p || f) {
      passed += Number(p?.[1] ?? 0);
      failed += Number(f?.[1] ?? 0);
      skipped += Number(s?.[1] ?? 0);
    } else {
      console.error("node --test printed no summary; counting the pass as failed");
      broken = true;
    }
    if (node.code !== 0 && !(f && Number(f[1]) > 0)) broken = true;
  }
}

if (broken) failed += 1;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
Deno.exit(failed > 0 ? 1 : 0);
