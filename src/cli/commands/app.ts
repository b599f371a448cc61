/**
 * `appmesh app ls|view|rm|enable|disable`: one application at a time, as `appc` users manage
 * them (`app add` is in app_add.ts, `app log` in app_log.ts). Every one takes `--node HOST`.
 *
 * @module
 */

import type { Command } from "../command.ts";
import type { AppMeshClient } from "../../client/client.ts";
import { apps } from "./apps.ts";
import { JSON_FLAG, noApp, NODE_FLAG, unknownApp, withNode } from "./app_shared.ts";
import { CliError, EXIT, reportError } from "../errors.ts";
import { canPrompt, prompt } from "../prompt.ts";

/** `appmesh app ls`: `appmesh apps` under the name `appc` users look for. */
export const appLs: Command = {
  spec: {
    ...apps.spec,
    name: "app ls",
    examples: ["appmesh app ls", "appmesh app ls --node 127.0.0.1:6061 --json"],
  },
  run: apps.run,
};

/** `appmesh app view NAME`. */
export const appView: Command = {
  spec: {
    name: "app view",
    summary: "show one application (YAML, or JSON with --json)",
    flags: { node: NODE_FLAG, json: JSON_FLAG },
    positionals: [{ name: "NAME", required: true }],
    connects: true,
    examples: ["appmesh app view backup", "appmesh app view backup --json | jq .status"],
  },
  async run(args, globals) {
    const [name] = args.positionals;
    const app = await withNode(args.flags, globals, async (client, node) => {
      try {
        return await client.getApp(name);
      } catch (e) {
        throw unknownApp(e, name, node);
      }
    });
    if (args.flags.json === true) {
      console.log(JSON.stringify(app, null, 2));
    } else {
      // What appc prints too: the app as YAML, each field on its line.
      const { stringify } = await import("yaml");
      console.log(stringify(app, { lineWidth: 0 }).trimEnd());
    }
    return EXIT.ok;
  },
};

const YES_FLAGS = {
  yes: { type: "boolean", short: "y", description: "do not ask (needed without a terminal)" },
  force: { type: "boolean", short: "f", description: "the same as --yes (appc's -f)" },
} as const;

/** `appmesh app rm NAME...`. */
export const appRm: Command = {
  spec: {
    name: "app rm",
    summary: "remove applications (asks on a terminal; --yes or -f in scripts)",
    description: `
On a terminal it asks before removing. Without one (cron, CI, a pipe) it never waits for an
answer: without --yes or -f it removes nothing and exits 2, so a script that forgot the flag
fails loudly instead of silently doing nothing. An unknown name is one line and exit 1 (the
other names are still removed).`,
    flags: { node: NODE_FLAG, ...YES_FLAGS },
    positionals: [{ name: "NAME", required: true, variadic: true }],
    connects: true,
    examples: ["appmesh app rm backup", "appmesh app rm -f backup old-backup"],
  },
  async run(args, globals) {
    const names = args.positionals;
    const yes = args.flags.yes === true || args.flags.force === true;
    if (!yes && !canPrompt()) {
      throw new CliError(
        "app rm asks before removing and there is no terminal to ask on; pass --yes (or -f)",
        EXIT.usage,
      );
    }
    return await withNode(args.flags, globals, async (client, node) => {
      if (!yes) {
        const answer = await prompt(`Remove ${names.join(", ")} on ${node}? [y/N] `, {
          instead: "pass --yes (or -f)",
        });
        if (!/^y(es)?$/i.test(answer.trim())) {
          console.error("nothing removed");
          return EXIT.ok;
        }
      }
      let code: number = EXIT.ok;
      for (const name of names) {
        if (!(await client.deleteApp(name))) {
          console.error(`appmesh: ${noApp(name, node)}`);
          code = EXIT.failed;
        }
      }
      return code;
    });
  },
};

function toggle(enable: boolean): Command {
  const verb = enable ? "enable" : "disable";
  return {
    spec: {
      name: `app ${verb}`,
      summary: `${verb} applications${enable ? " (starts them)" : " (stops their processes)"}`,
      flags: {
        node: NODE_FLAG,
        all: { type: "boolean", short: "A", description: `${verb} every application of the node` },
      },
      positionals: [{ name: "NAME", variadic: true }],
      connects: true,
      examples: [`appmesh app ${verb} backup`, `appmesh app ${verb} --all --node 127.0.0.1:6061`],
    },
    async run(args, globals) {
      const all = args.flags.all === true;
      if (all === (args.positionals.length > 0)) {
        throw new CliError(`app ${verb}: give NAME... or --all (one of them)`, EXIT.usage);
      }
      return await withNode(args.flags, globals, async (client: AppMeshClient, node) => {
        const names = all
          ? (await client.listApps()).map((a) => a.name).filter((n): n is string => !!n)
          : args.positionals;
        let code: number = EXIT.ok;
        for (const name of names) {
          try {
            await (enable ? client.enableApp(name) : client.disableApp(name));
          } catch (e) {
            // One failed name does not stop the others; each says why on its line.
            code = Math.max(code, reportError(unknownApp(e, name, node)));
          }
        }
        return code;
      });
    },
  };
}

/** `appmesh app enable NAME...`. */
export const appEnable: Command = toggle(true);
/** `appmesh app disable NAME...`. */
export const appDisable: Command = toggle(false);
