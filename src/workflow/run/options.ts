/**
 * The options of a run ({@linkcode RunOptions}), apart from the engine so that what the run
 * works out before its first request (`run_setup.ts`) can read them without importing the
 * engine.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import type { StepSpec, WorkflowEvent } from "../language/spec.ts";
import type { Inventory } from "../inventory/inventory.ts";

/** Options of {@linkcode runWorkflow} (the command line's flags map onto these). */
export interface RunOptions {
  /** Input values (`--input k=v`); strings are coerced to the declared type. */
  inputs?: Record<string, unknown>;
  /** Nodes to run on (`--node`), replacing the workflow's `nodes`. */
  nodes?: string[];
  /**
   * The inventory (`--inventory`): a parsed one, or the path of its YAML file. Its groups may
   * be named in `nodes:`; its nodes' `vars:` are `node.vars`; a node with `via:` is reached
   * through that entry server, with a session of its own in the same cookie file.
   */
  inventory?: Inventory | string;
  /** Narrow the run to these group or node names and globs (`--limit web-*,db-1`). */
  limit?: string[];
  /** Secrets, over the environment-derived ones (`secrets.NAME` defaults to env `NAME`). */
  secrets?: Record<string, string>;
  /** The environment (default: the process environment). */
  env?: Record<string, string>;
  /**
   * Connection settings; these win over the workflow's `connection:`, which wins over
   * `APPMESH_URL`/`APPMESH_CA`/`APPMESH_COOKIE_FILE`/`APPMESH_TIMEOUT` of `env`, then the
   * defaults (the cookie file `~/.appmesh/cookies.txt` of `env.HOME`: the command line's
   * session; see `src/runtime/connection.ts`).
   */
  connection?: {
    url?: string;
    ca?: string;
    verify?: boolean;
    cookieFile?: string;
    cert?: string;
    key?: string;
    /** Request timeout in milliseconds (default: `$APPMESH_TIMEOUT`, else 300 s). */
    timeout?: number;
  };
  /** Progress events (already masked): the `--json` lines. */
  onEvent?: (e: WorkflowEvent) => void;
  /** Interrupt: no new step starts, waits are cancelled, `finally` runs, temporary apps go. */
  signal?: AbortSignal;
  /**
   * A repeated interrupt: abandon the clean-up too (`finally` steps and deletions are cut
   * short). What that leaves is in the report's `leftovers`; the exit code is 5. Implies
   * `signal`.
   */
  abandon?: AbortSignal;
  /** The `fetch` the client uses. */
  fetch?: typeof fetch;
  /** A client to use instead of one built from `connection` (it is not closed). */
  client?: AppMeshClient;
  /** Folder relative `local:` paths are resolved against (default: the workflow file's). */
  cwd?: string;
  /** Step types to use instead of the built-in ones (custom steps, tests). */
  steps?: Readonly<Record<string, StepSpec>>;
}
