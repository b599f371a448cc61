/**
 * The entry servers of a run: the run's connection, and each other server an inventory node
 * is reached through (`via:`). Each has its own client and session over the one cookie file
 * (one token cookie per host, as browsers keep them), its own session steps (the workflow's
 * `login` runs once per entry server) and its own deferred `logout`.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import type { Connection } from "../../runtime/connection.ts";
import { clientOptions } from "../../runtime/connection.ts";
import { checkPemFile, checkUrl } from "../../runtime/connection_checks.ts";
import { ConnectionSettingError } from "../../runtime/connection_names.ts";
import type { RunState } from "./step_runner.ts";
import { type LoginOutcome, RunSession } from "./session.ts";
import type { RunNodeInfo } from "./nodes.ts";
import { usage } from "./run_setup.ts";
import { errorText } from "../load/errors.ts";

/** One entry server: its client, session and the run state its nodes use. */
export interface Entry {
  /** Its URL. */
  url: string;
  /** Its client (closed by {@linkcode Entries.close} unless it is the caller's). */
  client: AppMeshClient;
  /** The state the nodes reached through it share (its client, session, session steps). */
  rs: RunState;
}

/** How a client is made for another entry server. */
export type ClientMaker = (
  options: ReturnType<typeof clientOptions>,
) => Promise<AppMeshClient>;

/**
 * The entry servers of a run, made before the first node starts (every `via:` URL and CA is
 * checked first: a bad one is a usage error, nothing sent).
 *
 * @example
 * ```ts ignore
 * const entries = await Entries.open(rs, nodes, conn, makeClient);
 * const entry = entries.of(node); // its client and run state
 * ```
 */
export class Entries {
  readonly #main: Entry;
  readonly #others: Map<string, Entry>;

  private constructor(main: Entry, others: Map<string, Entry>) {
    this.#main = main;
    this.#others = others;
  }

  /** The entries of `nodes`: the run's own (`rs`) and one per other `via:` URL. */
  static async open(
    rs: RunState,
    nodes: readonly RunNodeInfo[],
    conn: Connection,
    make: ClientMaker,
  ): Promise<Entries> {
    const main: Entry = { url: rs.client.baseUrl, client: rs.client, rs };
    const others = new Map<string, Entry>();
    const wanted = new Map<string, { ca?: string; node: string }>();
    for (const n of nodes) {
      if (!n.entry || sameServer(n.entry.url, main.url)) continue;
      if (!wanted.has(n.entry.url)) wanted.set(n.entry.url, { ca: n.entry.ca, node: n.name });
    }
    try {
      for (const [url, { ca, node }] of wanted) {
        const from = `via of node "${node}"`;
        checkUrl(url, from);
        if (ca !== undefined) await checkPemFile("ca", ca, `ca of node "${node}"`);
      }
    } catch (e) {
      if (e instanceof ConnectionSettingError) throw usage(`inventory: ${e.message}`);
      throw e;
    }
    for (const [url, { ca }] of wanted) {
      let client: AppMeshClient;
      try {
        client = await make({ ...clientOptions(conn), baseUrl: url, ca: ca ?? conn.ca });
      } catch (e) {
        for (const o of others.values()) await o.client.close().catch(() => {});
        throw usage(`inventory: ${url}: ${errorText(e)}`);
      }
      const session = new RunSession(client, rs.masker);
      // Its own client, session and session steps; the rest (masker, signals, emit) is shared.
      const entryRs: RunState = {
        ...rs,
        client,
        session,
        sessionSteps: new Map(),
        logoutRequested: false,
      };
      others.set(url, { url, client, rs: entryRs });
    }
    return new Entries(main, others);
  }

  /** The entry a node is reached through. */
  of(node: RunNodeInfo): Entry {
    return (node.entry && this.#others.get(node.entry.url)) || this.#main;
  }

  /** Every entry, the run's own first. */
  all(): Entry[] {
    return [this.#main, ...this.#others.values()];
  }

  /**
   * How the run's sessions were obtained, in one word for the report: `performed` when any
   * entry logged in, else `renewed`, else `reused`, else `none`.
   */
  outcome(): LoginOutcome | "none" {
    const all = this.all().map((e) => e.rs.session.outcome);
    for (const o of ["performed", "renewed", "reused"] as const) if (all.includes(o)) return o;
    return "none";
  }

  /** Logs off every entry a node asked to (`logout`), once all nodes are done. */
  async logout(emit: RunState["emit"]): Promise<void> {
    const asked = this.all().filter((e) => e.rs.logoutRequested);
    for (const e of asked) {
      const where = this.#others.size ? ` (${e.url})` : "";
      try {
        const ok = await e.rs.session.logout();
        emit({ type: "log", message: `${ok ? "logged off" : "no session to log off"}${where}` });
      } catch (err) {
        emit({
          type: "log",
          status: "failure",
          message: `logoff failed${where}: ${errorText(err)}`,
        });
      }
    }
  }

  /** Closes the clients this made (the run's own is the engine's). */
  async close(): Promise<void> {
    for (const e of this.#others.values()) await e.client.close().catch(() => {});
  }
}

function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.protocol === y.protocol && x.host === y.host;
  } catch {
    return a === b;
  }
}
