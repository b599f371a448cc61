/**
 * Pure engine logic with a fake step registry and a minimal fake client (no network):
 * fan-out, concurrency, fail_fast, max_failures, if/finally, continue_on_error, timeouts,
 * classified retries, session steps once per run, 401 recovery, interrupts, masking.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { runWorkflow } from "../../src/workflow/run/engine.ts";
import { toJUnit } from "../../src/workflow/report/report.ts";
import type { StepSpec, WorkflowEvent } from "../../src/workflow/language/spec.ts";
import type { AppMeshClient } from "../../src/client/client.ts";

class HttpError extends Error {
  status: number;
  constructor(status: number, message = `HTTP ${status}`) {
    super(message);
    this.name = status === 401 ? "AppMeshAuthError" : "AppMeshHttpError";
    this.status = status;
  }
}

/** A fake client: a token, per-node views, and a record of deleted apps. */
function fakeClient(init: { token?: string; reloadTo?: string } = {}) {
  const state = {
    token: init.token as string | undefined,
    deleted: [] as string[],
    reloads: 0,
    logins: 0,
  };
  const make = (node?: string): unknown => ({
    baseUrl: "https://127.0.0.1:6060",
    node,
    get token() {
      return state.token;
    },
    get tokenExpiresAt() {
      return undefined;
    },
    forNode: (n: string | undefined) => make(n),
    ready: () => Promise.resolve(),
    reloadSession: () => {
      state.reloads++;
      if (init.reloadTo && state.token !== init.reloadTo) {
        state.token = init.reloadTo;
        return Promise.resolve(true);
      }
      return Promise.resolve(false);
    },
    login: () => {
      state.logins++;
      state.token = `tok-${state.logins}`;
      return Promise.resolve(undefined);
    },
    deleteApp: (name: string) => {
      state.deleted.push(`${node}/${name}`);
      return Promise.resolve(true);
    },
    close: () => Promise.resolve(),
  });
  return { client: make() as AppMeshClient, state };
}

const field = { type: "any", description: "x" } as const;

/** Fake step types. */
function registry(hooks: {
  work?: (node: string, args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;
} = {}): Record<string, StepSpec> {
  const base = (type: string, run: StepSpec["run"], extra: Partial<StepSpec> = {}): StepSpec => ({
    type,
    description: type,
    method: "none",
    fields: { value: field, fail: field, node: field, times: field, status: field, key: field },
    openFields: true,
    outputs: { value: "v", exit_code: "c" },
    idempotent: true,
    run,
    ...extra,
  });
  return {
    work: base("work", async (ctx, args) => {
      await hooks.work?.(ctx.node.name, args, ctx.signal);
      if (args.fail === true || args.fail === ctx.node.name) {
        throw new Error(`failed on ${ctx.node.name} with ${String(args.value ?? "")}`);
      }
      return { value: args.value ?? null, exit_code: 0 };
    }),
    start: base("start", (ctx, args) => {
      ctx.track(String(args.value));
      return Promise.resolve({ app: args.value });
    }),
    hang: base("hang", (ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      })),
    flaky: base("flaky", () => Promise.resolve({})), // replaced per test
    post: base("post", () => Promise.resolve({}), { idempotent: false }),
    say: base("say", (ctx, args) => {
      ctx.emit({ type: "step_output", message: String(args.value) + "\n" });
      ctx.emit({ type: "step_progress", data: { bytes: 1, note: String(args.value) } });
      return Promise.resolve({ value: args.value });
    }),
    session: base("session", () => Promise.resolve({ value: "logged" }), { session: true }),
  };
}

function wf(yaml: string, reg: Record<string, StepSpec>) {
  return parseWorkflow(yaml, { file: "t.yaml", registry: reg });
}

