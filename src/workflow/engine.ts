/**
 * The engine: runs a validated workflow across its nodes through one session, and reports.
 *
 * @module
 */

import type { AppMeshClient } from "../client/client.ts";
import { WorkflowError, type WorkflowIssue } from "./errors.ts";
import { type ExprContext, resolveTemplates } from "./expr/mod.ts";
import { errorText, type NodeResult, runNode, type RunState } from "./node_runner.ts";
import { type NodeReport, type Report, summaryLine } from "./report.ts";
import { Masker } from "./secrets.ts";
import { RunSession } from "./session.ts";
import type { NodeInfo, StepSpec, Workflow, WorkflowEvent } from "./spec.ts";
import { STEPS } from "./steps/mod.ts";

/** Options of {@linkcode runWorkflow} (the command line's flags map onto these). */
export interface RunOptions {
  /** Input values (`--input k=v`); strings are coerced to the declared type. */
  inputs?: Record<string, unknown>;
  /** Nodes to run on (`--node`), replacing the workflow's `nodes`. */
  nodes?: string[];
  /** Secrets, over the environment-derived ones (`secrets.NAME` defaults to env `NAME`). */
  secrets?: Record<string, string>;
  /** The environment (default: the process environment). */
  env?: Record<string, string>;
  /** Connection settings; these win over the workflow's `connection:`. */
  connection?: {
    url?: string;
    ca?: string;
    verify?: boolean;
    cookieFile?: string;
    cert?: string;
    key?: string;
  };
  /** Progress events (already masked): the `--json` lines. */
  onEvent?: (e: WorkflowEvent) => void;
  /** Interrupt: no new step starts, waits are cancelled, `finally` runs, temporary apps go. */
  signal?: AbortSignal;
  /** The `fetch` the client uses. */
  fetch?: typeof fetch;
  /** A client to use instead of one built from `connection` (it is not closed). */
  client?: AppMeshClient;
  /** Folder relative `local:` paths are resolved against (default: the workflow file's). */
  cwd?: string;
  /** Step types to use instead of the built-in ones (custom steps, tests). */
  steps?: Readonly<Record<string, StepSpec>>;
}

/**
 * Runs a workflow and resolves to its report (it rejects only on bad inputs or options, with
 * a {@linkcode WorkflowError}; every failure of a step or node is in the report).
 *
 * @example
 * ```ts ignore
 * import { loadWorkflow, runWorkflow } from "./mod.ts";
 * const wf = await loadWorkflow("workflows/demo.yaml");
 * const report = await runWorkflow(wf, { onEvent: (e) => console.log(e.node, e.step, e.status) });
 * console.log(report.summary);
 * ```
 */
