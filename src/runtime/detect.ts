/**
 * Which runtime runs this code: the one place that tells Deno, Bun, Node and a browser (or a
 * Worker) apart. It reads globals only, so importing it costs nothing anywhere.
 *
 * @example
 * ```ts
 * import { isBrowser, runtimeName } from "./detect.ts";
 *
 * console.log(runtimeName()); // "deno" under `deno test`
 * console.log(isBrowser()); // false
 * ```
 *
 * @module
 */

/** The runtimes the package tells apart; `"other"` is a browser page or Worker. */
export type RuntimeName = "deno" | "bun" | "node" | "other";

/**
 * Which runtime runs this code (Bun first: it also defines `process`).
 *
 * @example
 * ```ts
 * import { runtimeName } from "./detect.ts";
 *
 * console.assert(runtimeName() === "deno");
 * ```
 */
export function runtimeName(): RuntimeName {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (g.process?.versions?.node) return "node";
  return "other";
}

/**
 * True where there is no Deno, Bun or Node process: a browser page or a Worker (a bundler's
 * `process` shim has no `versions.node`, so it does not count).
 *
 * @example
 * ```ts
 * import { isBrowser } from "./detect.ts";
 *
 * console.assert(!isBrowser());
 * ```
 */
export function isBrowser(): boolean {
  return runtimeName() === "other";
}