test("engine: fan-out respects concurrency and runs every node", async () => {
  let inFlight = 0;
  let max = 0;
  let release: () => void = () => {};
  const reached = new Promise<void>((r) => (release = r));
  const reg = registry({
    work: async () => {
      inFlight++;
      max = Math.max(max, inFlight);
      if (inFlight >= 2) release();
      await reached;
      inFlight--;
    },
  });
  const { client } = fakeClient();
  const report = await runWorkflow(
    wf("nodes: [a, b, c, d, e]\nconcurrency: 2\nsteps:\n  - work: { value: 1 }\n", reg),
    { client, steps: reg, env: {} },
  );
  assert.equal(report.status, "success");
  assert.equal(report.exit_code, 0);
  assert.equal(max, 2);
  assert.deepEqual(report.nodes.map((n) => n.status), Array(5).fill("success"));
  assert.deepEqual(report.nodes.map((n) => n.node), ["a", "b", "c", "d", "e"]);
  assert.equal(report.session.login, "none");
});

test("engine: a failing node while others succeed; finally runs; report says which", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const events: WorkflowEvent[] = [];
  const report = await runWorkflow(
    wf(
      `nodes: [a, b, c]
steps:
  - id: one
    work: { fail: b }
  - id: two
    work: { value: 2 }
  - id: on_failure
    if: failure()
    work: { value: f }
finally:
  - id: cleanup
    work: { value: ok }
`,
      reg,
    ),
    { client, steps: reg, env: {}, onEvent: (e) => events.push(e) },
  );
  assert.equal(report.status, "failure");
  assert.equal(report.exit_code, 1);
  const [a, b, c] = report.nodes;
  assert.equal(a.status, "success");
  assert.equal(c.status, "success");
  assert.equal(b.status, "failure");
  assert.match(b.error!, /^one: failed on b/);
  assert.deepEqual(
    b.steps.map((s) => [s.id, s.status]),
    [["one", "failure"], ["two", "skipped"], ["on_failure", "success"], ["cleanup", "success"]],
  );
  assert.deepEqual(
    a.steps.map((s) => [s.id, s.status]),
    [["one", "success"], ["two", "success"], ["on_failure", "skipped"], ["cleanup", "success"]],
  );
  assert.match(report.summary, /2\/3 nodes ok, failed: b/);
  const xml = toJUnit(report);
  assert.equal((xml.match(/<testsuite /g) ?? []).length, 3);
  assert.match(xml, /<failure message="failed on b/);
  assert.ok(events.some((e) => e.type === "node_end" && e.node === "b" && e.status === "failure"));
});

test("engine: if: in finally: status functions see the node's state, other conditions run as written", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const report = await runWorkflow(
    wf(
      `nodes: [a, b, c]
inputs:
  notify: { type: boolean, default: true }
steps:
  - id: one
    work: { fail: b }
finally:
  - id: fin_fail
    work: { fail: c }
  - id: on_failure
    if: failure()
    work: { value: f }
  - id: on_success
    if: \${{ success() }}
    work: { value: s }
  - id: by_input
    if: inputs.notify
    work: { value: n }
  - id: by_input_off
    if: \${{ !inputs.notify }}
    work: {}
  - id: plain
    work: {}
`,
      reg,
    ),
    { client, steps: reg, env: {} },
  );
  const statuses = (node: string) =>
    Object.fromEntries(
      report.nodes.find((n) => n.node === node)!.steps.map((s) => [s.id, s.status]),
    );
  // a: nothing failed. b: a step failed. c: its steps passed, a finally step failed.
  assert.deepEqual(statuses("a"), {
    one: "success",
    fin_fail: "success",
    on_failure: "skipped",
    on_success: "success",
    by_input: "success",
    by_input_off: "skipped",
    plain: "success",
  });
  for (const node of ["b", "c"]) {
    assert.deepEqual(statuses(node), {
      one: node === "b" ? "failure" : "success",
      fin_fail: node === "c" ? "failure" : "success",
      on_failure: "success",
      on_success: "skipped",
      // Unlike in steps, a condition without a status function is not ANDed with success().
      by_input: "success",
      by_input_off: "skipped",
      plain: "success", // no if: always
    }, node);
  }
  assert.deepEqual(report.nodes.map((n) => n.status), ["success", "failure", "failure"]);
  assert.match(report.nodes[2].error!, /^fin_fail: failed on c/);
  assert.ok(report.nodes.every((n) => n.steps.slice(1).every((s) => s.finally === true)));
});

