/**
 * The real path of the engine's reload on a 401: another process renews the token through the
 * shared cookie file in the middle of a run (which revokes the runner's token); the runner's
 * next call is refused, the file is re-read, and the run goes on with the newer token, without
 * logging in again.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";
import type { StepSpec } from "../../src/workflow/language/spec.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";
import { runScript } from "../client/_helpers.ts";
import { LOGIN, world } from "./engine_helpers.ts";

const RENEW_CHILD = fileURLToPath(new URL("../client/fixtures/renew_child.ts", import.meta.url));

test("session: another process renews through the cookie file mid-run: the run adopts its token, no second login", async () => {
  const w = await world(1);
  try {
    let held: string | undefined;
    let renewed: string | undefined;
    const elsewhere: StepSpec = {
      type: "renew_elsewhere",
      description: "test only: another process renews the token through the cookie file",
      method: "renewToken",
      fields: {},
      outputs: {},
      async run(ctx) {
        held = ctx.client.token;
        const r = await runScript(RENEW_CHILD, [w.server.urls[0], w.server.caFile!, w.cookieFile]);
        assert.equal(r.code, 0, r.stderr);
        renewed = JSON.parse(r.stdout).token;
        return {};
      },
    };
    const { report } = await w.run(
      `name: renewed-elsewhere
steps:
${LOGIN}  - renew_elsewhere: {}
  - id: after
    run_sync: { command: "echo still-here", shell: true }
`,
      { steps: { ...STEPS, renew_elsewhere: elsewhere } },
    );
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0].steps));
    assert.equal(report.nodes[0].steps[2].outputs?.stdout, "still-here\n");
    assert.ok(held && renewed && renewed !== held);
    const count = (re: RegExp) => w.requests.filter((l) => re.test(l)).length;
    assert.equal(count(/ POST \/appmesh\/login /), 1, "no second login");
    assert.equal(count(/ POST \/appmesh\/token\/renew /), 1, "only the other process renewed");
    // Refused with the revoked token, then the same call with the file's token.
    assert.deepEqual(
      w.requests.filter((l) => / POST \/appmesh\/app\/syncrun /.test(l)).map((l) =>
        l.split(" ").pop()
      ),
      ["401", "200"],
    );
    assert.equal(report.session.login, "performed");
    assert.ok((await readFile(w.cookieFile, "utf8")).includes(renewed));
  } finally {
    await w.close();
  }
});
