/**
 * A secret with `/ +&%ü` in an app name, as the hostile pass found it: the client URL-encodes
 * it into request paths, so it came back URL-encoded in errors, events, reports and the
 * dry-run plan. No output of `appmesh workflow run` may hold it in any form.
 */
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { cliLogin, runCli, startFixture } from "./helpers.ts";

const SECRET = "p/w +&%ü";

/** The forms a value takes in a URL or a JSON text. */
function forms(v: string): string[] {
  const component = encodeURIComponent(v);
  return [
    v,
    component,
    component.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ v }).toString().slice(2),
    encodeURI(v),
    JSON.stringify(v).slice(1, -1),
  ];
}

test("secrets: a secret with / +&%ü never shows, URL-encoded or JSON-escaped, in any output", async () => {
  const fx = await startFixture(2);
  try {
    await cliLogin(fx);
    const file = `${fx.dir}/encoded.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "name: encoded",
        `nodes: [${fx.nodes.map((n) => `"${n}"`).join(", ")}]`,
        "steps:",
        "  - login: { user: admin, password: '${{ secrets.APPMESH_PASSWORD }}' }",
        "  - id: look",
        "    get_app: { name: 'app-${{ secrets.ODD }}' }",
        "    continue_on_error: true",
        "  - id: say",
        "    run_sync:",
        "      command: printf '%s\\n' \"$V\"; printf '%s\\n' \"$V\" | sed 's|/|%2F|; s| |%20|'",
        "      shell: true",
        "      env: { V: '${{ secrets.ODD }}' }",
        "      output: stream",
        "  - delete_app: { name: 'app-${{ secrets.ODD }}' }",
        "  - assert: { that: false, message: 'failed for app-${{ secrets.ODD }}' }",
        "",
      ].join("\n"),
    );
    const env = { ...fx.env, ODD: SECRET };
    const outputs: Record<string, string> = {};
    const plain = await runCli(
      ["workflow", "run", file, "--report", `${fx.dir}/r.json`, "--junit", `${fx.dir}/r.xml`],
      { env },
    );
    assert.equal(plain.code, 1, plain.stdout + plain.stderr);
    outputs["stdout"] = plain.stdout;
    outputs["stderr"] = plain.stderr;
    outputs["--report"] = await Deno.readTextFile(`${fx.dir}/r.json`);
    outputs["--junit"] = await Deno.readTextFile(`${fx.dir}/r.xml`);
    const json = await runCli(["workflow", "run", file, "--json"], { env });
    outputs["--json stdout"] = json.stdout;
    outputs["--json stderr"] = json.stderr;
    const quiet = await runCli(["workflow", "run", file, "--quiet"], { env });
    outputs["--quiet"] = quiet.stdout + quiet.stderr;
    const dry = await runCli(["workflow", "run", file, "--dry-run"], { env });
    outputs["--dry-run"] = dry.stdout + dry.stderr;
    const dryJson = await runCli(["workflow", "run", file, "--dry-run", "--json"], { env });
    outputs["--dry-run --json"] = dryJson.stdout + dryJson.stderr;

    // The run did what the test means: the encoded name was asked for, the output printed.
    assert.match(outputs["--report"], /app-\*\*\*/);
    assert.match(outputs.stdout, /say \| \*\*\*/);
    for (const [where, text] of Object.entries(outputs)) {
      for (const f of forms(SECRET)) {
        assert.ok(!text.includes(f), `${where} holds the secret as ${f}:\n${text}`);
      }
    }
  } finally {
    await fx.close();
  }
});
