/**
 * Nodes reached only through forwarding: many cheap nodes behind the listening ones, served in
 * the same process. Each has its own state (apps, processes, output, a state folder of its own
 * for relative file paths) and a port no listener holds; a request reaches it through any
 * listening node with `X-Target-Host: 127.0.0.1:PORT`, as a fleet behind one entry daemon.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ServerShared } from "./context.ts";
import { createNodeState, type NodeConfig } from "./node_state.ts";
import { type Mesh, type ServedNode, serveNode } from "./pipeline.ts";

/** The first port handed to a forwarded-only node (above Linux's ephemeral range). */
export const FORWARDED_BASE_PORT = 61000;

/** The most forwarded-only nodes one server holds (ports 61000..65535 minus the listeners'). */
export const MAX_FORWARDED_NODES = 4000;

/**
 * What a forwarded-only node is made from: the server's shared parts and per-node defaults.
 *
 * @example
 * ```ts
 * import type { ForwardedNodeBase } from "./forwarded.ts";
 * const base: Omit<ForwardedNodeBase, "shared" | "config"> = { stateDir: "/tmp/s", host: "127.0.0.1" };
 * ```
 */
export interface ForwardedNodeBase {
  /** The server's state directory; node PORT gets `nodes/PORT` in it. */
  stateDir: string;
  /** Bind host of the server (the node's name is `host:PORT`). */
  host: string;
  /** What the nodes share (identity, TLS, CSRF scheme). */
  shared: ServerShared;
  /** The configuration document's server facts. */
  config: NodeConfig;
  /** `FileAllowedBaseDir`. */
  fileBaseDir?: string;
  /** POSIX exit codes for signal deaths. */
  posixExitCodes?: boolean;
}

/**
 * Ports for `count` forwarded-only nodes: from {@linkcode FORWARDED_BASE_PORT} up, skipping
 * `taken` (the listeners' ports).
 *
 * @example
 * ```ts
 * import { forwardedPorts } from "./forwarded.ts";
 * console.log(forwardedPorts(3, new Set([61001]))); // [61000, 61002, 61003]
 * ```
 */
export function forwardedPorts(count: number, taken: ReadonlySet<number>): number[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_FORWARDED_NODES) {
    throw new RangeError(`forwardedNodes must be an integer 0..${MAX_FORWARDED_NODES}`);
  }
  const ports: number[] = [];
  for (let p = FORWARDED_BASE_PORT; ports.length < count && p <= 65535; p++) {
    if (!taken.has(p)) ports.push(p);
  }
  if (ports.length < count) throw new RangeError("no free port numbers for forwarded nodes");
  return ports;
}

/**
 * Creates `count` forwarded-only nodes and adds them to `mesh.nodes`; returns them (close each
 * `state.apps` when done).
 *
 * @example
 * ```ts
 * import { mkdtemp } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FaultState } from "./faults.ts";
 * import { addForwardedNodes } from "./forwarded.ts";
 * import { Identity } from "./identity.ts";
 * import type { Mesh } from "./pipeline.ts";
 * import { allRoutes, Router } from "./routes.ts";
 *
 * const identity = await Identity.create({ jwtKey: crypto.getRandomValues(new Uint8Array(32)) });
 * const mesh: Mesh = { router: new Router(allRoutes()), faults: new FaultState(), nodes: [], bindHost: "127.0.0.1" };
 * const nodes = await addForwardedNodes(mesh, 2, {
 *   stateDir: await mkdtemp(join(tmpdir(), "fwd-")),
 *   host: "127.0.0.1",
 *   shared: { identity, tls: false, legacyCsrf: false },
 *   config: { host: "127.0.0.1", issuer: identity.tokens.issuer, verifyClient: false },
 * });
 * console.log(nodes.map((n) => n.state.name)); // ["127.0.0.1:61000", "127.0.0.1:61001"]
 * await Promise.all(nodes.map((n) => n.state.apps.close()));
 * ```
 */
export async function addForwardedNodes(
  mesh: Mesh,
  count: number,
  base: ForwardedNodeBase,
): Promise<ServedNode[]> {
  const taken = new Set(mesh.nodes.map((n) => n.port));
  const added: ServedNode[] = [];
  for (const port of forwardedPorts(count, taken)) {
    const stateDir = join(base.stateDir, "nodes", String(port));
    await mkdir(stateDir, { recursive: true });
    const state = createNodeState(
      {
        name: `${base.host.includes(":") ? `[${base.host}]` : base.host}:${port}`,
        port,
        stateDir,
        fileBaseDir: base.fileBaseDir,
        posixExitCodes: base.posixExitCodes,
      },
      base.shared,
      base.config,
    );
    const node = serveNode(mesh, state);
    mesh.nodes.push(node);
    added.push(node);
  }
  return added;
}
