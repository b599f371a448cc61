/**
 * The shared shapes of the workflow runner: how a step type declares its fields (the
 * validator and the JSON Schema are both generated from these declarations), and the
 * parsed, validated workflow that the engine runs.
 *
 * Layering: `spec.ts` (this file) ← `steps/*.ts` (one file per step type: its fields, its
 * outputs and its `run`) ← `validate.ts`/`schema.ts` (read the registry in `steps/mod.ts`)
 * ← `engine.ts`.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";

/**
 * The types a step field may declare. `duration` is ISO 8601 (`PT1H`) or integer seconds;
 * `date_time` an ISO 8601 date-time with a zone or epoch seconds, sent as epoch seconds;
 * `time_of_day` `HH:MM[:SS]` or seconds of the day, sent as seconds of the day.
 */
export type FieldType =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "duration"
  | "date_time"
  | "time_of_day"
  | "object"
  | "array"
  | "string_map"
  | "any";

/** One field of a step (or of a top-level section). */
export interface FieldSpec {
  /** The accepted type(s); an expression `${{ }}` is accepted wherever a value is. */
  type: FieldType | readonly FieldType[];
  /** Shown in the README's step reference and in the JSON Schema. */
  description: string;
  /** The field must be given. */
  required?: boolean;
  /** The only accepted literal values. */
  enum?: readonly (string | number | boolean)[];
  /** The value used when the field is absent (documentation and schema). */
  default?: unknown;
  /**
   * A secret: a literal value is a validation error ("a literal password where a secret
   * belongs"); it must be an expression (normally `${{ secrets.NAME }}`).
   */
  secret?: boolean;
  /**
   * A `string` field the server wants as a string: a number or boolean given here (literally
   * or from an expression) is sent as its text, as GitHub Actions does. (`string_map` values
   * always are.)
   */
  text?: boolean;
  /** For `array`: the type of each item. */
  items?: FieldSpec;
  /** For `object`: its known fields (unknown keys are then errors, with a did-you-mean). */
  fields?: Readonly<Record<string, FieldSpec>>;
  /** The value names a step id of this file; `"run_async"` requires that step type. */
  stepRef?: "any" | "run_async";
}

/** The node a step runs on. */
export interface NodeInfo {
  /** As written in `nodes:` (or `--node`), or the server's host:port when there are none. */
  name: string;
  /** Host part of the name. */
  host: string;
  /** Port (the connection's port when the name has none). */
  port: number;
  /** The inventory's variables of the node (`node.vars.NAME`); empty without an inventory. */
  vars?: Record<string, unknown>;
}

/** One progress event, the same objects the `--json` lines print. */
export interface WorkflowEvent {
  /** Event kind. */
  type:
    | "run_start"
    | "node_start"
    | "step_start"
    | "step_output"
    | "step_progress"
    | "step_retry"
    | "step_end"
    | "node_end"
    | "run_end"
    | "log";
  /** ISO 8601 timestamp. */
  time: string;
  /** Node name, when the event belongs to one. */
  node?: string;
  /** Step id (or `#<index>` when it has none). */
  step?: string;
  /** Step type, for step events. */
  step_type?: string;
  /** `running`, `success`, `failure`, `skipped`, `allowed_failure`, `interrupted`. */
  status?: string;
  /** Free text (already masked). */
  message?: string;
  /** Further figures: bytes, attempt, exit_code, duration_ms, ... */
  data?: Record<string, unknown>;
}