test("engine: fail_fast starts no new node; max_failures counts", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const ff = await runWorkflow(
    wf("nodes: [a, b, c]\nconcurrency: 1\nfail_fast: true\nsteps:\n  - work: { fail: a }\n", reg),
    { client, steps: reg, env: {} },
  );
  assert.deepEqual(ff.nodes.map((n) => n.status), ["failure", "skipped", "skipped"]);
  assert.match(ff.nodes[1].error!, /fail_fast/);

  const mf = await runWorkflow(
    wf(
      "nodes: [a, b, c, d]\nconcurrency: 1\nmax_failures: 2\nsteps:\n  - work: { fail: true }\n",
      reg,
    ),
    { client, steps: reg, env: {} },
  );
  assert.deepEqual(mf.nodes.map((n) => n.status), ["failure", "failure", "skipped", "skipped"]);
  assert.equal(mf.exit_code, 1);
});

test("engine: continue_on_error is allowed_failure, never success", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const r = await runWorkflow(
    wf(
      "steps:\n  - id: x\n    continue_on_error: true\n    work: { fail: true }\n  - id: y\n    work: {}\n",
      reg,
    ),
    { client, steps: reg, env: {} },
  );
  assert.equal(r.status, "success");
  assert.equal(r.nodes[0].node, "127.0.0.1:6060");
  assert.deepEqual(r.nodes[0].steps.map((s) => s.status), ["allowed_failure", "success"]);
  assert.ok(r.nodes[0].steps[0].error);
});

test("engine: retries only retryable errors, with attempts counted", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const scripts: Record<string, number[]> = {};
  const flaky = () => async (_c: unknown, args: Record<string, unknown>) => {
    const key = String(args.key);
    const next = scripts[key].shift();
    if (next) throw new HttpError(next);
    return await Promise.resolve({ ok: true });
  };
  reg.flaky = { ...reg.flaky, run: flaky() };
  reg.post = { ...reg.post, run: flaky() };
  scripts.a = [503, 500];
  scripts.b = [404, 0];
  scripts.c = [500, 0];
  scripts.d = [503, 0];
  const retry = "retry: { attempts: 3, backoff: exponential, interval: 1 }";
  const w = wf(
    `steps:
  - id: a
    ${retry}
    flaky: { key: a }
  - id: b
    continue_on_error: true
    ${retry}
    flaky: { key: b }
  - id: c
    continue_on_error: true
    ${retry}
    post: { key: c }
  - id: d
    ${retry}
    post: { key: d }
`,
    reg,
  );
  // Keep the test quick: 5 ms instead of the YAML's whole seconds.
  for (const st of w.steps) st.retry!.interval = 5;
  const r = await runWorkflow(w, { client, steps: reg, env: {} });
  const s = Object.fromEntries(r.nodes[0].steps.map((x) => [x.id, x]));
  assert.equal(s.a.status, "success");
  assert.equal(s.a.attempts, 3);
  assert.equal(s.b.status, "allowed_failure"); // 404: at once
  assert.equal(s.b.attempts, 1);
  assert.equal(s.c.status, "allowed_failure"); // 500 on a non-idempotent POST: never repeated
  assert.equal(s.c.attempts, 1);
  assert.equal(s.d.status, "success"); // 503: nothing was done, safe to repeat
  assert.equal(s.d.attempts, 2);
});

