/**
 * The dry-run plan: the nodes, the steps and the requests each step will make, resolved as
 * far as possible without contacting any server, with secrets masked.
 *
 * @module
 */

import { type ExprContext, resolveTemplates } from "../expr/mod.ts";
import type { RunOptions } from "../run/options.ts";
import { preflight, processEnv, usage } from "../run/run_setup.ts";
import { parseNode, resolveNodes } from "../run/nodes.ts";
import { envSource, namedSource, pickSetting } from "../../runtime/connection.ts";
import { checkUrl } from "../../runtime/connection_checks.ts";
import { ConnectionSettingError, DEFAULT_URL } from "../../runtime/connection_names.ts";
import { Masker } from "../run/secrets.ts";
import type {
  PlannedRequest,
  RequestLine,
  StepSpec,
  Workflow,
  WorkflowStep,
} from "../language/spec.ts";
import { type EndpointName, ENDPOINTS } from "../../client/endpoints.ts";
import { STEPS } from "../language/steps/mod.ts";
import { stepId } from "../run/node_runner.ts";

const RUN_ID = "<run id>";

/** One planned step. */
export interface PlannedStep {
  /** Step id (or `#<index>`). */
  id: string;
  /** Step type. */
  type: string;
  /** `name:`. */
  name?: string;
  /** `if:` as written. */
  if?: string;
  /** Its fields, resolved where they do not depend on a node or an earlier step (masked). */
  with: Record<string, unknown>;
  /** The requests it will make (on each node; once per run for `login`/`logout`). */
  requests: PlannedRequest[];
  /** Runs once per run (session step). */
  session?: boolean;
  /** `timeout` in milliseconds. */
  timeout?: number;
  /** Retry attempts, when more than one. */
  retry?: { attempts: number; backoff: string; interval: number };
  /** `continue_on_error`. */
  continue_on_error?: boolean;
}

/** What `--dry-run` prints. */
export interface Plan {
  /** Workflow name. */
  workflow: string;
  /** The server the run would connect to. */
  url: string;
  /** Node names (or the server itself). */
  nodes: string[];
  /**
   * With an inventory: how each node is reached (`host` in `X-Target-Host`, `via` another
   * entry server).
   */
  targets?: { name: string; host: string; via?: string }[];
  /** Nodes in flight at once. */
  concurrency: number;
  /** `fail_fast`. */
  fail_fast: boolean;
  /** `max_failures`. */
  max_failures?: number;
  /** The steps. */
  steps: PlannedStep[];
  /** The `finally` steps. */
  finally: PlannedStep[];
}

/** Options of {@linkcode planWorkflow}: the run's options, and the file's text for locations. */
export type PlanOptions = RunOptions & {
  /** The workflow file's text, to point at the exact spot of an issue. */
  source?: string;
};

/**
 * Builds the dry-run plan. Sends no request and reads no file; a field whose value depends on
 * a node or an earlier step stays as written. It is exactly as strict as a run: an unknown or
 * mistyped input, an unset secret or environment variable, or a server URL that is not one is
 * a {@linkcode WorkflowError}, as `runWorkflow` would throw before its first request.
 *
 * @example
 * ```ts
 * import { planWorkflow } from "./plan.ts";
 * const plan = planWorkflow({
 *   name: "demo", connection: {}, fail_fast: false, inputs: {}, env: {}, finally: [],
 *   steps: [{ type: "delete_app", with: { name: "x" }, continue_on_error: false,
 *     pos: { line: 1, col: 1 }, index: 0 }],
 * }, { env: {}, nodes: ["a", "b"] });
 * plan.steps[0].requests; // [{ method: "DELETE", path: "/appmesh/app/x" }]
 * ```
 */
