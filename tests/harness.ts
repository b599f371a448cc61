/**
 * One `test()` for both runtimes: `Deno.test` under Deno, `bun:test` under Bun.
 *
 * A test file that should also run under Bun imports `test` from here (never `Deno.test`
 * directly) and carries the marker comment `// @bun` on a line of its own, never the first
 * line (Bun reads a leading `// @bun` as "already compiled by Bun"); `tests/run.ts` collects
 * those files for the Bun pass.
 */

/** Options of one test. */
export interface TestOptions {
  /** Time limit in milliseconds under Bun (Deno has none); default 120 000. */
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
  skip?: boolean | "deno" | "bun";
}

type Fn = () => void | Promise<void>;

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" &&
  typeof (globalThis as { Bun?: unknown }).Bun === "undefined";

type BunTest = ((name: string, fn: Fn, timeout?: number) => void) & {
  skip(name: string, fn: Fn, timeout?: number): void;
};
const bunTest: BunTest | undefined = isDeno
  ? undefined
  : ((await import("bun:test" as string)) as { test: BunTest }).test;

/** The runtime running the tests. */
export const runtime: "deno" | "bun" = isDeno ? "deno" : "bun";

/** Registers a test with whichever runtime runs the file. */
export function test(name: string, fn: Fn, options: TestOptions = {}): void {
  const skip = options.skip === true || options.skip === runtime;
  if (isDeno) {
    Deno.test({
      name,
      fn,
      ignore: skip,
      sanitizeOps: options.sanitizeOps ?? false,
      sanitizeResources: options.sanitizeResources ?? false,
    });
  } else if (skip) {
    bunTest!.skip(name, fn, options.timeout ?? 120_000);
  } else {
    bunTest!(name, fn, options.timeout ?? 120_000);
  }
}