test("engine: a step timeout fails the step; the node never stalls others", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const r = await runWorkflow(
    wf(
      "nodes: [slow, fast]\nsteps:\n  - id: h\n    timeout: 1\n    work: {}\n",
      reg,
    ),
    {
      client,
      env: {},
      steps: {
        ...reg,
        work: {
          ...reg.work,
          run: (ctx) =>
            ctx.node.name === "slow" ? reg.hang.run(ctx, {}) : Promise.resolve({ value: 1 }),
        },
      },
    },
  );
  assert.equal(r.nodes[0].status, "failure");
  assert.match(r.nodes[0].steps[0].error!, /timed out after 1s/);
  assert.equal(r.nodes[1].status, "success");
});

test("engine: session steps run once per run; others share the result", async () => {
  const reg = registry();
  let runs = 0;
  reg.session = {
    ...reg.session,
    run: async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return { value: "v" };
    },
  };
  const { client } = fakeClient();
  const r = await runWorkflow(
    wf(
      "nodes: [a, b, c]\nsteps:\n  - id: s\n    session: {}\n  - work: { value: '${{ steps.s.value }}' }\n",
      reg,
    ),
    { client, steps: reg, env: {} },
  );
  assert.equal(runs, 1);
  assert.equal(r.status, "success");
  for (const n of r.nodes) assert.equal(n.steps[1].outputs?.value, "v");
});

// The real reload of the cookie file (another process renewed) runs in engine_reload_test.ts;
// here only what the engine does with it.
test("engine: a 401 asks the client to reload its session once; retried only if the token changed", async () => {
  const reg = registry();
  let calls = 0;
  reg.work = {
    ...reg.work,
    run: (ctx) => {
      calls++;
      return ctx.client.token === "fresh"
        ? Promise.resolve({ value: 1 })
        : Promise.reject(new HttpError(401, "GET /appmesh/applications: 401 Unauthorized"));
    },
  };
  const ok = fakeClient({ token: "old", reloadTo: "fresh" });
  const r1 = await runWorkflow(wf("steps:\n  - work: {}\n", reg), {
    client: ok.client,
    steps: reg,
    env: {},
  });
  assert.equal(r1.status, "success");
  assert.equal(ok.state.reloads, 1);
  assert.equal(calls, 2);
  assert.equal(r1.nodes[0].steps[0].attempts, 1);

  const bad = fakeClient({ token: "old" });
  const r2 = await runWorkflow(wf("steps:\n  - work: {}\n", reg), {
    client: bad.client,
    steps: reg,
    env: {},
  });
  assert.equal(r2.status, "failure");
  assert.match(r2.nodes[0].steps[0].error!, /401.*no login step gave credentials/);
  assert.equal(bad.state.reloads, 1);
});

test("engine: interrupt stops new steps, runs finally, deletes tracked apps, exit 130/143", async () => {
  for (const [reason, code] of [[undefined, 130], ["SIGTERM", 143]] as const) {
    const reg = registry();
    const { client, state } = fakeClient();
    const ctl = new AbortController();
    let started = 0;
    reg.hang = {
      ...reg.hang,
      run: (ctx) => {
        if (++started === 2) queueMicrotask(() => ctl.abort(reason));
        return registry().hang.run(ctx, {});
      },
    };
    const r = await runWorkflow(
      wf(
        `nodes: [a, b, c]
concurrency: 2
steps:
  - start: { value: tmp-app }
  - hang: {}
  - work: {}
finally:
  - id: fin
    work: { value: done }
`,
        reg,
      ),
      { client, steps: reg, env: {}, signal: ctl.signal },
    );
    assert.equal(r.status, "interrupted");
    assert.equal(r.exit_code, code);
    assert.deepEqual(r.nodes.map((n) => n.status), ["interrupted", "interrupted", "skipped"]);
    for (const n of r.nodes.slice(0, 2)) {
      assert.deepEqual(n.steps.map((s) => s.status), ["success", "failure", "skipped", "success"]);
      assert.match(n.steps[1].error!, /interrupted/);
    }
    assert.deepEqual(state.deleted.sort(), ["a/tmp-app", "b/tmp-app"]);
  }
});

