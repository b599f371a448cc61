/**
 * The engine: runs a validated workflow across its nodes through one session, and reports.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import { type ExprContext, resolveTemplates } from "../expr/mod.ts";
import { errorText } from "../load/errors.ts";
import { type NodeResult, runNode, type RunState } from "./node_runner.ts";
import { type Leftover, type NodeReport, type Report, summaryLine } from "../report/report.ts";
import { Masker } from "./secrets.ts";
import { RunSession } from "./session.ts";
import { Entries } from "./entries.ts";
import { loadInventory } from "../inventory/inventory.ts";
import type { Workflow, WorkflowEvent } from "../language/spec.ts";
import { STEPS } from "../language/steps/mod.ts";
import { clientOptions } from "../../runtime/connection.ts";
import type { RunOptions } from "./options.ts";
import { planRerun, rerunInputs } from "./rerun.ts";
import {
  connectionSettings,
  envText,
  folderOf,
  preflight,
  processEnv,
  runInfo,
  secretsView,
  usage,
} from "./run_setup.ts";
import { resolveNodes } from "./nodes.ts";

/**
 * Runs a workflow and resolves to its report (it rejects only on bad inputs or options, with
 * a {@linkcode WorkflowError}; every failure of a step or node is in the report).
 *
 * @example Run a workflow on two nodes of a local server
 * ```ts
 * import { parseWorkflow, runWorkflow } from "../mod.ts";
 * import { startDevServer } from "../../devserver/mod.ts";
 *
 * await using server = await startDevServer({ nodes: 2 });
 * const wf = parseWorkflow(`
 * name: hello
 * steps:
 *   - login: { user: admin, password: "\${{ secrets.PASSWORD }}" }
 *   - id: hi
 *     run_sync: { command: "echo hello from \${{ node.name }}", shell: true }
 * `);
 * const report = await runWorkflow(wf, {
 *   connection: { url: server.urls[0], ca: server.caFile },
 *   nodes: server.nodes.map((n) => n.name),
 *   secrets: { PASSWORD: "admin123" },
 *   env: {}, // not the process's: no APPMESH_*, and no ~/.appmesh/cookies.txt session
 *   onEvent: (e) => console.log(e.type, e.node ?? "", e.step ?? "", e.status ?? ""),
 * });
 * console.log(report.summary); // hello: success: 2/2 nodes ok (run ..., 0.1s)
 * ```
 */
