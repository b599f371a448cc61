/**
 * `login`: the run's one session. Runs once per run, whichever node reaches it first.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { optDuration, optStr, str, toSeconds } from "../step_util.ts";

const login: StepSpec = {
  type: "login",
  description: "Log in to the server once for the whole run (all nodes share the session; " +
    "nodes an inventory reaches `via:` another entry server: once per entry server). " +
    "Skipped when the cookie file already holds a token of this user that is valid for long " +
    "enough (renewed when it is close to expiry); `force: true` always logs in. A TOTP code " +
    "comes from `totp_code` or is computed from `totp_secret`.",
  method: "login",
  session: true,
  idempotent: true,
  fields: {
    user: { type: "string", description: "User name.", required: true },
    password: {
      type: "string",
      description: "Password (a secret: `${{ secrets.NAME }}`).",
      secret: true,
    },
    totp_code: {
      type: "string",
      description: "A current TOTP code (a secret or an input).",
      secret: true,
    },
    totp_secret: {
      type: "string",
      description: "The TOTP secret (base32); the runner computes the code (RFC 6238).",
      secret: true,
    },
    expire: {
      type: "duration",
      description: "Lifetime of the token asked for (ISO 8601 or seconds). A token held in " +
        "the cookie file with less than half of it left is renewed.",
      default: "P1W",
    },
    audience: { type: "string", description: "Token audience (the server's default when absent)." },
    force: {
      type: "boolean",
      description: "Log in even when the cookie file holds a valid token.",
      default: false,
    },
  },
  outputs: {
    session: "How the session was obtained: `performed`, `reused` or `renewed`.",
    user: "The user name.",
  },
  requests: () => [
    { endpoint: "login", note: "skipped when the cookie file holds a valid token" },
  ],
  async run(ctx, args) {
    const user = str(args, "user");
    const expire = optDuration(args, "expire");
    const how = await ctx.session.login({
      user,
      password: optStr(args, "password"),
      totpCode: optStr(args, "totp_code"),
      totpSecret: optStr(args, "totp_secret"),
      expire: expire === undefined ? undefined : toSeconds(expire),
      audience: optStr(args, "audience"),
      force: args.force === true,
    });
    return { session: how, user };
  },
};

export default login;
