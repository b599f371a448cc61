/**
 * `logout`: end the run's one session.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";

const logout: StepSpec = {
  type: "logout",
  description: "Log off (the server revokes the token) and forget the token in the cookie " +
    "file. Runs once per run: when the first node reaches it, the log-off is scheduled for " +
    "the end of the run, after every node has finished (logging off earlier would cut the " +
    "session of the nodes still running).",
  method: "logout",
  session: true,
  idempotent: true,
  fields: {},
  outputs: { deferred: "true: the log-off happens at the end of the run." },
  async run(ctx) {
    // The engine never calls this (it defers the log-off, see above); other callers log off now.
    await ctx.session.logout();
    return { deferred: false };
  },
};

export default logout;
