// Every code example of README.md runs here, as written, against a local server.
//
// - ```ts blocks run with `deno run`; blocks whose info string says `bun` run with `bun run`.
//   `jsr:@appmesh/sdk[/sub]` and `@appmesh/sdk[/sub]` are pointed at this checkout.
// - ```yaml blocks that are whole workflows (top-level `steps:`) are validated.
// - ```sh blocks whose info string says `test` run with bash, as written: such a session starts
//   its own `appmesh devserver --port 0` (free ports, read from what the server prints) and
//   stops it; it may name no fixed port, so it also runs where App Mesh listens on 6060.
//
// The examples read APPMESH_URL / APPMESH_CA (set to the local server here); HOME is a
// temporary folder, so `~/.appmesh/cookies.txt` lands there.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { keptCaches } from "./child_env.ts";
import { test } from "./harness.ts";
import { startDevServer } from "../src/devserver/mod.ts";
import { parseWorkflow } from "../src/workflow/mod.ts";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const readme = await Deno.readTextFile(join(root, "README.md"));

interface Block {
  lang: string;
  info: string;
  code: string;
  line: number;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\w+)(.*)$/);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
    found.push({ lang: open[1], info: open[2].trim(), code: body.join("\n"), line: start + 1 });
  }
  return found;
}

const exportsMap: Record<string, string> = {
  "": "mod.ts",
  "/cookies": "src/cookies/mod.ts",
  "/workflow": "src/workflow/mod.ts",
  "/devserver": "src/devserver/mod.ts",
  "/cli": "src/cli/main.ts",
};

function localImports(code: string): string {
  return code.replace(
    /(["'])(?:jsr:)?@appmesh\/sdk(\/[a-z]+)?\1/g,
    (_m, q: string, sub = "") => `${q}${join(root, exportsMap[sub] ?? "missing")}${q}`,
  );
}

async function run(cmd: string, args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdin: "null" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

// HOME is a temporary folder for the examples; keep the runtimes' caches where they are.
const caches = keptCaches();

const all = blocks(readme);
const scripts = all.filter((b) => b.lang === "ts" || b.lang === "typescript");

test("README: has runnable TypeScript examples", () => {
  assert.ok(scripts.length >= 3, `only ${scripts.length} ts blocks`);
});

for (const block of scripts) {
  const runtime = /\bbun\b/.test(block.info) ? "bun" : "deno";
  test(`README: ts example at line ${block.line} runs under ${runtime}`, async () => {
    const server = await startDevServer({ port: 0, nodes: 2 });
    const home = await Deno.makeTempDir({ prefix: "readme-home-" });
    try {
      const file = join(home, `example_${block.line}.ts`);
      await Deno.writeTextFile(file, localImports(block.code));
      const env = {
        ...caches,
        HOME: home,
        APPMESH_URL: server.urls[0],
        APPMESH_CA: server.caFile!,
        APPMESH_NODE2: server.nodes[1].name,
        NO_COLOR: "1",
      };
      const r = runtime === "bun"
        ? await run("npx", ["-y", "bun@1", "run", file], env, home)
        : await run(
          Deno.execPath(),
          ["run", "-A", "--config", join(root, "deno.json"), file],
          env,
          home,
        );
      assert.equal(
        r.code,
        0,
        `example at README line ${block.line} failed:\n${r.stdout}\n${r.stderr}`,
      );
    } finally {
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  });
}

for (const block of all.filter((b) => b.lang === "yaml" && /^steps:/m.test(b.code))) {
  test(`README: workflow at line ${block.line} validates`, () => {
    parseWorkflow(block.code, { file: `README.md#L${block.line}` });
  });
}

for (
  const block of all.filter((b) =>
    (b.lang === "sh" || b.lang === "bash") && /\btest\b/.test(b.info)
  )
) {
  test(`README: shell session at line ${block.line} works as written`, async () => {
    // A port written into the session would have to be free on the reader's machine.
    assert.doesNotMatch(block.code, /(?:127\.0\.0\.1|localhost|\]):\d+|--port [1-9]/);
    const home = await Deno.makeTempDir({ prefix: "readme-sh-" });
    try {
      const r = await run("bash", ["-euo", "pipefail", "-c", block.code], {
        ...caches,
        HOME: home,
        PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
        APPMESH_README_TEST: "1",
      }, root);
      assert.equal(
        r.code,
        0,
        `shell block at README line ${block.line} failed:\n${r.stdout}\n${r.stderr}`,
      );
      if (block.code.includes("/appmesh/app/syncrun")) {
        // The session's promise: `echo hi` answers "hi" with X-Exit-Code 0, directly and forwarded.
        const runs = block.code.match(/\/appmesh\/app\/syncrun/g)!.length;
        assert.equal(r.stdout.match(/^X-Exit-Code: 0\r?$/gim)?.length, runs, r.stdout);
        assert.equal(r.stdout.match(/^hi\r?$/gm)?.length, runs, r.stdout);
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
}

test("README: the step reference lists every step type and each of its fields", async () => {
  const { STEPS } = await import("../src/workflow/language/steps/mod.ts");
  for (const spec of Object.values(STEPS)) {
    const at = readme.indexOf(`#### \`${spec.type}\``);
    assert.ok(at >= 0, `README has no reference entry for step ${spec.type}`);
    const next = readme.indexOf("#### ", at + 5);
    const entry = readme.slice(at, next < 0 ? undefined : next);
    for (const field of Object.keys(spec.fields)) {
      assert.ok(
        entry.includes(`\`${field}\``),
        `README entry of ${spec.type} lacks field ${field}`,
      );
    }
  }
});
