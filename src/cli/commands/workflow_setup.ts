/**
 * What `appmesh workflow run` sets up before the run: the `--lock-wait` duration, the
 * renderer of the events, the connection (checked as the run will resolve it) and the session.
 *
 * @module
 */
import { UsageError } from "../args.ts";
import {
  flagValues,
  type GlobalOptions,
  requireSession,
  useColor,
  writeErr,
  writeOut,
} from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Renderer } from "../output/format.ts";
import type { Inventory, Workflow, WorkflowEvent } from "../../workflow/mod.ts";
import type { Connection } from "../../runtime/connection.ts";
import { envVars } from "../../runtime/env.ts";

/**
 * Parses `--lock-wait` (an ISO 8601 duration or seconds) into milliseconds.
 *
 * @example
 * ```ts
 * import { lockWaitMs } from "./workflow_setup.ts";
 * console.log(await lockWaitMs("PT1M", "usage: ...")); // 60000
 * ```
 */
export async function lockWaitMs(
  value: string | undefined,
  usage: string,
): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const { durationSeconds } = await import("../../runtime/duration.ts");
  try {
    return durationSeconds(/^\d+$/.test(value) ? Number(value) : value) * 1000;
  } catch {
    throw new UsageError(`flag --lock-wait: bad duration '${value}' (use PT10M or seconds)`, usage);
  }
}

/**
 * The renderer of a run's events: JSON lines, failures only (`--quiet`), the live terminal
 * lines or plain timestamped lines; everything printed goes through `mask`.
 *
 * @example
 * ```ts
 * import { chooseRenderer } from "./workflow_setup.ts";
 * const renderer = await chooseRenderer("plain", (s) => s);
 * renderer.close();
 * ```
 */
export async function chooseRenderer(
  mode: "json" | "quiet" | "tty" | "plain",
  mask: (s: string) => string,
): Promise<Renderer> {
  const line = (l: string) => console.log(mask(l));
  if (mode === "json") {
    const { jsonRenderer } = await import("../output/json.ts");
    return jsonRenderer(line);
  }
  if (mode === "tty") {
    const { ttyRenderer } = await import("../output/tty.ts");
    return ttyRenderer({
      color: useColor("stdout"),
      write: (t) => writeOut(mask(t)),
      writeFailure: (t) => writeErr(mask(t)),
      writeNote: (t) => writeErr(mask(t)),
    });
  }
  const { plainRenderer } = await import("../output/plain.ts");
  const plain = plainRenderer({ write: line, writeFailure: (l) => console.error(mask(l)) });
  if (mode === "plain") return plain;
  // --quiet: failures only.
  return {
    event(e: WorkflowEvent) {
      if (
        (e.type === "step_end" || e.type === "node_end") && e.status &&
        !["success", "skipped", "allowed_failure"].includes(e.status)
      ) plain.event(e);
    },
    close() {},
  };
}

/** A connection setting that cannot be used is a usage error (exit 2) naming its origin. */
async function usageOnBadSetting<T>(fn: () => Promise<T>): Promise<T> {
  const { ConnectionSettingError } = await import("../../runtime/connection.ts");
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ConnectionSettingError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/**
 * The flags alone, checked (URL, CA file, timeout) so that an error names the flag.
 *
 * @example
 * ```ts
 * import { flagConnection } from "./workflow_setup.ts";
 * const conn = await flagConnection({ url: "https://127.0.0.1:6060" });
 * console.log(conn.url);
 * ```
 */
export async function flagConnection(given: ReturnType<typeof flagValues>) {
  const { flagSource, resolveConnection } = await import("../../runtime/connection.ts");
  const env = envVars();
  return await usageOnBadSetting(() =>
    resolveConnection([flagSource(given)], { env, sslDir: null })
  );
}

/**
 * The run's connection, resolved as the run will (flags, the workflow's `connection:`, the
 * environment, defaults) and checked (URL, CA and certificate files, timeout), for `--dry-run`
 * as for a run. Undefined when the workflow's `connection:` has templates (the run resolves
 * them; its own errors are then usage errors too).
 *
 * @example
 * ```ts ignore
 * import { runConnection } from "./workflow_setup.ts";
 * const conn = await runConnection(workflow, { insecure: false });
 * ```
 */
export async function runConnection(wf: Workflow, globals: GlobalOptions) {
  const c = wf.connection ?? {};
  if (Object.values(c).some((v) => typeof v === "string" && v.includes("${{"))) return undefined;
  const { envSource, flagSource, namedSource, resolveConnection } = await import(
    "../../runtime/connection.ts"
  );
  const env = envVars();
  const conn = await usageOnBadSetting(() =>
    resolveConnection([
      flagSource(flagValues(globals)),
      namedSource("connection", {
        url: c.url,
        ca: c.ca,
        cert: c.cert,
        key: c.key,
        cookieFile: c.cookie_file,
        verify: c.verify,
      }, true),
      envSource(env),
    ], { env })
  );
  return conn;
}

/**
 * A workflow without a login step needs the session of `appmesh login`: without one it would
 * fail on every node with a 401: `not logged in` (exit 3) before the run.
 *
 * @example
 * ```ts ignore
 * import { checkSession } from "./workflow_setup.ts";
 * await checkSession(conn); // throws a CliError (exit 3) without a session
 * ```
 */
export async function checkSession(conn: Connection): Promise<void> {
  const { AppMeshClient } = await import("../../client/client.ts");
  const { clientOptions } = await import("../../runtime/connection.ts");
  const client = new AppMeshClient(clientOptions(conn));
  try {
    await requireSession(client, conn);
  } finally {
    await client.close();
  }
}

/**
 * The inventory of `--inventory FILE`, else of `$APPMESH_INVENTORY`, else none. An invalid one
 * is printed located (`file:line:col`) and is a usage error (exit 2).
 *
 * @example
 * ```ts ignore
 * import { readInventory } from "./workflow_setup.ts";
 * const inventory = await readInventory(args.flags.inventory as string | undefined);
 * ```
 */
export async function readInventory(flag: string | undefined): Promise<Inventory | undefined> {
  const file = flag ?? envVars().APPMESH_INVENTORY;
  if (!file) return undefined;
  const { loadInventory } = await import("../../workflow/inventory/inventory.ts");
  try {
    return await loadInventory(file);
  } catch (e) {
    const format = (e as { format?: (o: { color: boolean }) => string }).format;
    if (e instanceof Error && e.name === "WorkflowError" && format) {
      console.error(format.call(e, { color: useColor("stderr") }));
      const from = flag === undefined ? " (from $APPMESH_INVENTORY)" : "";
      throw new CliError(`invalid inventory ${file}${from}; nothing was run`, EXIT.usage);
    }
    throw e;
  }
}

/** The `--inventory` flag of `workflow run` and `workflow validate`. */
export const INVENTORY_FLAG = {
  type: "string",
  value: "FILE",
  description: "the inventory: nodes, their vars, groups (default $APPMESH_INVENTORY)",
} as const;
