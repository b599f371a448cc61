// The README's quick starts (Deno and Bun), each run twice as written, as separate processes
// sharing one $HOME: the second run must not log in (no login request reaches the server).
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keptCaches } from "../child_env.ts";
import { test } from "../harness.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

function quickStart(markdown: string, title: string): string {
  const at = markdown.indexOf(`### ${title}`);
  assert.ok(at >= 0, `README has "### ${title}"`);
  const m = /```ts[^\n]*\n([\s\S]*?)\n```/.exec(markdown.slice(at));
  assert.ok(m, `a code block under "### ${title}"`);
  // Imports of the package point at this checkout.
  return m[1].replace(/(["'])(?:jsr:)?@appmesh\/sdk\1/g, `$1${join(root, "mod.ts")}$1`);
}

const caches = { ...keptCaches(), PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };

for (const [title, runtime] of [["Quick start (Deno)", "deno"], ["Quick start (Bun)", "bun"]]) {
  test(`README: ${title} run twice logs in once`, async () => {
    const code = quickStart(await Deno.readTextFile(join(root, "README.md")), title);
    const logins: string[] = [];
    const server = await startDevServer({
      logger: (line) => {
        if (/ POST \/appmesh\/login /.test(line)) logins.push(line);
      },
    });
    const home = await Deno.makeTempDir({ prefix: "quickstart-home-" });
    try {
      const file = join(home, "quickstart.ts");
      await Deno.writeTextFile(file, code);
      const env = {
        ...caches,
        HOME: home,
        APPMESH_URL: server.urls[0],
        APPMESH_CA: server.caFile!,
      };
      for (const run of [1, 2]) {
        const cmd = runtime === "bun"
          ? new Deno.Command("npx", {
            args: ["-y", "bun@1", "run", file],
            env,
            clearEnv: true,
            cwd: home,
          })
          : new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", "--config", join(root, "deno.json"), file],
            env,
            clearEnv: true,
            cwd: home,
          });
        const out = await cmd.output();
        const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, `run ${run}:\n${text}`);
        assert.equal(
          logins.length,
          1,
          `after run ${run}: ${logins.length} login requests\n${text}`,
        );
      }
    } finally {
      await server.close();
      await Deno.remove(home, { recursive: true });
    }
  });
}
