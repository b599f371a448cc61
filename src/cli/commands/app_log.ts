/**
 * `appmesh app log NAME`: an application's stdout (`appc view -a NAME -o`), from the start;
 * with `--follow` it keeps reading until the process exits (`appc view -a NAME -o -f`).
 *
 * @module
 */

import type { Command } from "../command.ts";
import { NODE_FLAG, unknownApp, withNode } from "./app_shared.ts";
import { writeOut } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { guardInterrupts } from "../interrupts.ts";

/** Seconds the server may hold each `--follow` read (it answers at once on new output or exit). */
const FOLLOW_POLL_SECONDS = 1;

/** `appmesh app log NAME`. */
export const appLog: Command = {
  spec: {
    name: "app log",
    summary: "print an application's output (--follow: until its process exits)",
    description: `
Prints the output of the app's current process from its start (--index N: of the Nth
previous process, as kept by the node). Positions are byte offsets: each read continues where
the last one ended, so nothing is printed twice or skipped. --follow reads on until the
process exits; Ctrl-C stops following (exit 130).`,
    flags: {
      node: NODE_FLAG,
      follow: { type: "boolean", short: "f", description: "keep reading until the process exits" },
      index: {
        type: "string",
        short: "i",
        value: "N",
        description: "output of the Nth previous process (0: the current one; appc -i)",
      },
    },
    positionals: [{ name: "NAME", required: true }],
    connects: true,
    examples: ["appmesh app log backup", "appmesh app log -f backup --node 127.0.0.1:6061"],
  },
  async run(args, globals) {
    const [name] = args.positionals;
    const rawIndex = args.flags.index;
    if (typeof rawIndex === "string" && !/^\d+$/.test(rawIndex)) {
      throw new CliError(`--index expects a whole number, got '${rawIndex}'`, EXIT.usage);
    }
    const index = typeof rawIndex === "string" ? Number(rawIndex) : 0;
    // A past process's output no longer grows: following it is reading it.
    const follow = args.flags.follow === true && index === 0;
    const interrupts = follow ? guardInterrupts({ stopping: "stopping" }) : undefined;
    const encoder = new TextEncoder();
    try {
      return await withNode(args.flags, globals, async (client, node) => {
        let position = 0;
        for (;;) {
          let out;
          try {
            out = await client.getAppOutput(name, {
              stdoutPosition: position,
              stdoutIndex: index,
              timeout: follow ? FOLLOW_POLL_SECONDS : 0,
              ...(interrupts ? { signal: interrupts.signal } : {}),
            });
          } catch (e) {
            if (interrupts?.signal.aborted) return interrupts.exitCode() ?? EXIT.sigint;
            if ((e as { status?: number }).status === 417) {
              throw new CliError(
                `no output of app '${name}' on ${node}: ${
                  index ? `no process #${index} kept` : "it has no process yet"
                }`,
              );
            }
            throw unknownApp(e, name, node);
          }
          if (out.output) writeOut(out.output);
          // The server says where the next read starts; without it, the bytes just read.
          const next = out.outPosition ?? position + encoder.encode(out.output).byteLength;
          const moved = next !== position;
          position = next;
          if (moved) continue; // more may be waiting already (reads are capped in size)
          if (!follow || out.exitCode !== undefined) return EXIT.ok;
          if (interrupts?.signal.aborted) return interrupts.exitCode() ?? EXIT.sigint;
        }
      });
    } finally {
      interrupts?.dispose();
    }
  },
};