test("engine: secrets are masked in events, errors, outputs and the summary", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const events: WorkflowEvent[] = [];
  const r = await runWorkflow(
    wf(
      `name: masked
steps:
  - id: s
    say: { value: "pw=\${{ secrets.PW }}" }
  - id: h
    say: { value: "home=\${{ env.HOME }}" }
  - id: e
    work: { value: "\${{ secrets.FROM_ENV }}", fail: true }
`,
      reg,
    ),
    {
      client,
      steps: reg,
      env: { FROM_ENV: "env-secret-value", HOME: "/root" },
      secrets: { PW: "hunter2-secret" },
      onEvent: (e) => events.push(e),
    },
  );
  const all = JSON.stringify(events) + JSON.stringify(r) + toJUnit(r);
  assert.ok(!all.includes("hunter2-secret"));
  assert.ok(!all.includes("env-secret-value"));
  assert.ok(all.includes("pw=***"));
  assert.ok(events.some((e) => e.type === "step_output" && e.message === "pw=***\n"));
  assert.match(r.nodes[0].steps[2].error!, /failed on .* with \*\*\*/);
  // Environment values that are not secrets stay readable.
  assert.equal(r.nodes[0].steps[1].outputs?.value, "home=/root");
  assert.ok(events.some((e) => e.type === "step_output" && e.message === "home=/root\n"));
});

test("engine: nodes from an expression, env templates, inputs coerced, if conditions", async () => {
  const reg = registry();
  const { client } = fakeClient();
  const yaml = `name: ctx
nodes: \${{ fromJSON(env.NODES) }}
inputs:
  n: { type: number, default: 1 }
  go: { type: boolean, default: false }
env:
  TAG: "t-\${{ run.id }}-\${{ inputs.n }}"
steps:
  - id: a
    work: { value: "\${{ env.TAG }}" }
  - id: b
    if: \${{ inputs.go }}
    work: { value: "\${{ inputs.n }}" }
  - id: c
    if: inputs.n == 5
    work: { value: "\${{ node.host }}:\${{ node.port }}" }
`;
  const r = await runWorkflow(wf(yaml, reg), {
    client,
    steps: reg,
    env: { NODES: '["x", "y:7000"]' },
    inputs: { n: "5" },
  });
  assert.equal(r.status, "success");
  assert.deepEqual(r.nodes.map((n) => n.node), ["x", "y:7000"]);
  const [x, y] = r.nodes;
  assert.equal(x.steps[0].outputs?.value, `t-${r.run_id}-5`);
  assert.match(r.run_id, /^\d{8}-\d{6}-[0-9a-f]{6}$/);
  assert.equal(x.steps[1].status, "skipped");
  assert.equal(x.steps[2].outputs?.value, "x:6060");
  assert.equal(y.steps[2].outputs?.value, "y:7000");

  // A missing env variable is known before the first request: a located usage error, no step
  // runs (never left as text, never one failure per node).
  await assert.rejects(
    runWorkflow(wf("steps:\n  - work: { value: '${{ env.NOPE }}' }\n", reg), {
      client,
      steps: reg,
      env: {},
    }),
    (e: Error) =>
      e.name === "WorkflowError" && /t\.yaml:2:\d+: error: .*"NOPE" is not set/.test(e.message),
  );

  await assert.rejects(
    runWorkflow(wf(yaml, reg), { client, steps: reg, env: {}, inputs: { n: "five" } }),
    (e: Error) => e.name === "WorkflowError" && /input "n" must be a number/.test(e.message),
  );
  await assert.rejects(
    runWorkflow(wf(yaml, reg), { client, steps: reg, env: {}, inputs: { typo: "1" } }),
    /unknown input "typo"/,
  );
});
