/**
 * `appmesh login`: log in once and keep the session in the cookie file, so that later
 * commands and cron runs need no password. Password and TOTP code are asked on a terminal
 * only (never echoed); scripts use `--password-stdin`.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { connect, type Connected } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { canPrompt, prompt, readStdinSecret } from "../prompt.ts";
import { envVar } from "../../runtime/env.ts";

/** `appmesh login`. */
export const login: Command = {
  spec: {
    name: "login",
    summary: "log in and save the session in the cookie file",
    description: `
The user comes from --user, else $APPMESH_USER, else a prompt. The password is asked on a
terminal (not echoed) or read from stdin with --password-stdin; it is never taken from a flag.
When the account has TOTP enabled, the code is asked on a terminal or given with --totp.
exit codes: 0 logged in, 2 usage (e.g. no terminal to ask on), 3 login refused or server unreachable.`,
    flags: {
      user: { type: "string", short: "u", value: "USER", description: "user name" },
      "password-stdin": {
        type: "boolean",
        description: "read the password from stdin (for scripts)",
      },
      totp: { type: "string", value: "CODE", description: "TOTP code (6 digits)" },
      expire: {
        type: "string",
        value: "DURATION",
        description: "session lifetime, ISO 8601 or seconds (default P1W)",
      },
      audience: { type: "string", value: "AUD", description: "token audience" },
    },
    positionals: [],
    connects: true,
    examples: [
      "appmesh login --url https://gateway:6060 --ca ca.pem -u admin",
      'printf %s "$PASS" | appmesh login -u admin --password-stdin --expire P30D',
    ],
  },
  async run(args, globals) {
    const f = args.flags;
    // The connection first: a bad --url or --ca fails before a password is asked for.
    const { client, conn } = await connect(globals);
    if (!conn.cookieFile) {
      await client.close();
      throw new CliError(
        "nowhere to save the session: $HOME is not set; pass --cookie-file FILE",
        EXIT.usage,
      );
    }
    try {
      return await loginWith(client, conn, f);
    } finally {
      await client.close();
    }
  },
};

async function loginWith(
  client: Connected["client"],
  conn: Connected["conn"],
  f: Parameters<Command["run"]>[0]["flags"],
): Promise<number> {
  let user = (f.user as string | undefined) ?? envVar("APPMESH_USER") ?? undefined;
  const fromStdin = f["password-stdin"] === true;
  if (!user) {
    user = await prompt("User: ", { instead: "pass --user" });
  }
  if (!user) throw new CliError("no user name given", EXIT.usage);
  const password = fromStdin
    ? await readStdinSecret()
    : await prompt(`Password for ${user}: `, { hidden: true, instead: "use --password-stdin" });
  const expireFlag = f.expire as string | undefined;
  const expire = expireFlag === undefined
    ? undefined
    : /^\d+$/.test(expireFlag)
    ? Number(expireFlag)
    : expireFlag;
  const totpCode = f.totp as string | undefined;
  const audience = f.audience as string | undefined;
  const challenge = await client.login(user, password, { totpCode, expire, audience });
  if (challenge) {
    if (!canPrompt()) {
      throw new CliError(
        `user ${user} needs a TOTP code and there is no terminal to ask on; pass --totp CODE`,
        EXIT.unreachable,
      );
    }
    const code = await prompt("TOTP code: ", { hidden: true, instead: "pass --totp CODE" });
    await client.validateTotp(user, challenge, code, { expire });
  }
  const until = client.tokenExpiresAt;
  console.log(
    `logged in as ${user} at ${conn.url}; session saved in ${conn.cookieFile}${
      until ? ` (valid until ${until.toISOString()})` : ""
    }`,
  );
  return EXIT.ok;
}
