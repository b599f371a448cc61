/**
 * `appmesh run`: run a command on a node as a temporary app, stream its output here, and
 * exit with its exit code. Ctrl-C stops waiting and deletes the temporary app.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { shellQuote } from "../args.ts";
import { connect, writeOut } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { guardInterrupts } from "../interrupts.ts";

/**
 * Seconds each output poll may be held by the server: App Mesh answers a poll only when the
 * process exits or this passes, so output shows within about this long of being printed.
 */
const OUTPUT_POLL_SECONDS = 1;

/** Maps a remote exit code to a process exit code (signal deaths are negative: 128 + n). */
export function localExitCode(code: number): number {
  return code < 0 ? Math.min(255, 128 - code) : code & 255;
}

/**
 * The command line the node's shell runs: one argument is a command line as written
 * (`appmesh run 'df -h / | tail -1'`); several are an argv, each quoted for the shell
 * (`appmesh run -- sh -c 'echo a; exit 4'` runs exactly that).
 *
 * @example
 * ```ts
 * import { commandLine } from "./run.ts";
 * commandLine(["sh", "-c", "echo a; exit 4"]); // "sh -c 'echo a; exit 4'"
 * commandLine(["df -h /"]); // "df -h /"
 * ```
 */
export function commandLine(args: readonly string[]): string {
  if (args.length === 1) return args[0];
  return args.map(shellQuote).join(" ");
}

/** `appmesh run`. */
export const run: Command = {
  spec: {
    name: "run",
    summary: "run a command on a node, stream its output, exit with its exit code",
    description: `
The command runs through a shell on the node, as a temporary app that is deleted afterwards
(also on Ctrl-C). One argument is a command line, as written ('df -h / | tail -1'); several
are a command and its arguments, each quoted for the shell. Put -- before a command that has
flags of its own: appmesh run -- uname -a.`,
    flags: {
      node: { type: "string", value: "HOST", description: "run on this node (X-Target-Host)" },
      "max-time": {
        type: "string",
        value: "DURATION",
        description: "kill the command after DURATION (ISO 8601 or seconds)",
      },
      "working-dir": { type: "string", value: "DIR", description: "working directory on the node" },
      env: {
        type: "string",
        multiple: true,
        value: "KEY=VALUE",
        description: "environment variable for the command (repeatable)",
      },
    },
    positionals: [{ name: "COMMAND", required: true, variadic: true }],
    connects: true,
    passthrough: true,
    examples: [
      "appmesh run -- uname -a",
      "appmesh run --node 127.0.0.1:6061 'df -h /'",
    ],
  },
  async run(args, globals) {
    const f = args.flags;
    const command = commandLine(args.positionals);
    const env: Record<string, string> = {};
    for (const kv of (f.env as string[] | undefined) ?? []) {
      const i = kv.indexOf("=");
      if (i <= 0) throw new CliError(`flag --env expects KEY=VALUE, got '${kv}'`, EXIT.usage);
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const maxTime = f["max-time"] as string | undefined;
    const { client: base } = await connect(globals, { session: true });
    const node = f.node as string | undefined;
    const client = node ? base.forNode(node) : base;
    const interrupts = guardInterrupts({
      stopping: "stopping; deleting the temporary app",
      leaves: "the temporary app may be left on the node",
    });
    try {
      const app: Record<string, unknown> = { command, shell: true };
      if (Object.keys(env).length) app.env = env;
      if (typeof f["working-dir"] === "string") app.working_dir = f["working-dir"];
      // Not aborted by an interrupt: the server may already have started the process when the
      // answer is cut off, and then its app could not be named for deletion. The answer comes at
      // once; an interrupt meanwhile is acted on right after it (a hung server is left to the
      // request timeout, or to a second interrupt, which abandons).
      const started = await client.runAppAsync(app, {
        ...(maxTime ? { maxTime: /^\d+$/.test(maxTime) ? Number(maxTime) : maxTime } : {}),
      });
      let code: number | undefined;
      try {
        interrupts.signal.throwIfAborted();
        code = await started.wait({
          onOutput: (chunk: string) => writeOut(chunk),
          pollTimeout: OUTPUT_POLL_SECONDS,
          signal: interrupts.signal,
        });
      } catch (e) {
        if (interrupts.signal.aborted) {
          // The temporary app must not outlive the interrupted command; a later interrupt
          // (after the grace period) abandons the deletion.
          const deleted = await client.deleteApp(started.appName, { signal: interrupts.abandon })
            .then(() => true, () => false);
          console.error(
            `\nappmesh: ${interrupts.received()}: stopped; app ${started.appName} ${
              deleted ? "deleted" : "left on the node"
            }`,
          );
          return interrupts.exitCode() ?? EXIT.sigint;
        }
        throw e;
      }
      if (code === undefined) {
        await client.deleteApp(started.appName).catch(() => false);
        throw new CliError(`no exit code from ${started.appName} (timed out)`, EXIT.failed);
      }
      return localExitCode(code);
    } catch (e) {
      if (interrupts.signal.aborted) return interrupts.exitCode() ?? EXIT.sigint;
      throw e;
    } finally {
      interrupts.dispose();
      await base.close();
    }
  },
};
