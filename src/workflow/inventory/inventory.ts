/**
 * The inventory: the nodes a run may target, their variables (`node.vars.NAME`), how each is
 * reached (`host:` for `X-Target-Host`, `via:` another entry server with its own `ca:`), and
 * named groups of nodes and groups. Read from YAML with source positions, so that every
 * problem is one located line (`file:line:col`), as a workflow's are.
 *
 * ```yaml
 * nodes:
 *   web-1: { host: "10.0.0.11:6060", vars: { role: web } }
 *   "10.0.0.12:6060": { vars: { role: web } }   # the name is the host:port
 *   db-1:
 *     host: "10.1.0.5:6060"
 *     via: https://dc2-gateway:6060             # another cluster's entry server
 *     ca: dc2-ca.pem                            # relative to this file
 * groups:
 *   web: [web-1, "10.0.0.12:6060"]
 *   all: [web, db-1]                            # a group may hold groups
 * ```
 *
 * @module
 */

import { WorkflowError, type WorkflowIssue } from "../load/errors.ts";
import { parseYaml } from "../load/yaml.ts";
import type { LEntry, LNode } from "../load/tree.ts";
import type { Locator } from "../load/locator.ts";
import { didYouMean } from "../load/suggest.ts";

/** One node of an inventory. */
export interface InventoryNode {
  /** Its name: what `nodes:`, `--limit`, the report and `node.name` call it. */
  name: string;
  /** What `X-Target-Host` names (`host` or `host:port`); the name when not given. */
  host: string;
  /** Its variables, read as `node.vars.NAME`. */
  vars: Record<string, unknown>;
  /** The entry server its requests go to (default: the run's connection). */
  via?: string;
  /** The CA file of `via` (resolved against the inventory's folder). */
  ca?: string;
}

/** A parsed inventory (see the module's documentation for the file). */
export interface Inventory {
  /** The file it was read from (for messages). */
  file?: string;
  /** The nodes by name, in the file's order. */
  nodes: Record<string, InventoryNode>;
  /** The groups by name: their direct members (node or group names), as written. */
  groups: Record<string, string[]>;
}

const NODE_KEYS = ["host", "vars", "via", "ca"];
const TOP_KEYS = ["nodes", "groups"];
const NAME = /^[A-Za-z0-9_.:\-\[\]]+$/;

/** Options of {@linkcode parseInventory}. */
export interface ParseInventoryOptions {
  /** The file name shown in errors; relative `ca:` paths are resolved against its folder. */
  file?: string;
}

/**
 * Parses and checks an inventory: unknown keys, names, `via:` URLs, group members that name
 * nothing (with a did-you-mean) and groups that contain themselves.
 *
 * @throws {WorkflowError} with one located issue per problem
 *
 * @example
 * ```ts
 * import { parseInventory } from "./inventory.ts";
 * const inv = parseInventory(`
 * nodes:
 *   web-1: { host: "127.0.0.1:61000", vars: { role: web } }
 * groups:
 *   web: [web-1]
 * `);
 * console.log(inv.nodes["web-1"].host, inv.groups.web); // 127.0.0.1:61000 [ "web-1" ]
 * ```
 */
export function parseInventory(text: string, options: ParseInventoryOptions = {}): Inventory {
  const { root, issues, locator } = parseYaml(text, { file: options.file });
  if (issues.length) throw new WorkflowError(issues);
  const out: Inventory = { nodes: {}, groups: {} };
  if (options.file !== undefined) out.file = options.file;
  const bad = (node: LNode, message: string, hint?: string) =>
    issues.push(locator.issue(node, message, { hint }));
  const badKey = (e: LEntry, parent: LNode, message: string, hint?: string) =>
    issues.push(locator.key(e, parent, message, { hint }));
  if (!root || root.kind !== "map") {
    issues.push(locator.at(root?.start ?? 0, "an inventory is a mapping with nodes: and groups:"));
    throw new WorkflowError(issues);
  }
  for (const e of root.entries!) {
    if (!TOP_KEYS.includes(e.key)) {
      badKey(e, root, `unknown inventory key "${e.key}"`, didYouMean(e.key, TOP_KEYS));
    }
  }
  const nodes = root.entries!.find((e) => e.key === "nodes")?.value;
  const groups = root.entries!.find((e) => e.key === "groups")?.value;
  if (nodes && nodes.value !== null) {
    if (nodes.kind !== "map") bad(nodes, `"nodes" is a mapping of node names`);
    for (const e of nodes.entries ?? []) {
      const n = nodeOf(e, nodes, options.file, bad, badKey);
      if (n) out.nodes[n.name] = n;
    }
  }
  const positions = new Map<string, { entry: LEntry; members: LNode[] }>();
  if (groups && groups.value !== null) {
    if (groups.kind !== "map") bad(groups, `"groups" is a mapping of group names`);
    for (const e of groups.entries ?? []) {
      if (!NAME.test(e.key)) badKey(e, groups, `bad group name "${e.key}"`);
      if (Object.hasOwn(out.nodes, e.key)) {
        badKey(e, groups, `group "${e.key}" has the name of a node`, "rename one of them");
      }
      if (e.value.kind !== "seq") {
        bad(e.value, `group "${e.key}" is a list of node and group names`);
        continue;
      }
      const members = e.value.items!;
      out.groups[e.key] = members.map((m) => String(m.value));
      positions.set(e.key, { entry: e, members });
    }
    const known = [...Object.keys(out.nodes), ...Object.keys(out.groups)];
    for (const [name, { members }] of positions) {
      for (const m of members) {
        const v = m.value;
        if (typeof v !== "string" || !v) {
          bad(m, `group "${name}": a member is a node or group name`);
        } else if (!known.includes(v)) {
          bad(m, `group "${name}": unknown node or group "${v}"`, didYouMean(v, known));
        }
      }
    }
    if (!issues.length) cycle(out.groups, positions, locator, issues);
  }
  if (issues.length) {
    // In the file's order, as a reader goes through it.
    throw new WorkflowError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  }
  return out;
}

