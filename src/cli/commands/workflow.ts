/**
 * `appmesh workflow run|validate|schema`: the command line of the workflow runner. The run
 * command is here; its set-up is in `workflow_setup.ts`, `validate` and `schema` in
 * `workflow_check.ts`, the interrupt guard in `../interrupts.ts`.
 *
 * @module
 */

import { formatUsage, parsePairs, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import { flagValues, type GlobalOptions, style, useColor, warnInsecure } from "../context.ts";
import { CliError, describeError, EXIT } from "../errors.ts";
import { GRACE_SECONDS, guardInterrupts } from "../interrupts.ts";
import type { RunOptions, WorkflowEvent } from "../../workflow/mod.ts";
import { writeFileAtomic as writeFile } from "../../runtime/fs_write.ts";
import { envVar } from "../../runtime/env.ts";
import { readText } from "../../runtime/fs.ts";
import { isTerminal } from "../../runtime/process.ts";
import {
  checkSession,
  chooseRenderer,
  flagConnection,
  INVENTORY_FLAG,
  lockWaitMs,
  readInventory,
  runConnection,
} from "./workflow_setup.ts";

export { workflowSchema, workflowValidate } from "./workflow_check.ts";

const RUN_DESCRIPTION = `
Validates FILE, then runs its steps on every node (nodes in parallel up to \`concurrency\`)
through one session kept in the cookie file, and ends with a one-line summary.

On a terminal: a live line per node. Elsewhere (cron, CI): timestamped lines prefixed by
the node. Secrets come from the environment or --secrets-file and are printed as ***.

--rerun-failed REPORT runs again only the nodes that did not succeed in the run REPORT
(a --report file of this workflow) is of; --from-failed-step starts each of them at its
failed step when the steps before it are marked \`rerun: skip\`.

Ctrl-C or SIGTERM stops the run: finally steps run and temporary apps are deleted. Signals
within ${GRACE_SECONDS}s of the first are the same interrupt (a terminal's Ctrl-C also reaches
\`deno task\` or \`npx\`, which pass it on); one after that abandons the clean-up and lists
what was left where.

exit codes: 0 all nodes succeeded, 1 some node failed, 2 invalid workflow or usage,
3 no node reachable or login refused, 4 lock held by another run, 5 interrupted again and
the clean-up abandoned, 130/143 interrupted (clean-up done).`;

/**
 * `appmesh workflow run`.
 *
 * @example
 * ```ts
 * import { workflowRun } from "./workflow.ts";
 * console.log(workflowRun.spec.name); // "workflow run"
 * ```
 */
export const workflowRun: Command = {
  spec: {
    name: "workflow run",
    summary: "run a workflow file on its nodes",
    description: RUN_DESCRIPTION,
    flags: {
      input: {
        type: "string",
        multiple: true,
        value: "KEY=VALUE",
        description: "set a declared input (repeatable)",
      },
      node: {
        type: "string",
        multiple: true,
        value: "HOST",
        description: "run on this node instead of the workflow's nodes (repeatable)",
      },
      inventory: INVENTORY_FLAG,
      limit: {
        type: "string",
        multiple: true,
        value: "NAMES",
        description: "run only on these groups or nodes (comma-separated names and globs)",
      },
      "secrets-file": {
        type: "string",
        value: "FILE",
        description: "read secrets from a dotenv or YAML file",
      },
      "dry-run": {
        type: "boolean",
        description: "validate and print the plan; contact no server",
      },
      report: { type: "string", value: "FILE", description: "write the JSON report to FILE" },
      junit: { type: "string", value: "FILE", description: "write a JUnit XML report to FILE" },
      html: {
        type: "string",
        value: "FILE",
        description: "write the run as one self-contained HTML page to FILE",
      },
      lock: {
        type: "boolean",
        description: "take a lock named after the workflow; exit 4 if another run holds it",
      },
      "lock-wait": {
        type: "string",
        value: "DURATION",
        description: "with the lock held, wait up to DURATION (PT10M or seconds); implies --lock",
      },
      "rerun-failed": {
        type: "string",
        value: "REPORT",
        description: "run only the nodes that failed or were interrupted in REPORT (a --report)",
      },
      "from-failed-step": {
        type: "boolean",
        description: "with --rerun-failed: start each node at its failed step (rerun: skip)",
      },
      json: { type: "boolean", description: "print one JSON event per line" },
      quiet: { type: "boolean", short: "q", description: "print only failures and the summary" },
    },
    positionals: [{ name: "FILE", required: true }],
    connects: true,
    examples: [
      "appmesh workflow run workflows/demo.yaml",
      "appmesh workflow run backup.yaml --input keep_days=14 --node db-1 --node db-2",
      "appmesh workflow run nightly.yaml --lock --report nightly.json --junit nightly.xml",
      "appmesh workflow run deploy.yaml --dry-run --secrets-file .env",
      "appmesh workflow run deploy.yaml --rerun-failed deploy.json --from-failed-step",
      "appmesh workflow run deploy.yaml --inventory fleet.yaml --limit 'web,db-*'",
    ],
  },
  run: runWorkflowCommand,
};

async function runWorkflowCommand(
  args: Parameters<Command["run"]>[0],
  globals: GlobalOptions,
): Promise<number> {
  const usage = formatUsage(workflowRun.spec);
  const f = args.flags;
  const file = args.positionals[0];
  const inputs = parsePairs(f.input as string[] | undefined, "input", usage);
  const nodes = (f.node as string[] | undefined)?.filter((n) => n.length);
  const waitMs = await lockWaitMs(f["lock-wait"] as string | undefined, usage);
  const useLock = f.lock === true || waitMs !== undefined;
  const json = f.json === true;
  const quiet = f.quiet === true;
  const dryRun = f["dry-run"] === true;
  const rerunFile = f["rerun-failed"] as string | undefined;
  if (f["from-failed-step"] === true && rerunFile === undefined) {
    throw new UsageError("flag --from-failed-step: only with --rerun-failed REPORT", usage);
  }
  if (rerunFile !== undefined && nodes?.length) {
    throw new UsageError(
      "flag --node: not with --rerun-failed (the report names the nodes)",
      usage,
    );
  }
  const inventory = await readInventory(f.inventory as string | undefined);
  const { splitLimit } = await import("../../workflow/inventory/targets.ts");
  const limit = splitLimit((f.limit as string[] | undefined) ?? []);
  if (f.limit !== undefined && !limit.length) {
    throw new CliError("--limit: give group or node names or globs", EXIT.usage);
  }

  const engine = await import("../../workflow/mod.ts");
  const { loadWorkflow } = engine;

  let secrets: Record<string, string> | undefined;
  const secretsFile = f["secrets-file"] as string | undefined;
  if (secretsFile) {
    const { loadSecretsFile } = engine;
    try {
      const loaded = await loadSecretsFile(secretsFile);
      secrets = loaded.secrets;
      if (loaded.warning) console.error(`warning: ${loaded.warning}`);
    } catch (e) {
      // Never echo the file's content: its name and the kind of problem only.
      const r = describeError(e);
      const where = r.message.startsWith(secretsFile) ? "" : `${secretsFile}: `;
      throw new CliError(`--secrets-file: ${where}${r.message}`, EXIT.usage);
    }
  }
  // A second line of defence for what the CLI prints itself, with the engine's own masker.
  const masker = new engine.Masker(Object.values(secrets ?? {}));
  const mask = (s: string) => masker.mask(s);

  let wf;
  try {
    wf = await loadWorkflow(file, { inventory });
  } catch (e) {
    const r = describeError(e);
    if (e instanceof Error && e.name === "WorkflowError") {
      const format = (e as { format?: (o: { color: boolean }) => string }).format;
      console.error(mask(format ? format.call(e, { color: useColor("stderr") }) : r.message));
      const issues = (e as { issues?: { line: number }[] }).issues ?? [];
      // A located error gets a closing line; "cannot read the file" is one line on its own.
      if (issues.some((i) => i.line > 0)) {
        console.error(`${file}: invalid workflow (${issues.length} error(s)), nothing was run`);
      }
      return EXIT.usage;
    }
    // A missing or unreadable workflow file is a usage error too.
    throw new CliError(
      mask(`${file}: ${r.message}`),
      r.exitCode === EXIT.failed ? EXIT.usage : r.exitCode,
    );
  }

  let rerun: RunOptions["rerun"];
  let planNodes = nodes;
  let runInputs: Record<string, unknown> = inputs;
  if (rerunFile !== undefined) {
    const report = await readRerunReport(engine, rerunFile, wf.name, mask);
    planNodes = engine.nodesToRerun(report);
    if (planNodes.length === 0) {
      // Like a no-op: nothing is sent, and nothing is written.
      console.log(
        `${wf.name}: nothing to re-run: run ${report.run_id} had no failed or interrupted node`,
      );
      return EXIT.ok;
    }
    rerun = { report, fromFailedStep: f["from-failed-step"] === true };
    runInputs = engine.rerunInputs(wf.inputs, report, inputs);
  }

  warnInsecure(globals);
  // The flags are checked here, where an error can name them (a bad --url, --ca or --timeout is
  // exit 2 before anything is sent); the run resolves them again with the workflow's
  // `connection:` and the environment, through the same resolution.
  const given = flagValues(globals);
  const flags = await flagConnection(given);
  const connection: NonNullable<RunOptions["connection"]> = {};
  if (given.url) connection.url = flags.url;
  if (given.ca) connection.ca = flags.ca;
  if (given.verify === false) connection.verify = false;
  if (given.cookieFile) connection.cookieFile = flags.cookieFile;
  if (given.timeout) connection.timeout = flags.timeout;

  const options = {
    inputs: runInputs,
    ...(nodes?.length ? { nodes } : {}),
    ...(secrets ? { secrets } : {}),
    ...(inventory ? { inventory } : {}),
    ...(limit.length ? { limit } : {}),
    connection,
  };

  // What is knowable before the first request, checked the same for --dry-run and a run:
  // inputs, unset secrets and variables, located in the file (exit 2, nothing sent).
  let source: string | undefined;
  try {
    source = await readText(file);
  } catch {
    source = undefined;
  }
  const conn = await runConnection(wf, globals);
  try {
    const plan = engine.planWorkflow(wf, {
      ...options,
      ...(planNodes?.length ? { nodes: planNodes } : {}),
      source,
    });
    if (dryRun) {
      if (json) console.log(mask(JSON.stringify(plan, null, 2)));
      else console.log(mask(engine.formatPlan(plan)));
      return EXIT.ok;
    }
  } catch (e) {
    if (e instanceof Error && e.name === "WorkflowError") {
      const format = (e as { format?: (o: { color: boolean }) => string }).format;
      console.error(
        mask(format ? format.call(e, { color: useColor("stderr") }) : e.message),
      );
      const count = (e as { issues?: unknown[] }).issues?.length ?? 1;
      console.error(`${file}: ${count} problem(s) found before the run, nothing was sent`);
      return EXIT.usage;
    }
    throw e;
  }

  // No login step: the run lives on the session `appmesh login` saved.
  if (conn && !wf.steps.some((st) => st.type === "login")) await checkSession(conn);

  let lock: { release(): Promise<void> } | undefined;
  if (useLock) {
    lock = await engine.WorkflowLock.acquire(wf.name, { wait: waitMs ?? 0 });
    if (!lock) {
      const holder = await engine.WorkflowLock.holder(wf.name);
      const who = holder ? ` (PID ${holder.pid} on ${holder.host}, since ${holder.time})` : "";
      console.error(
        `appmesh: another run of '${wf.name}' holds the lock${who}${
          waitMs ? `; waited ${Math.round(waitMs / 1000)}s` : ""
        }; not started`,
      );
      return EXIT.locked;
    }
  }

  const mode = json
    ? "json"
    : quiet
    ? "quiet"
    : isTerminal("stdout") && envVar("TERM") !== "dumb"
    ? "tty"
    : "plain";
  const renderer = await chooseRenderer(mode, mask);
  const interrupts = guardInterrupts({
    announce(text) {
      if (json) return;
      // Through the renderer: on a terminal the live lines are cleared first, so that no stale
      // spinner line stays on the screen.
      if (renderer.note) renderer.note(text);
      else console.error(`\n${text}`);
    },
    stopping: "stopping; running finally steps and deleting temporary apps",
    leaves: "temporary apps may be left on the nodes",
  });
  try {
    let report;
    try {
      report = await engine.runWorkflow(wf, {
        ...options,
        ...(rerun ? { rerun } : {}),
        onEvent: (e: WorkflowEvent) => renderer.event(e),
        signal: interrupts.signal,
        abandon: interrupts.abandon,
      });
    } finally {
      renderer.close();
    }
    // Atomic: the report may be the one --rerun-failed read, and the only record of what failed.
    const outputs: [string, () => string][] = [];
    if (typeof f.report === "string") {
      outputs.push([f.report, () => mask(JSON.stringify(report, null, 2)) + "\n"]);
    }
    if (typeof f.junit === "string") outputs.push([f.junit, () => mask(engine.toJUnit(report))]);
    if (typeof f.html === "string") {
      // Built from the masked report only: masking the page's text would miss escaped forms.
      outputs.push([f.html, () => engine.htmlReport(masker.maskDeep(report))]);
    }
    const written = await Promise.allSettled(
      outputs.map(([path, text]) => writeFile(path, text())),
    );
    written.forEach((w, i) => {
      if (w.status === "fulfilled") return;
      // The error names the temporary file beside the target: name the target instead.
      const why = describeError(w.reason).message.replace(/[,:] \w+ '[^']*'$/, "");
      console.error(mask(`appmesh: cannot write ${outputs[i][0]}: ${why}`));
    });
    const left = report.leftovers ?? [];
    if (left.length) {
      const what = interrupts.abandon.aborted ? "clean-up abandoned; left behind" : "left behind";
      console.error(mask(
        [`appmesh: ${what}:`, ...left.map((l) => `  ${l.node}: app ${l.app} (${l.error})`)]
          .join("\n"),
      ));
    }
    const summary = mask(report.summary);
    // With --json stdout holds only events; the summary goes to stderr.
    if (json) console.error(summary);
    else if (mode === "tty") {
      const st = style(useColor("stdout"));
      console.log(report.status === "success" ? st.ok(summary) : st.bad(summary));
    } else console.log(summary);
    if (report.exit_code === EXIT.unreachable && conn && !interrupts.received()) {
      // Nothing reached or a login refused: say which settings were used, and from where.
      const { describeSetting } = await import("../../runtime/connection.ts");
      console.error(
        mask(
          `appmesh: used ${
            (["url", "ca", "cookieFile"] as const).map((k) => describeSetting(conn, k)).join(", ")
          }`,
        ),
      );
    }
    return interrupts.exitCode() ?? report.exit_code;
  } finally {
    interrupts.dispose();
    await lock?.release();
  }
}

/** The `--rerun-failed` report, or one line and exit 2: unreadable, not a report, another's. */
async function readRerunReport(
  engine: typeof import("../../workflow/mod.ts"),
  file: string,
  name: string,
  mask: (s: string) => string,
) {
  const fail = (m: string) => new CliError(mask(`--rerun-failed: ${file}: ${m}`), EXIT.usage);
  let report;
  try {
    report = await engine.readRunReport(file);
  } catch (e) {
    const issue = (e as { issues?: { message: string }[] }).issues?.[0];
    throw fail(issue?.message ?? describeError(e).message);
  }
  if (report.workflow !== name) {
    throw fail(`run ${report.run_id} is a run of workflow "${report.workflow}", not of "${name}"`);
  }
  return report;
}