export function planWorkflow(wf: Workflow, options: PlanOptions = {}): Plan {
  const env = { ...(options.env ?? processEnv()) };
  const inputs = preflight(wf, options, env, options.source);
  const masker = new Masker(Object.values(options.secrets ?? {}));
  const given = options.secrets ?? {};
  // Only the secrets a field reads are masked; their values never reach the plan.
  const secrets = new Proxy({} as Record<string, string>, {
    getOwnPropertyDescriptor: (_t, k) => {
      if (typeof k !== "string") return undefined;
      const value = Object.hasOwn(given, k) ? given[k] : env[k];
      if (value === undefined) return undefined;
      masker.add(value);
      return { value, writable: false, enumerable: true, configurable: true };
    },
    get: (_t, k) => {
      if (typeof k !== "string") return undefined;
      const value = Object.hasOwn(given, k) ? given[k] : env[k];
      if (value !== undefined) masker.add(value);
      return value;
    },
    ownKeys: () => Object.keys(given),
  });
  const now = new Date().toISOString();
  const ctx = {
    env,
    secrets,
    inputs,
    run: { id: RUN_ID, date: now.slice(0, 10), started: now },
    steps: {},
    job: { status: "success" as const },
  } as ExprContext;
  for (const [k, v] of Object.entries(wf.env ?? {})) {
    const r = tryResolve(v, ctx);
    env[k] = typeof r === "string" ? r : String(v);
  }
  // Without a node in the context, anything naming node.* or steps.* stays as written.
  // The run's precedence (runtime/connection.ts); files are the run's to check.
  const wfUrl = tryResolve(wf.connection?.url, ctx);
  const picked = pickSetting([
    namedSource("options.connection", { url: options.connection?.url }),
    namedSource("connection", { url: wfUrl === undefined ? undefined : String(wfUrl) }, true),
    envSource(env),
  ], "url");
  const from = picked.from;
  let url = String(picked.value ?? DEFAULT_URL);
  if (!url.includes("${{")) {
    try {
      url = checkUrl(url, from);
    } catch (e) {
      if (e instanceof ConnectionSettingError) throw usage(e.message);
      throw e;
    }
  }
  let nodes: unknown = options.nodes?.length ? options.nodes : wf.nodes;
  if (typeof nodes === "string") {
    const r = tryResolve(nodes, ctx);
    nodes = Array.isArray(r)
      ? r
      : typeof r === "string" && !r.includes("${{")
      ? r.split(/[\s,]+/).filter(Boolean)
      : [r];
  }
  let names: string[];
  if (Array.isArray(nodes)) names = nodes.map(String);
  else {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    const port = u ? Number(u.port || (u.protocol === "https:" ? 443 : 80)) : 6060;
    names = [u ? parseNode(`${u.hostname}:${port}`, port).name : url];
  }
  let targets: Plan["targets"];
  if (options.inventory !== undefined || options.limit?.length) {
    const inv = options.inventory;
    if (typeof inv === "string") {
      throw usage("inventory: the plan reads no file; give the parsed one (loadInventory)");
    }
    const given = Array.isArray(nodes) ? names : undefined;
    const base = url.includes("${{") ? DEFAULT_URL : url;
    const resolved = resolveNodes(wf, { ...options, nodes: given }, ctx, base, inv);
    names = resolved.map((n) => n.name);
    if (inv) {
      targets = resolved.map((n) => {
        const t: { name: string; host: string; via?: string } = {
          name: n.name,
          host: n.target ?? n.name,
        };
        if (n.entry) t.via = n.entry.url;
        return t;
      });
    }
  }
  const step = (s: WorkflowStep, inFinally: boolean): PlannedStep => {
    const spec = STEPS[s.type];
    const withResolved = tryResolveDeep(s.with, ctx) as Record<string, unknown>;
    const p: PlannedStep = {
      id: stepId(s, inFinally),
      type: s.type,
      with: withResolved,
      // The run id is not known yet: show its placeholder as written, not URL-encoded.
      requests: spec ? requestLines(spec, withResolved).map(planned) : [],
    };
    if (s.name !== undefined) p.name = s.name;
    if (s.if !== undefined) p.if = s.if;
    if (spec?.session) p.session = true;
    if (s.timeout !== undefined) p.timeout = s.timeout;
    if (s.retry && s.retry.attempts > 1) p.retry = { ...s.retry };
    if (s.continue_on_error) p.continue_on_error = true;
    return p;
  };
  const plan: Plan = {
    workflow: wf.name,
    url,
    nodes: names,
    ...(targets ? { targets } : {}),
    concurrency: Math.max(1, Math.min(wf.concurrency ?? names.length, names.length)),
    fail_fast: wf.fail_fast,
    steps: wf.steps.map((s) => step(s, false)),
    finally: (wf.finally ?? []).map((s) => step(s, true)),
  };
  if (wf.max_failures !== undefined) plan.max_failures = wf.max_failures;
  return masker.maskDeep(plan);
}

