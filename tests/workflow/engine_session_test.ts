/**
 * The session over the cookie file against the local server: reuse on a second run, renewal
 * of a token close to expiry (the server's early-expiry fault), `force`, a 401 in the middle
 * of a run, secrets masked everywhere, and overlapping runs under WorkflowLock.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import { WorkflowLock } from "../../src/workflow/run/lock.ts";
import { toJUnit } from "../../src/workflow/report/report.ts";
import type { StepSpec } from "../../src/workflow/language/spec.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";
import { LOGIN, world } from "./engine_helpers.ts";

const SIMPLE = `name: simple
steps:
${LOGIN}  - run_sync: { command: "true", shell: true }
`;

const logins = (lines: string[]) => lines.filter((l) => / POST \/appmesh\/login /.test(l)).length;
const renews = (lines: string[]) =>
  lines.filter((l) => / POST \/appmesh\/token\/renew /.test(l)).length;

test("session: the second run reuses the cookie file's token; force logs in", async () => {
  const w = await world(1);
  try {
    const first = await w.run(SIMPLE);
    assert.equal(first.report.status, "success");
    assert.equal(first.report.session.login, "performed");
    assert.equal(logins(w.requests), 1);
    const cookies = await readFile(w.cookieFile, "utf8");
    assert.match(cookies, /Netscape HTTP Cookie File/);

    const second = await w.run(SIMPLE);
    assert.equal(second.report.status, "success");
    assert.equal(second.report.session.login, "reused");
    assert.equal(logins(w.requests), 1);

    const forced = await w.run(SIMPLE.replace("user: admin,", "user: admin, force: true,"));
    assert.equal(forced.report.session.login, "performed");
    assert.equal(logins(w.requests), 2);

    // A run without a login step works from the cookie file alone.
    const bare = await w.run(
      `name: bare\nsteps:\n  - run_sync: { command: "true", shell: true }\n`,
    );
    assert.equal(bare.report.status, "success");
    // ... and its report says so.
    assert.equal(bare.report.session.login, "reused");
  } finally {
    await w.close();
  }
});

test("session: a token close to expiry is renewed (server's early expiry)", async () => {
  const w = await world(1, { tokenLifetimeSeconds: 120 });
  try {
    const yaml = SIMPLE.replace("user: admin,", "user: admin, expire: P1D,");
    const first = await w.run(yaml);
    assert.equal(first.report.session.login, "performed");
    const before = await readFile(w.cookieFile, "utf8");
    const second = await w.run(yaml);
    assert.equal(second.report.status, "success");
    assert.equal(second.report.session.login, "renewed");
    assert.equal(logins(w.requests), 1);
    assert.ok(renews(w.requests) >= 1);
    assert.notEqual(await readFile(w.cookieFile, "utf8"), before);
  } finally {
    await w.close();
  }
});

/** A step that revokes the run's token behind its back (as another process logging off would). */
function revokeStep(caFile: string, url: string): StepSpec {
  return {
    type: "revoke",
    description: "test only: log off the current token from another client",
    method: "logout",
    fields: {},
    outputs: {},
    async run(ctx) {
      await ctx.client.ready(); // loads the cookie file when this is the first step
      const other = new AppMeshClient({ baseUrl: url, ca: caFile, token: ctx.client.token });
      try {
        assert.equal(await other.logout(), true);
      } finally {
        await other.close();
      }
      return {};
    },
  };
}

test("session: a 401 mid-run re-reads the cookie file, then logs in again once", async () => {
  const w = await world(1);
  try {
    const steps = { ...STEPS, revoke: revokeStep(w.server.caFile!, w.server.urls[0]) };
    const yaml = `name: revoked
steps:
${LOGIN}  - revoke: {}
  - id: after
    run_sync: { command: "echo still-here", shell: true }
`;
    const { report } = await w.run(yaml, { steps });
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0].steps));
    assert.equal(report.nodes[0].steps[2].outputs?.stdout, "still-here\n");
    assert.equal(logins(w.requests), 2);
    assert.equal(report.session.login, "performed");

    // Without credentials (no login step), the 401 is a clear failure.
    const bare = await w.run(
      `name: bare\nsteps:\n  - revoke: {}\n  - run_sync: { command: "true", shell: true }\n`,
      { steps },
    );
    assert.equal(bare.report.status, "failure");
    assert.match(bare.report.nodes[0].error!, /401.*no login step gave credentials/);
  } finally {
    await w.close();
  }
});