/** One entry of `nodes:`. */
function nodeOf(
  e: LEntry,
  parent: LNode,
  file: string | undefined,
  bad: (node: LNode, message: string, hint?: string) => void,
  badKey: (e: LEntry, parent: LNode, message: string, hint?: string) => void,
): InventoryNode | undefined {
  if (!NAME.test(e.key)) {
    badKey(e, parent, `bad node name "${e.key}"`, "use letters, digits, . _ - : (host:port)");
    return undefined;
  }
  const node: InventoryNode = { name: e.key, host: e.key, vars: {} };
  const v = e.value;
  if (v.value === null) return node;
  if (v.kind !== "map") {
    bad(v, `node "${e.key}" is a mapping (host, vars, via, ca) or nothing`);
    return undefined;
  }
  for (const f of v.entries!) {
    const val = f.value;
    if (!NODE_KEYS.includes(f.key)) {
      badKey(f, v, `unknown key "${f.key}" of node "${e.key}"`, didYouMean(f.key, NODE_KEYS));
    } else if (f.key === "vars") {
      if (val.kind !== "map") bad(val, `vars of node "${e.key}" is a mapping of names`);
      else node.vars = val.value as Record<string, unknown>;
    } else if (typeof val.value !== "string" || !val.value) {
      bad(val, `${f.key} of node "${e.key}" is a non-empty string`);
    } else if (f.key === "host") node.host = val.value;
    else if (f.key === "via") {
      let url: URL | undefined;
      try {
        url = new URL(val.value);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol)) {
        bad(val, `via of node "${e.key}" is not an https:// URL`, "write https://HOST:6060");
      } else node.via = val.value.replace(/\/+$/, "");
    } else node.ca = resolvePath(val.value, file);
  }
  if (node.ca !== undefined && node.via === undefined) {
    const ca = v.entries!.find((f) => f.key === "ca")!;
    badKey(ca, v, `node "${e.key}" has a ca but no via`, "the ca is the via server's");
  }
  return node;
}

/** The first group that contains itself, as one issue at its definition. */
function cycle(
  groups: Record<string, string[]>,
  positions: Map<string, { entry: LEntry; members: LNode[] }>,
  locator: Locator,
  issues: WorkflowIssue[],
): void {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    if (done.has(name) || !Object.hasOwn(groups, name)) return undefined;
    for (const m of groups[name]) {
      const found = visit(m, [...path, name]);
      if (found) return found;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(groups)) {
    const found = visit(name, []);
    if (!found) continue;
    const at = positions.get(found[0])!;
    const member = at.members.find((m) => m.value === found[1]);
    issues.push(
      locator.issue(
        member ?? at.entry.value,
        `group "${found[0]}" contains itself: ${found.join(" → ")}`,
        { hint: "a group may contain groups, but not one that contains it" },
      ),
    );
    return;
  }
}

function resolvePath(path: string, file: string | undefined): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("~")) return path;
  if (file === undefined) return path;
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return cut < 0 ? path : `${file.slice(0, cut)}/${path}`;
}

/**
 * Reads and parses an inventory file (see {@linkcode parseInventory}).
 *
 * @throws {WorkflowError} located, or naming the file when it cannot be read
 *
 * @example
 * ```ts ignore
 * import { loadInventory } from "./inventory.ts";
 * const inv = await loadInventory("workflows/inventory.yaml");
 * ```
 */
export async function loadInventory(path: string): Promise<Inventory> {
  const { fileProblem, notUtf8, readTextAtMost } = await import("../../runtime/fs.ts");
  const fail = (message: string) => new WorkflowError([{ file: path, line: 0, col: 0, message }]);
  let text: string | undefined;
  try {
    text = await readTextAtMost(path, MAX_INVENTORY_BYTES);
  } catch (e) {
    throw fail(
      notUtf8(e)
        ? "the inventory is not UTF-8 text"
        : `cannot read the inventory: ${fileProblem(e)}`,
    );
  }
  if (text === undefined) {
    throw fail(
      `the inventory is more than ${MAX_INVENTORY_BYTES} bytes (a fleet of 100,000 nodes fits)`,
    );
  }
  return parseInventory(text, { file: path });
}

/** The largest inventory file read: 16 MiB. */
export const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;