/** A step's request lines: its own, or the one endpoint its client method names. */
function requestLines(spec: StepSpec, args: Record<string, unknown>): readonly RequestLine[] {
  if (spec.requests) return spec.requests(args);
  return Object.hasOwn(ENDPOINTS, spec.method) ? [{ endpoint: spec.method, params: args }] : [];
}

/** A value in a planned path: a template or `<placeholder>` as written, the rest encoded. */
function shown(v: unknown): string {
  if (typeof v === "string" && (v.includes("${{") || /^<[^<>]*>$/.test(v))) return v;
  // The run id is not known yet: its placeholder stays as written, not URL-encoded.
  return encodeURIComponent(String(v ?? "")).replaceAll(encodeURIComponent(RUN_ID), RUN_ID);
}

/** A request line as the plan shows it: the endpoint's method and its path filled in. */
function planned(line: RequestLine): PlannedRequest {
  if (!Object.hasOwn(ENDPOINTS, line.endpoint)) {
    throw new TypeError(`no endpoint ${line.endpoint} in the client's table`);
  }
  const { method, path: pattern } = ENDPOINTS[line.endpoint as EndpointName];
  const path = pattern.replace(/:([A-Za-z_]\w*)/g, (_, p: string) => shown(line.params?.[p]));
  const query = Object.entries(line.query ?? {}).map(([k, v]) => `${k}=${shown(v)}`).join("&");
  const out: PlannedRequest = { method, path: query ? `${path}?${query}` : path };
  if (line.note) out.note = line.note;
  return out;
}

function tryResolve(v: unknown, ctx: ExprContext): unknown {
  if (v === undefined) return undefined;
  try {
    return resolveTemplates(v, ctx);
  } catch {
    return v;
  }
}

function tryResolveDeep(v: unknown, ctx: ExprContext): unknown {
  if (typeof v === "string") return tryResolve(v, ctx);
  if (Array.isArray(v)) return v.map((x) => tryResolveDeep(x, ctx));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = tryResolveDeep(x, ctx);
    return out;
  }
  return v;
}

/**
 * The plan as text for a terminal.
 *
 * @example
 * ```ts
 * import { formatPlan } from "./plan.ts";
 * formatPlan({ workflow: "w", url: "https://127.0.0.1:6060", nodes: ["a"], concurrency: 1,
 *   fail_fast: false, steps: [], finally: [] }).split("\n")[0];
 * // "workflow w (dry run: nothing is sent)"
 * ```
 */
export function formatPlan(plan: Plan): string {
  const lines = [`workflow ${plan.workflow} (dry run: nothing is sent)`];
  lines.push(`server: ${plan.url}`);
  lines.push(
    `nodes: ${plan.nodes.join(", ")} (concurrency ${plan.concurrency}${
      plan.fail_fast ? ", fail_fast" : ""
    }${plan.max_failures !== undefined ? `, max_failures ${plan.max_failures}` : ""})`,
  );
  for (const t of plan.targets ?? []) {
    const how = [t.host !== t.name ? `host ${t.host}` : "", t.via ? `via ${t.via}` : ""]
      .filter(Boolean).join(", ");
    if (how) lines.push(`  ${t.name}: ${how}`);
  }
  // With nodes reached through other entry servers, a session step runs once on each of them.
  const entries = new Set((plan.targets ?? []).map((t) => t.via ?? "")).size;
  const session = entries > 1 ? `once per entry server (${entries})` : "once per run";
  const show = (title: string, steps: PlannedStep[]) => {
    if (steps.length === 0) return;
    lines.push(`${title}:`);
    steps.forEach((s, i) => {
      const extra = [
        s.session ? session : "",
        s.if ? `if ${s.if}` : "",
        s.timeout !== undefined ? `timeout ${s.timeout / 1000}s` : "",
        s.retry ? `retry ${s.retry.attempts}x ${s.retry.backoff}` : "",
        s.continue_on_error ? "continue_on_error" : "",
      ].filter(Boolean);
      lines.push(
        `  ${i + 1}. ${s.id} ${s.type}${s.name ? ` "${s.name}"` : ""}${
          extra.length ? ` [${extra.join(", ")}]` : ""
        }`,
      );
      for (const [k, v] of Object.entries(s.with)) {
        lines.push(`       ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
      }
      for (const r of s.requests) {
        lines.push(`       -> ${r.method} ${r.path}${r.note ? `  (${r.note})` : ""}`);
      }
    });
  };
  show("steps", plan.steps);
  show("finally", plan.finally);
  return lines.join("\n");
}
