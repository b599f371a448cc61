/**
 * `check_app_health`: is an app healthy?
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { str } from "../step_util.ts";

const checkAppHealth: StepSpec = {
  type: "check_app_health",
  description: "Ask whether an app is healthy (its `health_check_cmd` passes, or it runs). " +
    "With `require: true` an unhealthy app fails the step (combine with `retry` to wait for " +
    "it); otherwise test the `healthy` output.",
  method: "checkAppHealth",
  idempotent: true,
  fields: {
    name: { type: "string", description: "App name.", required: true },
    require: {
      type: "boolean",
      description: "Fail the step when the app is not healthy.",
      default: false,
    },
  },
  outputs: { healthy: "true when healthy." },
  async run(ctx, args) {
    const name = str(args, "name");
    const healthy = await ctx.client.checkAppHealth(name, { signal: ctx.signal });
    if (!healthy && args.require === true) throw new UnhealthyError(name);
    return { healthy };
  },
};

/** An app reported unhealthy under `require: true`; retried like a 5xx (it may recover). */
class UnhealthyError extends Error {
  /** Always retryable. */
  readonly retryable = true;
  /**
   * Creates the error.
   * @param name the app
   */
  constructor(name: string) {
    super(`app ${name} is not healthy`);
    this.name = "UnhealthyError";
  }
}

export default checkAppHealth;
