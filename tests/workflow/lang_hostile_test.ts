// Hostile workflow files and expressions: each ends in seconds, in bounded memory, with a
// located error (issue 9). The files run in a child process with a time bound and their peak
// memory measured, the way `appmesh workflow validate` met them.
// @bun
// @node
import { runtime, test } from "../harness.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { evaluate, type ExprContext, ExprError, parse } from "../../src/workflow/expr/mod.ts";
import { MAX_DEPTH } from "../../src/workflow/expr/parser.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { MAX_ISSUES, WorkflowError } from "../../src/workflow/load/errors.ts";

const CTX: ExprContext = {
  env: {},
  secrets: {},
  inputs: { a: {} },
  run: { id: "r1", date: "2026-01-01", started: "2026-01-01T00:00:00Z" },
  steps: {},
  job: { status: "success" },
};

const CHILD = new URL("./_validate_child.ts", import.meta.url).pathname;
/** Generous for a loaded machine; before the fix these ran past 60 s at ~4 GB. */
const TIME_LIMIT_MS = 30_000;
const MEMORY_LIMIT_KB = 768 * 1024;

interface ChildResult {
  ms: number;
  peakKb: number;
  issues: number;
  omitted: number;
  text: string;
}

/** Validates `file` in a child process; killed (and the test failed) past TIME_LIMIT_MS. */
function validateInChild(file: string): Promise<ChildResult> {
  const args = runtime !== "deno" ? [CHILD, file] : ["run", "-A", CHILD, file];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => out += d);
  child.stderr.on("data", (d) => err += d);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`validating ${file} took more than ${TIME_LIMIT_MS} ms`));
    }, TIME_LIMIT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

