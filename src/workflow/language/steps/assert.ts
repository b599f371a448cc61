/**
 * `assert`: fail with a message when a condition is false.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";

const assert: StepSpec = {
  type: "assert",
  description: "Fail the step with `message` when `that` (normally an expression such as " +
    "`${{ steps.done.exit_code == 0 }}`) is false. Sends no request.",
  method: "none",
  idempotent: true,
  fields: {
    that: {
      type: ["boolean", "string", "number"],
      description: 'The condition; false, 0, "", "false" and null fail.',
      required: true,
    },
    message: { type: "string", description: "The failure message.", default: "assertion failed" },
  },
  outputs: {},
  requests: () => [],
  run(_ctx, args) {
    const v = args.that;
    const ok = !(v === false || v === 0 || v === "" || v === null || v === undefined ||
      v === "false");
    if (!ok) {
      return Promise.reject(new AssertionFailed(String(args.message ?? "assertion failed")));
    }
    return Promise.resolve({});
  },
};

/** The failure of an `assert` step (never retried). */
class AssertionFailed extends Error {
  /**
   * Creates the error.
   * @param message the step's `message`
   */
  constructor(message: string) {
    super(message);
    this.name = "AssertionFailed";
  }
}

export default assert;
