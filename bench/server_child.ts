/**
 * The local server in a child process of its own: `deno run -A bench/server_child.ts [nodes [forwarded]]`.
 * Prints one JSON line (URLs, nodes, CA) once it listens, and closes the server and exits when
 * its stdin ends (the bench closes it; so does the bench dying).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { startDevServer } from "../src/devserver/mod.ts";

const nodes = Number(process.argv[2] ?? "1");
const forwardedNodes = Number(process.argv[3] ?? "0");
const server = await startDevServer({ nodes, forwardedNodes });
const caPem = server.caPem ?? readFileSync(server.caFile!, "utf8");
console.log(JSON.stringify({
  urls: server.urls,
  nodes: server.nodes,
  forwardedNodes: server.forwardedNodes,
  caFile: server.caFile,
  caPem,
  stateDir: server.stateDir,
}));
process.stdin.resume();
process.stdin.on("end", async () => {
  await server.close();
  process.exit(0);
});
