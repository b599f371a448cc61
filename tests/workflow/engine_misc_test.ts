/**
 * The engine's pure parts: dry-run plan, WorkflowLock, secrets files and masking, JUnit.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { test } from "../harness.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { formatPlan, planWorkflow } from "../../src/workflow/report/plan.ts";
import { WorkflowLock } from "../../src/workflow/run/lock.ts";
import {
  loadSecretsFile,
  Masker,
  parseDotenv,
  parseSecrets,
  SecretsFileError,
} from "../../src/workflow/run/secrets.ts";
import { type Report, toJUnit } from "../../src/workflow/report/report.ts";
import { backoffDelay, isRetryable } from "../../src/workflow/run/retry.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";

const EXAMPLE = `name: nightly-backup
nodes: [db-1, db-2:6060, db-3]
concurrency: 2
inputs:
  keep_days: { type: number, default: 7 }
env:
  DUMP: /tmp/nightly-\${{ run.id }}.sql.gz
steps:
  - login:
      user: \${{ env.APPMESH_USER }}
      password: \${{ secrets.APPMESH_PASSWORD }}
      expire: P1D
  - id: app
    add_app:
      name: backup-\${{ run.id }}
      command: pg_dump mydb | gzip > \${{ env.DUMP }}
      shell: true
  - id: job
    run_async:
      app: \${{ steps.app.name }}
      max_time: PT2H
  - id: done
    wait:
      run: job
      timeout: PT3H
      output: stream
  - assert:
      that: \${{ steps.done.exit_code == 0 }}
      message: pg_dump failed on \${{ node.name }}
  - download_file:
      remote: \${{ env.DUMP }}
      local: backups/\${{ node.name }}/\${{ run.date }}.sql.gz
finally:
  - delete_app: { name: "backup-\${{ run.id }}" }
`;

test("plan: nodes, steps and requests, secrets masked, nothing sent", () => {
  const wf = parseWorkflow(EXAMPLE, { file: "nightly.yaml" });
  const plan = planWorkflow(wf, {
    env: { APPMESH_USER: "admin", APPMESH_PASSWORD: "very-secret-pw" },
    fetch: () => {
      throw new Error("no request may be sent");
    },
  });
  assert.deepEqual(plan.nodes, ["db-1", "db-2:6060", "db-3"]);
  assert.equal(plan.concurrency, 2);
  assert.equal(plan.steps.length, 6);
  assert.equal(plan.steps[0].with.user, "admin");
  assert.equal(plan.steps[0].with.password, "***");
  assert.equal(plan.steps[0].session, true);
  assert.deepEqual(plan.steps[1].requests.map((r) => r.method), ["GET", "PUT"]);
  assert.match(plan.steps[1].requests[1].path, /^\/appmesh\/app\/backup-/);
  assert.equal(plan.steps[2].requests[0].method, "POST");
  // A field naming the node stays as written.
  assert.equal(plan.steps[5].with.local, "backups/${{ node.name }}/${{ run.date }}.sql.gz");
  assert.equal(plan.finally[0].requests[0].method, "DELETE");
  const text = formatPlan(plan);
  assert.ok(!text.includes("very-secret-pw"));
  assert.match(text, /DELETE \/appmesh\/app\/backup-/);
  assert.match(text, /nodes: db-1, db-2:6060, db-3 \(concurrency 2\)/);

  const one = planWorkflow(wf, {
    env: { APPMESH_USER: "admin", APPMESH_PASSWORD: "very-secret-pw" },
    nodes: ["x"],
  });
  assert.deepEqual(one.nodes, ["x"]);
  // As strict as a run: an unset secret is a usage error, not left as written.
  assert.throws(
    () => planWorkflow(wf, { env: { APPMESH_USER: "admin" }, nodes: ["x"] }),
    (e: Error) =>
      e.name === "WorkflowError" && /secret "APPMESH_PASSWORD" is not set/.test(e.message),
  );
});

test("steps: every step type documents its fields, outputs and method", () => {
  const types = [
    "login",
    "logout",
    "add_app",
    "delete_app",
    "enable_app",
    "disable_app",
    "run_async",
    "wait",
    "run_sync",
    "run_task",
    "cancel_task",
    "download_file",
    "upload_file",
    "get_app",
    "check_app_health",
    "add_label",
    "delete_label",
    "set_config",
    "assert",
  ];
  assert.deepEqual(Object.keys(STEPS).sort(), [...types].sort());
  for (const t of types) {
    const s = STEPS[t];
    assert.equal(s.type, t);
    assert.ok(s.description.length > 20, t);
    assert.ok(s.method, t);
    for (const [name, f] of Object.entries(s.fields)) {
      assert.match(name, /^[a-z][a-z0-9_]*$/, `${t}.${name}`);
      assert.ok(f.description, `${t}.${name}`);
    }
  }
  assert.equal(STEPS.login.fields.password.secret, true);
  assert.equal(STEPS.login.fields.totp_secret.secret, true);
  assert.equal(STEPS.wait.fields.run.stepRef, "run_async");
  assert.deepEqual(Object.keys(STEPS.download_file.outputs), ["path", "bytes", "sha256"]);
  assert.deepEqual(STEPS.run_async.oneOf, [["app"], ["command"]]);
});

test("lock: a second run cannot take a held lock; it waits, and a stale lock is taken over", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wf-lock-"));
  try {
    const first = await WorkflowLock.acquire("nightly backup", { dir });
    assert.ok(first);
    const owner = JSON.parse(await readFile(first.path, "utf8"));
    assert.equal(owner.host, hostname());
    assert.equal(typeof owner.pid, "number");
    assert.equal(await WorkflowLock.acquire("nightly backup", { dir }), undefined);
    assert.ok(await WorkflowLock.acquire("other", { dir }));
    const waiting = WorkflowLock.acquire("nightly backup", { dir, wait: 20_000 });
    setTimeout(() => first.release(), 50);
    const second = await waiting;
    assert.ok(second);
    await second.release();

    // A lock left by a process that is gone.
    const file = join(dir, "stale.lock");
    await writeFile(
      file,
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), time: "", workflow: "stale" }),
    );
    const taken = await WorkflowLock.acquire("stale", { dir });
    assert.ok(taken);
    await taken.release();
    // A lock of another host is never taken over.
    await writeFile(file, JSON.stringify({ pid: 1, host: "elsewhere", time: "", workflow: "" }));
    assert.equal(await WorkflowLock.acquire("stale", { dir }), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("secrets: dotenv and YAML files; errors never show values", async () => {
  assert.deepEqual(
    parseDotenv(
      '# c\nA=1\nexport B="x\\ny" # note\nC=\'lit $x\'\nD = plain value # c\nE="multi\nline"\n',
    ),
    { A: "1", B: "x\ny", C: "lit $x", D: "plain value", E: "multi\nline" },
  );
  assert.throws(() => parseDotenv("GOOD=1\nthis-is-the-secret\n", "s.env"), (e: Error) => {
    assert.ok(e instanceof SecretsFileError);
    assert.equal(e.message, "s.env:2: expected NAME=value");
    return true;
  });
  assert.deepEqual(await parseSecrets("PW: abc\nN: 5\n", "s.yaml"), { PW: "abc", N: "5" });
  await assert.rejects(parseSecrets("PW: [1]\n", "s.yml"), SecretsFileError);

  const dir = await mkdtemp(join(tmpdir(), "wf-sec-"));
  try {
    const f = join(dir, "secrets.env");
    await writeFile(f, "APPMESH_PASSWORD=admin123\n", { mode: 0o644 });
    const { secrets, warning } = await loadSecretsFile(f);
    assert.deepEqual(secrets, { APPMESH_PASSWORD: "admin123" });
    assert.match(warning ?? "", /readable by other users/);
    await assert.rejects(loadSecretsFile(join(dir, "missing.env")), /cannot read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("masker: longest first, multi-line values, JWTs", () => {
  const m = new Masker(["abc", "abcdef", "line1\nline2"]);
  assert.equal(m.mask("x abcdef y abc"), "x *** y ***");
  assert.equal(m.mask("got line2 only"), "got *** only");
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl";
  assert.equal(m.mask(`Bearer ${jwt}`), "Bearer ***");
  assert.deepEqual(m.maskDeep({ k: ["abc"], n: 1 }), { k: ["***"], n: 1 });
  m.add("a.b*c");
  assert.equal(m.mask("a.b*c"), "***");
});

test("retry classification and backoff", () => {
  const http = (status: number) => ({ name: "AppMeshHttpError", status });
  assert.equal(isRetryable(http(500), { idempotent: true }), true);
  assert.equal(isRetryable(http(500), { idempotent: false }), false);
  assert.equal(isRetryable(http(502), { idempotent: false }), true);
  assert.equal(isRetryable(http(403), { idempotent: true }), false);
  assert.equal(isRetryable({ name: "AppMeshTimeoutError" }, { idempotent: true }), true);
  assert.equal(isRetryable({ name: "AppMeshTimeoutError" }, { idempotent: false }), false);
  const refused = { name: "AppMeshConnectionError", cause: { code: "ECONNREFUSED" } };
  assert.equal(isRetryable(refused, { idempotent: false }), true);
  const reset = { name: "AppMeshConnectionError", cause: { code: "ECONNRESET" } };
  assert.equal(isRetryable(reset, { idempotent: false }), false);
  assert.equal(isRetryable(reset, { idempotent: true }), true);
  assert.equal(isRetryable({ name: "AppMeshTlsError" }, { idempotent: true }), false);
  assert.equal(isRetryable(new TypeError("x"), { idempotent: true }), false);
  const p = { attempts: 5, backoff: "exponential" as const, interval: 100 };
  assert.equal(backoffDelay(p, 1, () => 0.5), 100);
  assert.equal(backoffDelay(p, 3, () => 0.5), 400);
  assert.equal(backoffDelay({ ...p, backoff: "fixed" }, 3, () => 0), 75);
});

test("junit: one suite per node, failures and skips, escaped", () => {
  const report: Report = {
    workflow: "w<&>",
    run_id: "r1",
    status: "failure",
    started: "2026-01-01T00:00:00.000Z",
    duration_ms: 1234,
    session: { login: "performed" },
    summary: "w: failure",
    exit_code: 1,
    nodes: [
      {
        node: "a",
        status: "failure",
        error: "x: boom",
        steps: [
          {
            id: "x",
            type: "run_sync",
            status: "failure",
            attempts: 2,
            duration_ms: 5,
            exit_code: 3,
            error: 'bad "quote" <tag>',
          },
          { id: "y", type: "assert", status: "skipped", attempts: 0, duration_ms: 0 },
          {
            id: "z",
            type: "assert",
            status: "allowed_failure",
            attempts: 1,
            duration_ms: 0,
            error: "meh",
          },
        ],
      },
      { node: "b", status: "skipped", error: "not started (fail_fast)", steps: [] },
    ],
  };
  const xml = toJUnit(report);
  assert.match(
    xml,
    /<testsuites name="w&lt;&amp;&gt;" tests="3" failures="1" errors="0" skipped="1"/,
  );
  assert.match(xml, /<testsuite name="a" tests="3" failures="1"/);
  assert.match(xml, /<failure message="bad &quot;quote&quot; &lt;tag&gt;" type="run_sync">/);
  assert.match(xml, /exit code 3<\/failure>/);
  assert.match(xml, /<skipped\/>/);
  assert.match(xml, /allowed failure: meh/);
  assert.match(xml, /<testsuite name="b" tests="0"/);
});

test("env: an expression giving a mapping or list is a usage error naming the variable", async () => {
  const { runWorkflow } = await import("../../src/workflow/run/engine.ts");
  const text = (expr: string) =>
    `name: env-shape\nenv:\n  PORT: \${{ 8080 }}\n  CONF: "${expr}"\nsteps:\n  - get_app: { name: x }\n`;
  for (
    const [expr, kind] of [[`\${{ fromJSON('{\\"a\\":1}') }}`, "a mapping"], [
      `\${{ fromJSON('[1]') }}`,
      "a list",
    ]]
  ) {
    const wf = parseWorkflow(text(expr), { file: "env.yaml" });
    await assert.rejects(
      runWorkflow(wf, { env: {}, connection: { url: "https://127.0.0.1:1" } }),
      (e: Error) => {
        assert.equal(e.name, "WorkflowError");
        assert.match(e.message, new RegExp(`env\\.CONF: the expression gives ${kind}, not text`));
        assert.doesNotMatch(e.message, /object Object/);
        return true;
      },
    );
  }
});