export async function runWorkflow(wf: Workflow, options: RunOptions = {}): Promise<Report> {
  const startedAt = new Date();
  const t0 = performance.now();
  const env = { ...(options.env ?? processEnv()) };
  const masker = new Masker(Object.values(options.secrets ?? {}));
  const secrets = secretsView(env, options.secrets ?? {}, masker);
  const run = runInfo(startedAt);
  const inputs = coerceInputs(wf, options.inputs ?? {});
  const top: ExprContext = { env, secrets, inputs, run, steps: {}, job: { status: "success" } };
  // The workflow's env: overlays the runner's environment, in order (later ones may use earlier).
  for (const [k, v] of Object.entries(wf.env ?? {})) env[k] = String(resolveTemplates(v, top));

  const conn = connectionSettings(wf, options, top, env);
  // Loaded on demand: a run with its own client (or a dry run) never loads the default one.
  const client = options.client ?? new (await import("../client/client.ts")).AppMeshClient({
    baseUrl: conn.url,
    ca: conn.ca,
    cert: conn.cert,
    key: conn.key,
    verify: conn.verify,
    cookieFile: conn.cookieFile,
    autoRefreshToken: true,
    fetch: options.fetch,
  });
  const signal = options.signal ?? new AbortController().signal;
  const session = new RunSession(client, masker);
  const emit = (e: Omit<WorkflowEvent, "time">) => {
    if (!options.onEvent) return;
    const ev: WorkflowEvent = { time: new Date().toISOString(), ...e };
    if (ev.message !== undefined) ev.message = masker.mask(ev.message);
    if (ev.data !== undefined) ev.data = masker.maskDeep(ev.data);
    try {
      options.onEvent(ev);
    } catch {
      // A failing listener must not break the run.
    }
  };

  const nodes = resolveNodes(wf, options, top, client.baseUrl);
  const rs: RunState = {
    registry: options.steps ?? STEPS,
    client,
    session,
    masker,
    signal,
    base: { env, secrets, inputs, run },
    cwd: options.cwd ?? folderOf(wf.file),
    emit,
    sessionSteps: new Map(),
    logoutRequested: false,
  };
  emit({
    type: "run_start",
    status: "running",
    message: wf.name,
    data: { run_id: run.id, nodes: nodes.map((n) => n.name) },
  });

  const results = new Map<string, NodeResult>();
  const notStarted = new Map<string, string>();
  try {
    let failures = 0;
    let stop: string | undefined;
    const queue = [...nodes];
    const width = Math.max(1, Math.min(wf.concurrency ?? nodes.length, nodes.length));
    const worker = async () => {
      while (queue.length > 0) {
        if (signal.aborted) stop ??= "interrupted";
        if (stop) break;
        const node = queue.shift()!;
        const view = node.view ? client.forNode(node.name) : client;
        const r = await runNode(rs, node, view, wf.steps, wf.finally ?? []);
        results.set(node.name, r);
        if (r.report.status === "failure") {
          failures++;
          if (wf.fail_fast) stop ??= "fail_fast: another node failed";
          if (wf.max_failures !== undefined && failures >= wf.max_failures) {
            stop ??= `max_failures: ${failures} nodes failed`;
          }
        }
      }
      for (const n of queue.splice(0)) notStarted.set(n.name, stop ?? "not started");
    };
    await Promise.all(Array.from({ length: width }, worker));
    if (rs.logoutRequested) {
      try {
        const ok = await session.logout();
        emit({ type: "log", message: ok ? "logged off" : "no session to log off" });
      } catch (e) {
        emit({ type: "log", status: "failure", message: `logoff failed: ${errorText(e)}` });
      }
    }
  } finally {
    if (!options.client) await client.close().catch(() => {});
  }

  const reports: NodeReport[] = nodes.map((n) =>
    results.get(n.name)?.report ?? {
      node: n.name,
      status: "skipped",
      error: `not started (${notStarted.get(n.name) ?? "not started"})`,
      steps: [],
    }
  );
  const all = [...results.values()];
  const status = signal.aborted
    ? "interrupted"
    : reports.some((n) => n.status !== "success")
    ? "failure"
    : "success";
  const exit_code = status === "interrupted"
    ? interruptCode(signal.reason)
    : status === "success"
    ? 0
    : all.length > 0 && (all.every((r) => r.unreachable) || all.some((r) => r.loginRefused))
    ? 3
    : 1;
  const partial = {
    workflow: wf.name,
    run_id: run.id,
    status,
    started: startedAt.toISOString(),
    duration_ms: Math.round(performance.now() - t0),
    session: { login: session.outcome },
    nodes: reports,
  } as const;
  const report: Report = {
    ...partial,
    nodes: reports,
    summary: masker.mask(summaryLine(partial)),
    exit_code,
  };
  emit({
    type: "run_end",
    status,
    message: report.summary,
    data: { exit_code, duration_ms: report.duration_ms, session: report.session.login },
  });
  return report;
}

/** A node plus whether to address it through `forNode` (the workflow named it). */
type RunNodeInfo = NodeInfo & { view: boolean };

function resolveNodes(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  baseUrl: string,
): RunNodeInfo[] {
  const url = new URL(baseUrl);
  const defaultPort = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  let names: unknown = options.nodes && options.nodes.length ? options.nodes : wf.nodes;
  if (typeof names === "string") {
    try {
      names = resolveTemplates(names, top);
    } catch (e) {
      throw usage(`nodes: ${errorText(e)}`);
    }
    if (typeof names === "string") names = names.split(/[\s,]+/).filter(Boolean);
  }
  if (names === undefined || names === null) {
    return [{
      name: `${url.hostname}:${defaultPort}`,
      host: url.hostname,
      port: defaultPort,
      view: false,
    }];
  }
  if (
    !Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string" || !n)
  ) {
    throw usage("nodes: expected a non-empty list of host or host:port names");
  }
  const seen = new Set<string>();
  const out: RunNodeInfo[] = [];
  for (const raw of names as string[]) {
    const name = raw.trim();
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ ...parseNode(name, defaultPort), view: true });
  }
  return out;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → name, host, port. */