async function withFile(
  name: string,
  data: string | Uint8Array,
  fn: (file: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-hostile-"));
  try {
    const file = join(dir, name);
    await writeFile(file, data);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function bounded(r: ChildResult): void {
  assert.ok(r.ms < TIME_LIMIT_MS, `took ${r.ms} ms`);
  if (Number.isFinite(r.peakKb)) assert.ok(r.peakKb < MEMORY_LIMIT_KB, `peak ${r.peakKb} KB`);
}

/** The 527-byte alias bomb of the report: nine levels of nine aliases each. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = "abcdefghi";
  for (let i = 1; i < 9; i++) {
    const prev = `*${names[i - 1]}`;
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(prev).join(", ")}]`);
  }
  lines.push("steps:", "  - assert:", "      that: ${{ true }}", "    env: *i");
  return lines.join("\n") + "\n";
}

test("hostile: a YAML alias bomb ends in seconds with a located error", async () => {
  const bomb = aliasBomb();
  assert.ok(bomb.length < 600);
  await withFile("bomb.yaml", bomb, async (file) => {
    const r = await validateInChild(file);
    bounded(r);
    assert.match(r.text, /bomb\.yaml:\d+:\d+: error: aliases expand to more than 10000 nodes/);
  });
});

test("hostile: a 200 KB binary file is a located not-UTF-8 error, not replaced text", async () => {
  // Deterministic "random" bytes: a linear congruential generator.
  const bytes = new Uint8Array(200 * 1024);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  await withFile("binary.yaml", bytes, async (file) => {
    const r = await validateInChild(file);
    bounded(r);
    assert.equal(r.issues, 1);
    assert.match(r.text, /binary\.yaml:\d+:\d+: error: not UTF-8 text: byte 0x[0-9A-F]{2}/);
    assert.ok(!r.text.includes("\uFFFD"));
  });
});

test("hostile: Latin-1 text is an error at the line and column of the first bad byte", async () => {
  const bytes = new Uint8Array([...new TextEncoder().encode("steps:\n  - logout:\n# caf"), 0xe9]);
  await withFile("latin1.yaml", bytes, async (file) => {
    const r = await validateInChild(file);
    assert.match(r.text, /latin1\.yaml:3:6: error: not UTF-8 text: byte 0xE9/);
  });
});

test("hostile: a file over the size limit is refused without being read whole", async () => {
  await withFile("huge.yaml", "#" + "x".repeat(12 * 1024 * 1024) + "\n", async (file) => {
    const r = await validateInChild(file);
    bounded(r);
    assert.ok(r.peakKb < 256 * 1024 || !Number.isFinite(r.peakKb), `peak ${r.peakKb} KB`);
    assert.match(r.text, /huge\.yaml: error: the workflow is more than 1048576 bytes/);
  });
});

test("hostile: thousands of errors: the first 100 are shown, then how many more", async () => {
  let yaml = "steps:\n";
  for (let i = 0; i < 20_000; i++) yaml += `  - bogus${i}: 1\n`;
  await withFile("many.yaml", yaml, async (file) => {
    const r = await validateInChild(file);
    bounded(r);
    assert.equal(r.issues, MAX_ISSUES);
    assert.equal(r.omitted, 20_000 - MAX_ISSUES);
    assert.match(r.text, /many\.yaml:2:5: error: unknown step type "bogus0"/);
    assert.match(r.text, /\n\.\.\. and 19900 more errors$/);
    assert.ok(r.text.length < 20_000, `${r.text.length} characters printed`);
  });
});

test("hostile: a 1 MB line is cut in the snippet, a long key in the message, caret in place", async () => {
  const yaml = `steps:\n  - run_sync:\n      command: x\n      comand: ${"y".repeat(1_000_000)}\n` +
    `  - ${"k".repeat(1_000)}: 1\n`;
  await withFile("long.yaml", yaml, async (file) => {
    const r = await validateInChild(file);
    bounded(r);
    assert.ok(r.text.length < 2_000, `${r.text.length} characters printed`);
    const lines = r.text.split("\n");
    assert.match(lines[0], /long\.yaml:4:7: error: unknown key "comand"/);
    assert.match(lines[1], / 4 \| {7}comand: y+…$/);
    assert.equal(lines[2], "   |       ^^^^^^");
    assert.match(lines[3], /long\.yaml:5:5: error: unknown step type "k{250,}…/);
    assert.ok(lines[3].length < 400);
  });
});

test("expr: 10k parentheses, 100k &&, 5000 nested calls: 'nested too deeply', never a stack overflow", () => {
  const cases = [
    "(".repeat(10_000) + "true" + ")".repeat(10_000),
    Array(100_000).fill("true").join(" && "),
    "toJSON(".repeat(5_000) + "1" + ")".repeat(5_000),
    "!".repeat(10_000) + "true",
    "inputs" + ".a".repeat(100_000),
    "inputs" + "['a']".repeat(100_000),
  ];
  for (const source of cases) {
    for (const fn of [() => parse(source), () => evaluate(source, CTX)]) {
      assert.throws(fn, (e: unknown) => {
        assert.ok(
          e instanceof ExprError,
          `${(e as Error)?.name}: ${(e as Error)?.message?.slice(0, 80)}`,
        );
        assert.match(e.reason, /^expression nested too deeply/);
        assert.ok(e.offset > 0 && e.offset < source.length);
        assert.ok(e.message.length < source.length + 200);
        return true;
      });
    }
  }
  // Right at the limit still parses and evaluates.
  const deep = "(".repeat(MAX_DEPTH - 1) + "1" + ")".repeat(MAX_DEPTH - 1);
  assert.equal(evaluate(deep, CTX), 1);
  assert.equal(evaluate(Array(MAX_DEPTH).fill("true").join(" && "), CTX), true);
});

test("expr: a deep expression in a workflow is a located error, not 'bad expression: undefined'", () => {
  const deep = "(".repeat(10_000) + "true" + ")".repeat(10_000);
  const yaml = `steps:\n  - assert:\n      that: \${{ ${deep} }}\n  - assert:\n      that: \${{ ${
    Array(100_000).fill("true").join(" && ")
  } }}\n`;
  assert.throws(() => parseWorkflow(yaml, { file: "deep.yaml" }), (e: unknown) => {
    assert.ok(e instanceof WorkflowError);
    assert.equal(e.issues.length, 2);
    for (const [i, line] of [[0, 3], [1, 5]]) {
      assert.equal(e.issues[i].line, line);
      assert.ok(e.issues[i].col > 10);
      assert.match(e.issues[i].message, /expression nested too deeply/);
    }
    assert.doesNotMatch(e.format(), /undefined|call stack/i);
    assert.ok(e.format().length < 2_000);
    return true;
  });
});

test("hostile: escape sequences and bidi overrides in a file never reach the terminal", async () => {
  const { parseInventory } = await import("../../src/workflow/inventory/inventory.ts");
  // A key that sets the terminal's title (OSC) and one that turns text red (CSI), written as
  // YAML escapes and raw; a right-to-left override that would reorder the line shown.
  const files = [
    'name: h\nsteps:\n  - "evil\\u001b]0;pwned\\u0007": {}\n',
    'name: h\nsteps:\n  - "evil\u001b]0;pwned\u0007": {}\n',
    'name: h\n"a\u202eb": 1\nsteps:\n  - run_sync: { command: echo }\n',
  ];
  // deno-lint-ignore no-control-regex
  const unseen = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
  const seen: string[] = [];
  const check = (e: unknown) => {
    assert.ok(e instanceof WorkflowError, String(e));
    for (const text of [e.message, e.format(), e.format({ color: true })]) {
      for (const line of text.split("\n")) {
        // Colour codes of our own are the only escapes (with color: true).
        // deno-lint-ignore no-control-regex
        assert.doesNotMatch(line.replace(/\x1b\[[0-9;]*m/g, ""), unseen, JSON.stringify(line));
      }
    }
    seen.push(e.message);
    return true;
  };
  for (const text of files) assert.throws(() => parseWorkflow(text, { file: "h.yaml" }), check);
  assert.throws(
    () => parseInventory('nodes:\n  "x\\u001b[31m": {}\n', { file: "inv.yaml" }),
    check,
  );
  assert.match(seen[0], /"evil\\u001b\]0;pwned\\u0007"/);
  assert.match(seen[3], /"x\\u001b\[31m"/);
});
