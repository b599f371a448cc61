/**
 * The nodes of a run: the workflow's `nodes:` (or `--node`), groups expanded through the
 * inventory, narrowed by `--limit`, each with how it is reached.
 *
 * @module
 */

import { errorText } from "../load/errors.ts";
import { type ExprContext, resolveTemplates } from "../expr/mod.ts";
import type { NodeInfo, Workflow } from "../language/spec.ts";
import type { RunOptions } from "./options.ts";
import type { Inventory } from "../inventory/inventory.ts";
import { applyLimit, expandTargets, TargetError } from "../inventory/targets.ts";
import { usage } from "./run_setup.ts";

/**
 * A node plus whether to address it through `forNode` (the workflow named it), what
 * `X-Target-Host` names (`target`, default its name) and the entry server its requests go to
 * (`entry`, an inventory's `via:`; default the run's connection).
 */
export type RunNodeInfo = NodeInfo & {
  view: boolean;
  target?: string;
  entry?: { url: string; ca?: string };
};

/**
 * The run's nodes: `--node` or the workflow's `nodes:` (groups of the inventory expanded;
 * with an inventory and neither, all of its nodes; with neither, the server itself), then
 * narrowed by `limit`.
 *
 * @example
 * ```ts
 * import { resolveNodes } from "./nodes.ts";
 * import { parseWorkflow } from "../load/load.ts";
 * const wf = parseWorkflow("name: n\nnodes: [a:6061, b]\nsteps:\n  - logout:\n");
 * const top = { env: {}, secrets: {}, inputs: {}, run: {}, steps: {}, job: { status: "success" } };
 * const nodes = resolveNodes(wf, { limit: ["a*"] }, top as never, "https://127.0.0.1:6060");
 * console.log(nodes.map((n) => `${n.host}:${n.port}`)); // [ "a:6061" ]
 * ```
 */
export function resolveNodes(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  baseUrl: string,
  inventory?: Inventory,
): RunNodeInfo[] {
  const defaultPort = portOf(baseUrl, "connection.url");
  let names: unknown = options.nodes && options.nodes.length ? options.nodes : wf.nodes;
  if (typeof names === "string") {
    try {
      names = resolveTemplates(names, top);
    } catch (e) {
      throw usage(`nodes: ${errorText(e)}`);
    }
    if (typeof names === "string") names = names.split(/[\s,]+/).filter(Boolean);
  }
  if ((names === undefined || names === null) && inventory) names = Object.keys(inventory.nodes);
  if (names === undefined || names === null) {
    const url = new URL(baseUrl);
    const self = [`${url.hostname}:${defaultPort}`];
    const name = options.limit?.length ? limited(self, options.limit)[0] : self[0];
    return [{ name, host: url.hostname, port: defaultPort, view: false, vars: {} }];
  }
  if (
    !Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string" || !n)
  ) {
    throw usage("nodes: expected a non-empty list of host or host:port names");
  }
  let list: string[];
  try {
    list = expandTargets((names as string[]).map((n) => n.trim()), inventory);
  } catch (e) {
    if (e instanceof TargetError) throw usage(`nodes: ${e.message}`);
    throw e;
  }
  if (options.limit?.length) list = limited(list, options.limit, inventory);
  return list.map((name) => {
    const n = inventory?.nodes[name];
    if (!n) return { ...parseNode(name, defaultPort), view: true, vars: {} };
    const port = n.via ? portOf(n.via, `via of node "${name}"`) : defaultPort;
    const { host, port: p } = parseNode(n.host, port);
    const out: RunNodeInfo = { name, host, port: p, vars: { ...n.vars }, view: true };
    if (n.host !== name) out.target = n.host;
    if (n.via) out.entry = n.ca === undefined ? { url: n.via } : { url: n.via, ca: n.ca };
    return out;
  });
}

function limited(names: string[], limit: readonly string[], inventory?: Inventory): string[] {
  try {
    return applyLimit(names, limit, inventory);
  } catch (e) {
    if (e instanceof TargetError) throw usage(e.message);
    throw e;
  }
}

function portOf(url: string, what: string): number {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usage(`${what}: not a URL: ${url}`);
  }
  return Number(u.port || (u.protocol === "https:" ? 443 : 80));
}

/**
 * `host`, `host:port`, `[v6]`, `[v6]:port` → name, host, port.
 *
 * @example
 * ```ts
 * import { parseNode } from "./nodes.ts";
 * console.log(parseNode("[::1]:6061", 6060)); // { name: "[::1]:6061", host: "::1", port: 6061 }
 * ```
 */
export function parseNode(name: string, defaultPort: number): NodeInfo {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (v6) return { name, host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(name);
  if (m) return { name, host: m[1], port: Number(m[2]) };
  return { name, host: name, port: defaultPort };
}