export async function runWorkflow(wf: Workflow, options: RunOptions = {}): Promise<Report> {
  const startedAt = new Date();
  const t0 = performance.now();
  const env = { ...(options.env ?? processEnv()) };
  const masker = new Masker(Object.values(options.secrets ?? {}));
  const secrets = secretsView(env, options.secrets ?? {}, masker);
  const run = runInfo(startedAt);
  const inputs = preflight(
    wf,
    options.rerun
      ? { ...options, inputs: rerunInputs(wf.inputs, options.rerun.report, options.inputs) }
      : options,
    env,
  );
  const top: ExprContext = { env, secrets, inputs, run, steps: {}, job: { status: "success" } };
  // The workflow's env: overlays the runner's environment, in order (later ones may use earlier).
  for (const [k, v] of Object.entries(wf.env ?? {})) env[k] = envText(resolveTemplates(v, top), k);

  const conn = await connectionSettings(wf, options, top, env);
  const rerun = options.rerun ? planRerun(wf, options.rerun, options.steps ?? STEPS) : undefined;
  if (rerun && options.nodes?.length) {
    throw usage("nodes: not with rerun (the report says which nodes run again)");
  }
  const inventoryOption = options.inventory ?? (env.APPMESH_INVENTORY || undefined);
  const inventory = typeof inventoryOption === "string"
    ? await loadInventory(inventoryOption)
    : inventoryOption;
  const baseUrl = options.client?.baseUrl ?? conn.url;
  let nodes = resolveNodes(wf, options, top, baseUrl, inventory);
  if (rerun) {
    // A node of the workflow keeps how it is addressed (its inventory entry, or the server
    // itself); one named only by the report (an earlier --node) is reached as a named node.
    // --limit narrows a rerun too.
    const again = rerun.nodes.length
      ? resolveNodes(wf, { nodes: rerun.nodes, limit: options.limit }, top, baseUrl, inventory)
      : [];
    const byName = new Map(nodes.map((n) => [n.name, n]));
    nodes = again.map((n) => byName.get(n.name) ?? n);
  }
  let client: AppMeshClient;
  try {
    client = options.client ?? await makeClient(clientOptions(conn), options.fetch);
  } catch (e) {
    throw usage(`connection: ${errorText(e)}`);
  }
  const abandon = options.abandon ?? new AbortController().signal;
  const signal = options.signal ? AbortSignal.any([options.signal, abandon]) : abandon;
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

  const rs: RunState = {
    registry: options.steps ?? STEPS,
    client,
    session,
    masker,
    signal,
    abandon,
    base: { env, secrets, inputs, run },
    cwd: options.cwd ?? folderOf(wf.file),
    emit,
    sessionSteps: new Map(),
    logoutRequested: false,
  };
  let entries: Entries;
  try {
    entries = await Entries.open(rs, nodes, conn, (o) => makeClient(o, options.fetch));
  } catch (e) {
    if (!options.client) await client.close().catch(() => {});
    throw e;
  }
  const reach = entries;
  emit({
    type: "run_start",
    status: "running",
    message: wf.name,
    data: {
      run_id: run.id,
      nodes: nodes.map((n) => n.name),
      ...(options.rerun ? { rerun_of: options.rerun.report.run_id } : {}),
    },
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
        const entry = reach.of(node);
        const view = node.view ? entry.client.forNode(node.target ?? node.name) : entry.client;
        const info = { name: node.name, host: node.host, port: node.port, vars: node.vars ?? {} };
        const r = await runNode(
          entry.rs,
          info,
          view,
          wf.steps,
          wf.finally ?? [],
          rerun?.resume.get(node.name),
        );
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
    if (!abandon.aborted) await entries.logout(emit);
  } finally {
    await entries.close();
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
  const leftovers: Leftover[] = nodes.flatMap((n) => results.get(n.name)?.leftovers ?? []);
  const status = signal.aborted
    ? "interrupted"
    : reports.some((n) => n.status !== "success")
    ? "failure"
    : "success";
  const exit_code = status === "interrupted"
    ? abandon.aborted ? 5 : interruptCode(options.signal?.reason)
    : status === "success"
    ? 0
    : all.length > 0 && (all.every((r) => r.unreachable) || all.some((r) => r.loginRefused))
    ? 3
    : 1;
  const partial = {
    workflow: wf.name,
    run_id: run.id,
    ...(options.rerun ? { rerun_of: options.rerun.report.run_id } : {}),
    status,
    inputs: masker.maskDeep(inputs),
    started: startedAt.toISOString(),
    duration_ms: Math.round(performance.now() - t0),
    session: { login: entries.outcome() },
    nodes: reports,
    leftovers,
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

async function makeClient(
  settings: ReturnType<typeof clientOptions>,
  fetch: typeof globalThis.fetch | undefined,
): Promise<AppMeshClient> {
  // Loaded on demand: a run with its own client never loads the default one.
  const { AppMeshClient } = await import("../../client/client.ts");
  return new AppMeshClient({ ...settings, autoRefreshToken: true, fetch });
}

function interruptCode(reason: unknown): 130 | 143 {
  const r = reason as { signal?: unknown; message?: unknown } | null;
  const text = `${String(r?.signal ?? "")} ${String(r?.message ?? "")} ${
    typeof reason === "string" ? reason : ""
  }`;
  return /SIGTERM/.test(text) ? 143 : 130;
}
