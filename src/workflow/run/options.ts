/**
 * The options of a run ({@linkcode RunOptions}), apart from the engine so that what the run
 * works out before its first request (`run_setup.ts`) can read them without importing the
 * engine.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import type { StepSpec, WorkflowEvent } from "../language/spec.ts";
import type { Report } from "../report/report.ts";
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
   * through that entry server, with a session of its own in the same cookie file. Default:
   * the file `APPMESH_INVENTORY` of `env` names, as on the command line.
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
  /**
   * Run again what did not succeed in an earlier run of this workflow (`--rerun-failed`):
   * only the nodes of `report` that failed, were interrupted or never started (none: the run
   * does nothing and succeeds). The report must be of a workflow of the same name (else a
   * `WorkflowError` before anything is sent); not with `nodes`. The new report's
   * `rerun_of` is `report.run_id`.
   *
   * With `fromFailedStep` (`--from-failed-step`), each node starts at the step that failed
   * for it when every step before it is `rerun: skip` and succeeded in that run (`login` and
   * `logout` run anyway): those are reported `skipped` with `done_in`, and their recorded
   * outputs are restored for the steps that read them. A node for which that does not hold
   * (a step not marked, outputs not recorded or masked, the workflow's steps changed) runs
   * from its first step, and a `log` event says why. `finally` steps always run.
   *
   * @example Run the failed nodes of yesterday's report again
   * ```ts ignore
   * import { loadWorkflow, parseRunReport, runWorkflow } from "@appmesh/sdk/workflow";
   * const wf = await loadWorkflow("nightly.yaml");
   * const report = parseRunReport(await Deno.readTextFile("nightly.json"), "nightly.json");
   * const again = await runWorkflow(wf, { rerun: { report, fromFailedStep: true } });
   * console.log(again.rerun_of === report.run_id); // true
   * ```
   */
  rerun?: { report: Report; fromFailedStep?: boolean };
}
