/**
 * A token revoked from another process in the middle of a run: `appmesh logout` (the real
 * command, a child process) revokes the token and removes it from the shared cookie file; the
 * runner, holding the login step's credentials, logs in again once and goes on.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../harness.ts";
import type { StepSpec } from "../../src/workflow/language/spec.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";
import { assertCode, runCli } from "../cli/helpers.ts";
import { LOGIN, world } from "./engine_helpers.ts";

const logins = (lines: string[]) => lines.filter((l) => / POST \/appmesh\/login /.test(l)).length;

test("session: `appmesh logout` from another process mid-run: the runner logs in again", async () => {
  const w = await world(1);
  try {
    let loggedOut = "";
    const elsewhere: StepSpec = {
      type: "logout_elsewhere",
      description: "test only: run `appmesh logout` on the run's cookie file, in a child process",
      method: "none",
      fields: {},
      outputs: {},
      async run() {
        const r = await runCli(["logout"], {
          env: {
            APPMESH_URL: w.server.urls[0],
            APPMESH_CA: w.server.caFile!,
            APPMESH_COOKIE_FILE: w.cookieFile,
            HOME: w.dir,
          },
        });
        assertCode(r, 0);
        loggedOut = r.stdout;
        return {};
      },
    };
    const yaml = `name: revoked
steps:
${LOGIN}  - id: before
    run_sync: { command: "echo one", shell: true }
  - logout_elsewhere: {}
  - id: after
    run_sync: { command: "echo still-here", shell: true }
  - id: again
    run_sync: { command: "echo and-here", shell: true }
`;
    const { report } = await w.run(yaml, { steps: { ...STEPS, logout_elsewhere: elsewhere } });
    assert.match(loggedOut, /logged out/);
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0].steps, null, 1));
    const s = Object.fromEntries(report.nodes[0].steps.map((x) => [x.id, x]));
    assert.equal(s.after.outputs?.stdout, "still-here\n");
    assert.equal(s.again.outputs?.stdout, "and-here\n");
    assert.equal(logins(w.requests), 2, "one login, then one re-login after the revocation");
    // The new token went back to the shared cookie file.
    assert.match(await readFile(w.cookieFile, "utf8"), /appmesh_auth_token\t\S{20,}/);
  } finally {
    await w.close();
  }
});
