/**
 * `appmesh devserver`: start the local App Mesh–compatible server (N nodes on consecutive
 * ports), print its URLs, CA path and logins, and run until Ctrl-C or SIGTERM.
 *
 * @module
 */

import { UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import { guardInterrupts } from "../interrupts.ts";
import { EXIT } from "../errors.ts";
import { formatUsage } from "../args.ts";

function intFlag(v: unknown, name: string, min: number, max: number, usage: string) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`flag --${name}: expected an integer ${min}..${max}, got '${v}'`, usage);
  }
  return n;
}

/** `appmesh devserver`. */
export const devserver: Command = {
  spec: {
    name: "devserver",
    summary: "run a local App Mesh-compatible server (for trying workflows and tests)",
    description: `
Node k listens on PORT+k-1; all nodes share one JWT key and forward to each other
(X-Target-Host). HTTPS by default with a CA generated into the state directory (its path is
printed). Default users: admin/admin123, mesh/mesh123, test/test123. Stops on Ctrl-C/SIGTERM.`,
    flags: {
      port: { type: "string", value: "PORT", description: "first node's port (default 6060)" },
      nodes: { type: "string", value: "N", description: "number of nodes (default 1)" },
      "forwarded-nodes": {
        type: "string",
        value: "N",
        description: "nodes reached only through forwarding (X-Target-Host 127.0.0.1:61000 up)",
      },
      state: {
        type: "string",
        value: "DIR",
        description: "state directory: certificates, files (default: a temporary one)",
      },
      "no-tls": { type: "boolean", description: "serve plain HTTP" },
      security: {
        type: "string",
        value: "FILE",
        description: "users and roles from a security.yaml-shaped file",
      },
      host: { type: "string", value: "ADDR", description: "bind address (default 127.0.0.1)" },
    },
    positionals: [],
    examples: [
      "appmesh devserver --nodes 3",
      "appmesh devserver --port 7070 --no-tls --state ./state",
      "appmesh devserver --forwarded-nodes 1000",
    ],
  },
  async run(args) {
    const usage = formatUsage(devserver.spec);
    const f = args.flags;
    const port = intFlag(f.port, "port", 0, 65535, usage) ?? 6060;
    const nodes = intFlag(f.nodes, "nodes", 1, 64, usage) ?? 1;
    const forwardedNodes = intFlag(f["forwarded-nodes"], "forwarded-nodes", 0, 4000, usage) ?? 0;
    const { startDevServer, describeDevServer } = await import("../../devserver/mod.ts");
    const interrupts = guardInterrupts();
    const server = await startDevServer({
      port,
      nodes,
      forwardedNodes,
      tls: f["no-tls"] !== true,
      ...(typeof f.state === "string" ? { stateDir: f.state } : {}),
      ...(typeof f.security === "string" ? { security: f.security } : {}),
      ...(typeof f.host === "string" ? { host: f.host } : {}),
    });
    try {
      console.log(describeDevServer(server));
      console.log("\nPress Ctrl-C to stop.");
      if (!interrupts.signal.aborted) {
        await new Promise((resolve) =>
          interrupts.signal.addEventListener("abort", resolve, { once: true })
        );
      }
      console.log(`\n${interrupts.received()}: stopping the local server...`);
    } finally {
      await server.close();
      interrupts.dispose();
    }
    console.log("stopped");
    return EXIT.ok;
  },
};
