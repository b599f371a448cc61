/**
 * Secret masking in the engine's output path, as pure logic (a step type of the test's own
 * feeds output chunks; no server): a secret split across two chunks, a chunk over the line
 * buffer's limit without a newline, and a secret in its URL-encoded and JSON-escaped forms.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { runWorkflow } from "../../src/workflow/run/engine.ts";
import { toJUnit } from "../../src/workflow/report/report.ts";
import { Masker } from "../../src/workflow/run/secrets.ts";
import type { StepSpec, WorkflowEvent } from "../../src/workflow/language/spec.ts";
import type { AppMeshClient } from "../../src/client/client.ts";
import { OUTPUT_CAP } from "../../src/workflow/language/step_util.ts";
import { nodesLine, world } from "./engine_helpers.ts";

const SECRET = "hunter2-secret";

/** A client that is never asked anything (the steps below make no request). */
const client = {
  baseUrl: "https://127.0.0.1:6060",
  token: undefined,
  forNode: () => client,
  ready: () => Promise.resolve(),
  close: () => Promise.resolve(),
} as unknown as AppMeshClient;

/** `chunks`: emits each of `args.chunks` as one output chunk, as a process's output arrives. */
const chunks: StepSpec = {
  type: "chunks",
  description: "test only: emit output chunks",
  method: "none",
  fields: { chunks: { type: "array", description: "the chunks" } },
  outputs: {},
  run(ctx, args) {
    for (const c of args.chunks as string[]) ctx.emit({ type: "step_output", message: c });
    return Promise.resolve({});
  },
};

/** `fails`: fails with `args.message`, returning nothing. */
const fails: StepSpec = {
  type: "fails",
  description: "test only: fail with a message",
  method: "none",
  fields: { message: { type: "string", description: "the message" } },
  outputs: {},
  run(_ctx, args) {
    return Promise.reject(new Error(String(args.message)));
  },
};

const STEPS = { chunks, fails };

async function run(chunkList: string[], secrets: Record<string, string> = { PW: SECRET }) {
  const events: WorkflowEvent[] = [];
  const wf = parseWorkflow(`name: chunks\nsteps:\n  - chunks: { chunks: [] }\n`, {
    file: "t.yaml",
    registry: STEPS,
  });
  wf.steps[0].with.chunks = chunkList;
  const report = await runWorkflow(wf, {
    client,
    steps: STEPS,
    env: {},
    secrets,
    onEvent: (e) => events.push(e),
  });
  const output = events.filter((e) => e.type === "step_output").map((e) => e.message!);
  return { report, events, output };
}

test("secrets: a secret split across two output chunks is masked", async () => {
  const { report, output } = await run(["pw=hun", "ter2-secret\n"]);
  assert.equal(report.status, "success");
  assert.deepEqual(output, ["pw=***\n"]);
});

test("secrets: output over the line limit without a newline never shows part of a secret", async () => {
  const big = "x".repeat(70 * 1024);
  // The first chunk alone is over the limit and ends in the first half of the secret.
  {
    const { output } = await run([big + "pw=hun", "ter2-secret and more\n"]);
    assert.equal(output.join(""), `${big}pw=*** and more\n`);
    assert.ok(output.length >= 2, "the long chunk was shown before the line ended");
    for (const o of output) assert.ok(!/hun$|^ter2/.test(o), "a piece of the secret was shown");
  }
  // The secret sits where the buffer would cut a chunk over the limit: it stays whole.
  {
    const { output } = await run([big + "pw=" + SECRET + "!", "end\n"]);
    assert.equal(output.join(""), `${big}pw=***!end\n`);
    for (const o of output) assert.ok(!o.includes("hun") && !o.includes("ter2"));
  }
  // Output that never ends its line is flushed whole when the step ends.
  {
    const { output } = await run([big + "pw=" + SECRET]);
    assert.equal(output.join(""), `${big}pw=***`);
  }
});

test("secrets: URL-encoded and JSON-escaped forms are masked in events and reports", async () => {
  const secret = 'p/w +&%ü"x\\';
  const forms = [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ a: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(secret).slice(1, -1).replace("ü", "\\u00fc"),
  ];
  const events: WorkflowEvent[] = [];
  const wf = parseWorkflow(
    `name: forms
steps:
  - id: out
    chunks: { chunks: [] }
    continue_on_error: true
  - fails: { message: "" }
`,
    { file: "t.yaml", registry: STEPS },
  );
  wf.steps[0].with.chunks = forms.map((f) => `GET /appmesh/app/${f}\n`);
  wf.steps[1].with.message = `404 https://h:6060/appmesh/app/${forms[1]}: ` +
    JSON.stringify({ message: `No such application ${secret}` });
  const report = await runWorkflow(wf, {
    client,
    steps: STEPS,
    env: {},
    secrets: { PW: secret },
    onEvent: (e) => events.push(e),
  });
  assert.equal(report.status, "failure");
  const all = [JSON.stringify(events), JSON.stringify(report), toJUnit(report)].join("\n");
  for (const f of forms) assert.ok(!all.includes(f), `leaked as ${f}`);
  const output = events.filter((e) => e.type === "step_output").map((e) => e.message).join("");
  assert.equal(output, "GET /appmesh/app/***\n".repeat(forms.length));
  assert.match(report.nodes[0].error!, /appmesh\/app\/\*\*\*: .*No such application \*\*\*/);
});

test("secrets: Masker.safeCut never cuts through a secret and holds back a possible start", () => {
  const m = new Masker([SECRET]);
  const text = `a ${SECRET} b pw=hun`;
  const cut = m.safeCut(text);
  assert.equal(m.mask(text.slice(0, cut)), "a *** b pw=");
  assert.equal(text.slice(cut), "hun");
  // A whole secret whose end could also begin another one: the cut moves past it.
  const overlap = new Masker(["abcab"]);
  assert.equal(overlap.safeCut("xxabcab"), 7);
  assert.equal(overlap.safeCut("xxabca"), 2);
  assert.equal(new Masker().safeCut("no secrets"), "no secrets".length);
});

test("secrets: captured output cut to its last 1 MiB inside a secret shows no piece of it", async () => {
  const w = await world(1);
  try {
    // The secret, then exactly enough output for the kept tail to start at "ter2-secret".
    const fill = OUTPUT_CAP - "ter2-secret".length;
    const yaml = `name: capped
${nodesLine(w.nodes)}steps:
  - login: { user: admin, password: '\${{ secrets.PW }}' }
  - id: big
    run_sync:
      command: printf 'pw=%s' "$S"; head -c ${fill} /dev/zero | tr '\\0' y
      shell: true
      env: { S: "\${{ secrets.S }}" }
`;
    const { report } = await w.run(yaml, { secrets: { PW: "admin123", S: SECRET } });
    assert.equal(report.status, "success", JSON.stringify(report.nodes[0]).slice(0, 500));
    const out = report.nodes[0].steps[1].outputs!;
    assert.equal(out.stdout_truncated, true);
    const stdout = String(out.stdout);
    assert.equal(stdout.length, "***".length + fill);
    assert.ok(stdout.startsWith("***y"), stdout.slice(0, 40));
    assert.ok(!stdout.includes("ter2") && !stdout.includes("secret"), stdout.slice(0, 40));
  } finally {
    await w.close();
  }
});
