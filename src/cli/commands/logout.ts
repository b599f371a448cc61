/**
 * `appmesh logout`: revoke the session's token and remove it from the cookie file.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { connect } from "../context.ts";
import { EXIT } from "../errors.ts";

/** `appmesh logout`. */
export const logout: Command = {
  spec: {
    name: "logout",
    summary: "revoke the session and forget it",
    flags: {},
    positionals: [],
    connects: true,
    examples: ["appmesh logout"],
  },
  async run(_args, globals) {
    const { client, conn } = await connect(globals);
    try {
      await client.ready();
      if (!client.token) {
        console.log(`not logged in (no session in ${conn.cookieFile})`);
        return EXIT.ok;
      }
      await client.logout();
      console.log(`logged out; session removed from ${conn.cookieFile}`);
      return EXIT.ok;
    } finally {
      await client.close();
    }
  },
};
