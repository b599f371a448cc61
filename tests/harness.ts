/**
 * One `test()` for three runtimes: `Deno.test` under Deno, `bun:test` under Bun, `node:test`
 * under Node.
 *
 * A test file that should also run under Bun imports `test` from here (never `Deno.test`
 * directly) and carries the marker comment `// @bun` on a line of its own, never the first
 * line (Bun reads a leading `// @bun` as "already compiled by Bun"); `tests/run.ts` collects
 * those files for the Bun pass. The marker `// @node` likewise puts a file in the Node pass
 * (`node --test`, Node 22.18+ running the `.ts` files with its type stripping).
 */

/** Options of one test. */
export interface TestOptions {
  /** Time limit in milliseconds under Bun and Node (Deno has none); default 120 000. */
  timeout?: number;
  /** Deno's op sanitizer; off by default because the local server keeps timers. */
  sanitizeOps?: boolean;
  /** Deno's resource sanitizer; off by default for the same reason. */
  sanitizeResources?: boolean;
  /**
   * Skip the test (`true`, or the runtime it does not apply to). A skipped test is reported
   * and counted as skipped by both runners and by `tests/run.ts`, never as passed: a test
   * that cannot run somewhere says so instead of returning early.
   */
  skip?: boolean | Runtime | Runtime[];
}

type Fn = () => void | Promise<void>;
/** A runtime that runs the suite. */
export type Runtime = "deno" | "bun" | "node";

import { AsyncLocalStorage } from "node:async_hooks";
import { runtimeName } from "../src/runtime/detect.ts";

const isDeno = runtimeName() === "deno";
const isNode = runtimeName() === "node";

type BunTest = ((name: string, fn: Fn, timeout?: number) => void) & {
  skip(name: string, fn: Fn, timeout?: number): void;
};
const bunTest: BunTest | undefined = isDeno || isNode
  ? undefined
  : ((await import("bun:test" as string)) as { test: BunTest }).test;

type NodeTest = (name: string, options: { skip: boolean; timeout: number }, fn: Fn) => void;
const nodeTest: NodeTest | undefined = isNode
  ? ((await import("node:test")) as unknown as { test: NodeTest }).test
  : undefined;

/** The runtime running the tests. */
export const runtime: Runtime = isDeno ? "deno" : isNode ? "node" : "bun";

/** The clean-ups registered by the running test (`afterTest`), per test even if they overlap. */
const cleanups = new AsyncLocalStorage<(() => unknown)[]>();

/**
 * Runs `fn` when the current test ends, passed or failed (last registered, first run): a
 * server a helper started is stopped even when an assertion fails before the test's own
 * `close()`, so a failing file ends instead of waiting for its time limit. Outside a test it
 * does nothing.
 */
export function afterTest(fn: () => unknown): void {
  cleanups.getStore()?.push(fn);
}

/** `fn` with the clean-ups it registers (`afterTest`) run when it ends, however it ends. */
export function withCleanups(fn: Fn): () => Promise<void> {
  return async () => {
    const stack: (() => unknown)[] = [];
    try {
      await cleanups.run(stack, fn);
    } finally {
      while (stack.length) await Promise.resolve().then(stack.pop()!).catch(() => {});
    }
  };
}

/** Registers a test with whichever runtime runs the file. */
export function test(name: string, body: Fn, options: TestOptions = {}): void {
  const fn = withCleanups(body);
  const skip = options.skip === true || options.skip === runtime ||
    (Array.isArray(options.skip) && options.skip.includes(runtime));
  if (isDeno) {
    Deno.test({
      name,
      fn,
      ignore: skip,
      sanitizeOps: options.sanitizeOps ?? false,
      sanitizeResources: options.sanitizeResources ?? false,
    });
  } else if (nodeTest) {
    nodeTest(name, { skip, timeout: options.timeout ?? 120_000 }, fn);
  } else if (skip) {
    bunTest!.skip(name, fn, options.timeout ?? 120_000);
  } else {
    bunTest!(name, fn, options.timeout ?? 120_000);
  }
}