export function parseNode(name: string, defaultPort: number): NodeInfo {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (v6) return { name, host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(name);
  if (m) return { name, host: m[1], port: Number(m[2]) };
  return { name, host: name, port: defaultPort };
}

function connectionSettings(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  env: Record<string, string>,
) {
  const c = (wf.connection ?? {}) as Record<string, unknown>;
  const pick = (key: string): unknown => {
    if (c[key] === undefined) return undefined;
    try {
      return resolveTemplates(c[key], top);
    } catch (e) {
      throw usage(`connection.${key}: ${errorText(e)}`);
    }
  };
  const o = options.connection ?? {};
  const str = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : String(v));
  const verify: unknown = o.verify ?? pick("verify");
  return {
    url: str(o.url) ?? str(pick("url")) ?? env.APPMESH_URL ?? "https://127.0.0.1:6060",
    ca: str(o.ca) ?? str(pick("ca")) ?? env.APPMESH_CA,
    cert: str(o.cert) ?? str(pick("cert")),
    key: str(o.key) ?? str(pick("key")),
    verify: verify === undefined ? undefined : verify !== false && verify !== "false",
    cookieFile: expandHome(
      str(o.cookieFile) ?? str(pick("cookie_file")) ?? env.APPMESH_COOKIE_FILE,
      env,
    ),
  };
}

function expandHome(path: string | undefined, env: Record<string, string>): string | undefined {
  if (!path || !(path === "~" || path.startsWith("~/"))) return path;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? home + path.slice(1) : path;
}

/**
 * `secrets.NAME`: the given secrets, else the environment variable NAME. Looked up lazily, so
 * only the secrets a workflow reads are masked (not every environment value).
 */
function secretsView(
  env: Record<string, string>,
  given: Record<string, string>,
  masker: Masker,
): Record<string, string> {
  const lookup = (k: string | symbol): string | undefined => {
    if (typeof k !== "string") return undefined;
    const v = Object.hasOwn(given, k) ? given[k] : Object.hasOwn(env, k) ? env[k] : undefined;
    if (v !== undefined) masker.add(v);
    return v;
  };
  return new Proxy({} as Record<string, string>, {
    get: (_t, k) => lookup(k),
    has: (_t, k) => lookup(k) !== undefined,
    getOwnPropertyDescriptor: (_t, k) => {
      const value = lookup(k);
      return value === undefined
        ? undefined
        : { value, writable: false, enumerable: true, configurable: true };
    },
    // Only the given secrets are listed (for did-you-mean hints), never the environment.
    ownKeys: () => Object.keys(given),
  });
}

function coerceInputs(wf: Workflow, given: Record<string, unknown>): Record<string, unknown> {
  const issues: WorkflowIssue[] = [];
  const out: Record<string, unknown> = {};
  const declared = wf.inputs ?? {};
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(declared, k)) {
      const known = Object.keys(declared);
      issues.push({
        file: wf.file,
        line: 0,
        col: 0,
        message: `unknown input "${k}"`,
        hint: known.length
          ? `declared inputs: ${known.join(", ")}`
          : "the workflow declares no inputs",
      });
    }
  }
  for (const [k, spec] of Object.entries(declared)) {
    let v = given[k] ?? spec.default;
    if (v === undefined) {
      if (spec.required) {
        issues.push({ file: wf.file, line: 0, col: 0, message: `input "${k}" is required` });
      }
      continue;
    }
    if (spec.type === "number" && typeof v === "string") {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        issues.push({ file: wf.file, line: 0, col: 0, message: `input "${k}" must be a number` });
        continue;
      }
      v = n;
    } else if (spec.type === "boolean" && typeof v === "string") {
      if (!/^(true|false|yes|no|1|0)$/i.test(v)) {
        issues.push({
          file: wf.file,
          line: 0,
          col: 0,
          message: `input "${k}" must be true or false`,
        });
        continue;
      }
      v = /^(true|yes|1)$/i.test(v);
    } else if (spec.type === "string" && typeof v !== "string") {
      v = String(v);
    }
    out[k] = v;
  }
  if (issues.length) throw new WorkflowError(issues);
  return out;
}

function usage(message: string): WorkflowError {
  return new WorkflowError([{ line: 0, col: 0, message }]);
}

/** `run.id` (usable in app names), `run.date`, `run.started`. */
function runInfo(d: Date): { id: string; date: string; started: string } {
  const iso = d.toISOString();
  const stamp = iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(3)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return { id: `${stamp}-${rand}`, date: iso.slice(0, 10), started: iso };
}

function folderOf(file: string | undefined): string {
  if (!file) return ".";
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return cut < 0 ? "." : cut === 0 ? "/" : file.slice(0, cut);
}

function interruptCode(reason: unknown): 130 | 143 {
  const r = reason as { signal?: unknown; message?: unknown } | null;
  const text = `${String(r?.signal ?? "")} ${String(r?.message ?? "")} ${
    typeof reason === "string" ? reason : ""
  }`;
  return /SIGTERM/.test(text) ? 143 : 130;
}

/** The process environment (empty when it cannot be read). */
export function processEnv(): Record<string, string> {
  const g = globalThis as {
    Deno?: { env: { toObject(): Record<string, string> } };
    process?: { env: Record<string, string | undefined> };
  };
  try {
    if (g.Deno) return g.Deno.env.toObject();
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(g.process?.env ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
