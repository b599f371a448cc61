/**
 * What the `app`, `label` and `config` commands share: the `--node` and `--json` flags, a
 * client for the node asked (`X-Target-Host`), and the one line that says an app is unknown.
 *
 * @module
 */

import type { FlagSpec, FlagValues } from "../args.ts";
import type { AppMeshClient } from "../../client/client.ts";
import { connect, type GlobalOptions } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";

/** `--node HOST`: the request goes to this node through the entry server (`X-Target-Host`). */
export const NODE_FLAG: FlagSpec = {
  type: "string",
  value: "HOST",
  description: "ask this node (X-Target-Host)",
};

/** `--json`: machine-readable output. */
export const JSON_FLAG: FlagSpec = { type: "boolean", description: "print JSON" };

/**
 * Runs `body` with a client for the node of `--node` (the entry server without it), on the
 * saved session (`not logged in` before any request otherwise), and closes it afterwards.
 *
 * @example
 * ```ts ignore
 * import { withNode } from "./app_shared.ts";
 * await withNode(args.flags, globals, (client) => client.listLabels());
 * ```
 */
export async function withNode<T>(
  flags: FlagValues,
  globals: GlobalOptions,
  body: (client: AppMeshClient, node: string) => Promise<T>,
): Promise<T> {
  const { client: base, conn } = await connect(globals, { session: true });
  try {
    const node = typeof flags.node === "string" ? flags.node : undefined;
    return await body(node ? base.forNode(node) : base, node ?? new URL(conn.url).host);
  } finally {
    await base.close();
  }
}

/**
 * The daemon's 404 for an app name (`No such application`) as one line, exit 1, as `appc`
 * says it; any other error unchanged.
 *
 * @example
 * ```ts
 * import { unknownApp } from "./app_shared.ts";
 * const e = Object.assign(new Error("HTTP 404"), { name: "AppMeshHttpError", status: 404 });
 * console.log((unknownApp(e, "web", "127.0.0.1:6060") as Error).message); // no app 'web' on ...
 * ```
 */
export function unknownApp(e: unknown, name: string, node: string): unknown {
  if (
    e instanceof Error && e.name === "AppMeshHttpError" && (e as { status?: number }).status === 404
  ) {
    return new CliError(noApp(name, node), EXIT.failed);
  }
  return e;
}

/** `no app 'NAME' on NODE`. */
export function noApp(name: string, node: string): string {
  return `no app '${name}' on ${node}`;
}

/**
 * `KEY=VALUE` pairs (`--env`, `label add`) as an object; a pair without `=` is a usage error.
 *
 * @example
 * ```ts
 * import { pairs } from "./app_shared.ts";
 * console.log(pairs(["A=1", "B=x=y"], "--env")); // { A: "1", B: "x=y" }
 * ```
 */
export function pairs(values: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new CliError(`${what} expects KEY=VALUE, got '${kv}'`, EXIT.usage);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}
