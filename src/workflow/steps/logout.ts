/**
 * `logout`: end the run's one session.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { req } from "../step_util.ts";

const logout: StepSpec = {
  type: "logout",
  description: "Log off (the server revokes the token) and forget the token in the cookie " +
    "file. Runs once per run, whichever node reaches it first.",
  method: "logout",
  session: true,
  idempotent: true,
  fields: {},
  outputs: { ok: "Whether the server accepted the logoff." },
  requests: () => [req("POST", "/appmesh/self/logoff")],
  async run(ctx) {
    return { ok: await ctx.session.logout() };
  },
};

export default logout;
