/**
 * `appmesh label ls|add|rm`: a node's labels (`appc label --view`, `--add -l k=v`,
 * `--delete -l k`).
 *
 * @module
 */

import type { Command } from "../command.ts";
import { JSON_FLAG, NODE_FLAG, pairs, withNode } from "./app_shared.ts";
import { EXIT } from "../errors.ts";

/** `appmesh label ls`. */
export const labelLs: Command = {
  spec: {
    name: "label ls",
    summary: "list a node's labels, one KEY=VALUE a line",
    flags: { node: NODE_FLAG, json: JSON_FLAG },
    positionals: [],
    connects: true,
    examples: ["appmesh label ls", "appmesh label ls --node 127.0.0.1:6061 --json"],
  },
  async run(args, globals) {
    const labels = await withNode(args.flags, globals, (client) => client.listLabels());
    if (args.flags.json === true) console.log(JSON.stringify(labels, null, 2));
    else for (const [k, v] of Object.entries(labels)) console.log(`${k}=${v}`);
    return EXIT.ok;
  },
};

/** `appmesh label add KEY=VALUE...`. */
export const labelAdd: Command = {
  spec: {
    name: "label add",
    summary: "set labels of a node (replacing a label of the same key)",
    flags: { node: NODE_FLAG },
    positionals: [{ name: "KEY=VALUE", required: true, variadic: true }],
    connects: true,
    examples: [
      "appmesh label add role=db zone=eu-1",
      "appmesh label add --node 127.0.0.1:6061 gpu=1",
    ],
  },
  async run(args, globals) {
    const labels = pairs(args.positionals, "label add");
    await withNode(args.flags, globals, async (client) => {
      for (const [k, v] of Object.entries(labels)) await client.addLabel(k, v);
    });
    return EXIT.ok;
  },
};

/** `appmesh label rm KEY...`. */
export const labelRm: Command = {
  spec: {
    name: "label rm",
    summary: "remove labels of a node (KEY, or KEY=VALUE as appc takes it)",
    flags: { node: NODE_FLAG },
    positionals: [{ name: "KEY", required: true, variadic: true }],
    connects: true,
    examples: ["appmesh label rm zone", "appmesh label rm --node 127.0.0.1:6061 gpu"],
  },
  async run(args, globals) {
    // appc strips a value (`--delete -l zone=eu-1`): the same line works here.
    const keys = args.positionals.map((k) => k.split("=")[0]);
    await withNode(args.flags, globals, async (client) => {
      for (const k of keys) await client.deleteLabel(k);
    });
    return EXIT.ok;
  },
};