test("secrets: absent from events, the JSON report and the JUnit report", async () => {
  const w = await world(2);
  try {
    const secret = "s3cr3t-V4lue-xyz";
    const yaml = `name: secretive
nodes: ["${w.nodes[0]}", "${w.nodes[1]}"]
steps:
${LOGIN}  - id: echo
    run_sync:
      command: echo "token is $TOKEN"
      shell: true
      env: { TOKEN: "\${{ secrets.API_TOKEN }}" }
  - id: job
    run_async: { command: "echo streamed $TOKEN", shell: true, env: { TOKEN: "\${{ secrets.API_TOKEN }}" } }
  - wait: { run: job, output: stream }
  - assert:
      that: \${{ contains(steps.echo.stdout, secrets.API_TOKEN) }}
      message: "the secret \${{ secrets.API_TOKEN }} reached the process"
  - assert: { that: false, message: "fail with \${{ secrets.PW }} in the message" }
`;
    const { report, events } = await w.run(yaml, {
      secrets: { PW: "admin123", API_TOKEN: secret },
    });
    const cookie = await readFile(w.cookieFile, "utf8");
    const token = cookie.trim().split("\n").pop()!.split("\t").pop()!;
    assert.ok(token.length > 20);
    const all = [JSON.stringify(events), JSON.stringify(report), toJUnit(report)].join("\n");
    for (const bad of [secret, "admin123", token]) assert.ok(!all.includes(bad), "leaked");
    assert.ok(all.includes("token is ***"));
    assert.ok(events.some((e) => e.type === "step_output" && e.message === "streamed ***\n"));
    assert.match(report.nodes[0].error!, /fail with \*\*\* in the message/);
  } finally {
    await w.close();
  }
});

test("lock: two overlapping runs: the second finds the lock held, then gets it once free", async () => {
  const w = await world(1);
  try {
    const dir = `${w.dir}/locks`;
    const lockA = await WorkflowLock.acquire("simple", { dir });
    assert.ok(lockA);
    const runA = w.run(SIMPLE.replace('command: "true"', 'command: "sleep 1"'))
      .finally(() => lockA.release());
    // While the first run is going, the second one cannot start.
    assert.equal(await WorkflowLock.acquire("simple", { dir }), undefined);
    const waitingB = WorkflowLock.acquire("simple", { dir, wait: 60_000 });
    assert.equal((await runA).report.status, "success");
    const lockB = await waitingB;
    assert.ok(lockB);
    try {
      assert.equal((await w.run(SIMPLE)).report.status, "success");
    } finally {
      await lockB.release();
    }
  } finally {
    await w.close();
  }
});

test("session: TOTP code computed from totp_secret; without one, a clear failure (exit 3)", async () => {
  const w = await world(1);
  try {
    const admin = await w.admin();
    const secret = await admin.getTotpSecret();
    const { totpNow } = await import("../../src/workflow/run/session.ts");
    await admin.enableTotp(await totpNow(secret));
    const yaml = (extra: string) =>
      `name: mfa
steps:
  - login: { user: admin, password: "\${{ secrets.PW }}"${extra} }
  - run_sync: { command: "true", shell: true }
`;
    const { report, events } = await w.run(yaml(', totp_secret: "${{ secrets.TOTP }}"'), {
      secrets: { PW: "admin123", TOTP: secret },
    });
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0]));
    assert.equal(report.session.login, "performed");
    assert.ok(!JSON.stringify([report, events]).includes(secret));

    const missing = await w.run(yaml(""), {
      connection: { cookieFile: `${w.dir}/other-cookies.txt` },
    });
    assert.equal(missing.report.exit_code, 3);
    assert.match(
      missing.report.nodes[0].error!,
      /two-factor authentication: give totp_code or totp_secret/,
    );
  } finally {
    await w.close();
  }
});

test("session: a token expiring during a long run is renewed ahead of time", async () => {
  const w = await world(1, { tokenLifetimeSeconds: 4 });
  try {
    const { report } = await w.run(`name: long
steps:
${LOGIN}  - run_sync: { command: "sleep 6", shell: true }
  - run_sync: { command: "echo after", shell: true }
  - get_app: { name: nope }
    continue_on_error: true
`);
    const steps = report.nodes[0].steps;
    assert.deepEqual(steps.map((s) => s.status), [
      "success",
      "success",
      "success",
      "allowed_failure",
    ]);
    // The last step reached the server with a valid token: 404, not 401.
    assert.match(steps[3].error!, /404/);
    // Renewed by the session (ahead of expiry), not by logging in again.
    assert.ok(renews(w.requests) >= 1);
    assert.equal(logins(w.requests), 1);
  } finally {
    await w.close();
  }
});

test("session: logout runs once, after every node finished (never cutting a node's session)", async () => {
  const w = await world(2);
  try {
    const { report, events } = await w.run(`name: bye
nodes: ["${w.nodes[0]}", "${w.nodes[1]}"]
concurrency: 1
steps:
${LOGIN}  - logout: {}
  - run_sync: { command: "true", shell: true }
`);
    assert.equal(report.status, "success", JSON.stringify(report.nodes.map((n) => n.error)));
    assert.equal(w.requests.filter((l) => / POST \/appmesh\/self\/logoff /.test(l)).length, 1);
    const lastNodeEnd = events.findLastIndex((e) => e.type === "node_end");
    const loggedOff = events.findIndex((e) => e.type === "log" && e.message === "logged off");
    assert.ok(loggedOff > lastNodeEnd);
    // The next run has no session left to reuse.
    const again = await w.run(SIMPLE);
    assert.equal(again.report.session.login, "performed");
  } finally {
    await w.close();
  }
});