/** What a step's `run` gets besides its resolved arguments. */
export interface StepContext {
  /** The client for this node: a view (`forNode`) of the run's one session. */
  client: AppMeshClient;
  /** The node this step runs on. */
  node: NodeInfo;
  /** Aborted on interrupt or when the step's `timeout` passes. */
  signal: AbortSignal;
  /** Outputs of the earlier steps of this node, by step id. */
  steps: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Directory relative `local:` paths are resolved against (the workflow file's folder). */
  cwd: string;
  /** Progress and output lines for the live display, `--json` and the report. */
  emit(event: Pick<WorkflowEvent, "type" | "message" | "data">): void;
  /**
   * Remember a temporary app that the engine must delete when this node is interrupted
   * (a `run_async` app); `forget` once it is gone.
   */
  track(appName: string): void;
  /** See `track`. */
  forget(appName: string): void;
  /**
   * Delete a temporary app now (a run app whose process exited), repeating what can pass on
   * a second try; one that still cannot be deleted is printed, tried again when the node
   * ends, and listed in the report's `leftovers`. Resolves to whether it is gone.
   */
  release(appName: string): Promise<boolean>;
  /** The shared session (used only by the session steps `login` and `logout`). */
  session: SessionControl;
}

/** What the session steps may do with the run's one session. */
export interface SessionControl {
  /**
   * Log in unless the cookie file already holds a token valid for at least `minValidity`
   * seconds (renewed first when close to expiry); `force` always logs in.
   * Resolves to how the session was obtained.
   */
  login(options: {
    user: string;
    password?: string;
    totpCode?: string;
    totpSecret?: string;
    expire?: number;
    audience?: string;
    force?: boolean;
  }): Promise<"performed" | "reused" | "renewed">;
  /** Log off and forget the token. */
  logout(): Promise<boolean>;
}

/**
 * One request a step makes, named by its row of the client's endpoint table (which gives the
 * method and path pattern, so the plan cannot drift from what the client sends). A value that
 * is a template or a `<placeholder>` is shown as written; any other is URL-encoded.
 */
export interface RequestLine {
  /** The endpoint's name in the table (`ENDPOINTS` of the client), e.g. `getAppOutput`. */
  endpoint: string;
  /** Values of the path's `:param`s, by name. */
  params?: Readonly<Record<string, unknown>>;
  /** Query parameters (the endpoint's own), by name. */
  query?: Readonly<Record<string, unknown>>;
  /** When the request is conditional, why. */
  note?: string;
}

/** One HTTP request a step will make, as the dry-run plan shows it. */
export interface PlannedRequest {
  /** HTTP method. */
  method: string;
  /** Path (and query) on the server; unresolved templates stay as written. */
  path: string;
  /** When the request is conditional, why. */
  note?: string;
}

/** The declaration of one step type: `steps/<type>.ts` default-exports one of these. */
export interface StepSpec {
  /** The step's key in YAML, e.g. `add_app`. */
  type: string;
  /** One paragraph for the README's step reference and the schema. */
  description: string;
  /**
   * The client method it maps onto, e.g. `addApp` (`none` for a step that sends nothing). When
   * it names a row of the endpoint table and `requests` is absent, the plan shows that one
   * request, its `:param`s taken from the step's fields of the same name.
   */
  method: string;
  /** Its fields, in snake_case. */
  fields: Readonly<Record<string, FieldSpec>>;
  /**
   * Groups of fields of which exactly one group must be present, e.g. `run_async` takes
   * `app` or an inline definition (`command`): `[["app"], ["command"]]`.
   */
  oneOf?: readonly (readonly string[])[];
  /** Accept keys not listed in `fields` (an inline `App` definition takes any App field). */
  openFields?: boolean;
  /** Output name → description, readable as `steps.<id>.<name>`. */
  outputs: Readonly<Record<string, string>>;
  /** `login`/`logout`: run once per run, whichever node reaches them first. */
  session?: boolean;
  /**
   * The step's outputs are the fields of a server object (an `App`): `outputs` lists the
   * usual ones, and any other field of that object may be read too.
   */
  openOutputs?: boolean;
  /**
   * Safe to repeat after a request that may have taken effect (a 5xx or a cut connection):
   * the engine's `retry` then covers those errors too. A step without it (starting a
   * process, posting a task) is retried only when its request cannot have reached the
   * server (connection refused, 502/503 answered before any work).
   */
  idempotent?: boolean;
  /**
   * The requests one run of the step makes, for the dry-run plan; default: the endpoint named
   * by `method`, if any (see there).
   */
  requests?(args: Record<string, unknown>): readonly RequestLine[];
  /** Do it. `args` are the resolved fields (expressions evaluated, defaults applied). */
  run(ctx: StepContext, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Where something sits in the workflow file (1-based). */
export interface SourcePos {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/** The common step fields of `workflow.md`, parsed. */
export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** Backoff shape. */
  backoff: "fixed" | "exponential";
  /** Base interval in milliseconds. */
  interval: number;
}

/** One step of a validated workflow. Values may still hold `${{ }}` templates. */
export interface WorkflowStep {
  /** `id:` or undefined. */
  id?: string;
  /** `name:` or undefined. */
  name?: string;
  /** Step type (the key, e.g. `add_app`). */
  type: string;
  /** The step's own fields, unresolved (strings may contain `${{ }}`). */
  with: Record<string, unknown>;
  /** `if:` expression source (without `${{ }}` wrapping is also accepted), or undefined. */
  if?: string;
  /** Time limit in milliseconds. */
  timeout?: number;
  /** Retry policy (absent: one attempt). */
  retry?: RetryPolicy;
  /** A failure is reported as `allowed_failure` and the node goes on. */
  continue_on_error: boolean;
  /**
   * `rerun: skip`: safe to skip on a rerun from the failed step (`rerun` of the run
   * options); absent: it runs.
   */
  rerun?: "skip";
  /** Position of the step in the file. */
  pos: SourcePos;
  /** Index in its list (`steps` or `finally`), 0-based. */
  index: number;
}

/** A declared input. */
export interface InputSpec {
  /** Its type. */
  type: "string" | "number" | "boolean";
  /** Default value. */
  default?: string | number | boolean;
  /** Must be given (when no default). */
  required?: boolean;
  /** Help text. */
  description?: string;
}

/** A loaded and validated workflow: what `loadWorkflow` returns and `runWorkflow` takes. */
export interface Workflow {
  /** The file it came from, when it came from one. */
  file?: string;
  /** `name:` (defaults to the file's base name). */
  name: string;
  /** `description:`. */
  description?: string;
  /** `connection:` (all optional; values may be templates). */
  connection: {
    url?: string;
    ca?: string;
    verify?: boolean;
    cert?: string;
    key?: string;
    cookie_file?: string;
  };
  /** `nodes:`: a list, or an expression string yielding a list; undefined: the server itself. */
  nodes?: string[] | string;
  /** Nodes in flight at once (undefined: all). */
  concurrency?: number;
  /** After a node fails, start no new node. */
  fail_fast: boolean;
  /** Stop starting nodes once this many have failed. */
  max_failures?: number;
  /** Declared inputs. */
  inputs: Record<string, InputSpec>;
  /** `env:` (values may be templates). */
  env: Record<string, string>;
  /** The steps, in order. */
  steps: WorkflowStep[];
  /** The `finally` steps, in order. */
  finally: WorkflowStep[];
}
