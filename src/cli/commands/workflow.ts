/**
 * `appmesh workflow run|validate|schema`: the command line of the workflow runner.
 *
 * @module
 */

import { formatUsage, parsePairs, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import {
  catchInterrupts,
  flagValues,
  type GlobalOptions,
  requireSession,
  style,
  useColor,
  warnInsecure,
  writeErr,
  writeOut,
} from "../context.ts";
import { CliError, describeError, EXIT } from "../errors.ts";
import type { Renderer } from "../output/format.ts";
import type { Workflow, WorkflowEvent } from "../../workflow/spec.ts";
import type { RunOptions } from "../../workflow/engine.ts";
import type { Connection } from "../../runtime/connection.ts";

const RUN_DESCRIPTION = `
Validates FILE, then runs its steps on every node (nodes in parallel up to \`concurrency\`)
through one session kept in the cookie file, and ends with a one-line summary.

On a terminal: a live line per node. Elsewhere (cron, CI): timestamped lines prefixed by
the node. Secrets come from the environment or --secrets-file and are printed as ***.

exit codes: 0 all nodes succeeded, 1 some node failed, 2 invalid workflow or usage,
3 no node reachable or login refused, 4 lock held by another run, 130/143 interrupted.`;

/** `appmesh workflow run`. */
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
      lock: {
        type: "boolean",
        description: "take a lock named after the workflow; exit 4 if another run holds it",
      },
      "lock-wait": {
        type: "string",
        value: "DURATION",
        description: "with the lock held, wait up to DURATION (PT10M or seconds); implies --lock",
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
    ],
  },
  run: runWorkflowCommand,
};

/** `appmesh workflow validate`. */
export const workflowValidate: Command = {
  spec: {
    name: "workflow validate",
    summary: "check workflow files without running them (exit 2 if any is invalid)",
    description: "Reports every error of every file, with file:line:col and the source line.",
    flags: {},
    positionals: [{ name: "FILE", required: true, variadic: true }],
    examples: ["appmesh workflow validate workflows/*.yaml"],
  },
  async run(args) {
    const { loadWorkflow } = await import("../../workflow/load.ts");
    const color = useColor(Deno.stderr);
    let bad = 0;
    for (const file of args.positionals) {
      try {
        const wf = await loadWorkflow(file);
        console.log(`${file}: ok (${wf.name}, ${wf.steps.length + wf.finally.length} steps)`);
      } catch (e) {
        bad++;
        const format = (e as { format?: (o: { color: boolean }) => string }).format;
        if (e instanceof Error && e.name === "WorkflowError" && format) {
          console.error(format.call(e, { color }));
        } else {
          console.error(`${file}: error: ${describeError(e).message}`);
        }
      }
    }
    if (bad) {
      console.error(`${bad} of ${args.positionals.length} file(s) invalid`);
      return EXIT.usage;
    }
    return EXIT.ok;
  },
};

/** `appmesh workflow schema`. */
export const workflowSchema: Command = {
  spec: {
    name: "workflow schema",
    summary: "print the JSON Schema of the workflow format (for editors)",
    description:
      "Point your editor at it with the first line `# yaml-language-server: $schema=FILE`.",
    flags: {},
    positionals: [],
    examples: ["appmesh workflow schema > workflow.schema.json"],
  },
  async run() {
    const { generateSchema } = await import("../../workflow/schema.ts");
    console.log(JSON.stringify(generateSchema(), null, 2));
    return EXIT.ok;
  },
};

/** Parses `--lock-wait` into milliseconds. */
async function lockWaitMs(value: string | undefined, usage: string): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const { parseDuration } = await import("../../runtime/duration.ts");
  try {
    return parseDuration(/^\d+$/.test(value) ? Number(value) : value) * 1000;
  } catch {
    throw new UsageError(`flag --lock-wait: bad duration '${value}' (use PT10M or seconds)`, usage);
  }
}

async function chooseRenderer(
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
      color: useColor(Deno.stdout),
      write: (t) => writeOut(mask(t)),
      writeNote: (t) => writeErr(mask(t)),
    });
  }
  const { plainRenderer } = await import("../output/plain.ts");
  const plain = plainRenderer({ write: line });
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

/** The flags alone, checked (URL, CA file, timeout) so that an error names the flag. */
async function flagConnection(given: ReturnType<typeof flagValues>) {
  const { flagSource, resolveConnection } = await import("../../runtime/connection.ts");
  const env = Deno.env.toObject();
  return await usageOnBadSetting(() =>
    resolveConnection([flagSource(given)], { env, sslDir: null })
  );
}

/**
 * The run's connection, resolved as the run will (flags, the workflow's `connection:`, the
 * environment, defaults) and checked (URL, CA and certificate files, timeout), for `--dry-run`
 * as for a run. Undefined when the workflow's `connection:` has templates (the run resolves
 * them; its own errors are then usage errors too).
 */
async function runConnection(wf: Workflow, globals: GlobalOptions) {
  const c = wf.connection ?? {};
  if (Object.values(c).some((v) => typeof v === "string" && v.includes("${{"))) return undefined;
  const { envSource, flagSource, namedSource, resolveConnection } = await import(
    "../../runtime/connection.ts"
  );
  const env = Deno.env.toObject();
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
 * fail on every node with a 401.
 */
async function checkSession(conn: Connection): Promise<void> {
  const { AppMeshClient } = await import("../../client/client.ts");
  const { clientOptions } = await import("../../runtime/connection.ts");
  const client = new AppMeshClient(clientOptions(conn));
  try {
    await requireSession(client, conn);
  } finally {
    await client.close();
  }
}

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

  const engine = await import("../../workflow/mod.ts");
  const { loadWorkflow } = await import("../../workflow/load.ts");

  let secrets: Record<string, string> | undefined;
  const secretsFile = f["secrets-file"] as string | undefined;
  if (secretsFile) {
    const { loadSecretsFile } = await import("../../workflow/secrets.ts");
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
    wf = await loadWorkflow(file);
  } catch (e) {
    const r = describeError(e);
    if (e instanceof Error && e.name === "WorkflowError") {
      const format = (e as { format?: (o: { color: boolean }) => string }).format;
      console.error(mask(format ? format.call(e, { color: useColor(Deno.stderr) }) : r.message));
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
    inputs,
    ...(nodes?.length ? { nodes } : {}),
    ...(secrets ? { secrets } : {}),
    connection,
  };

  // What is knowable before the first request, checked the same for --dry-run and a run:
  // inputs, unset secrets and variables, located in the file (exit 2, nothing sent).
  let source: string | undefined;
  try {
    source = await Deno.readTextFile(file);
  } catch {
    source = undefined;
  }
  const conn = await runConnection(wf, globals);
  try {
    const plan = engine.planWorkflow(wf, { ...options, source });
    if (dryRun) {
      if (json) console.log(mask(JSON.stringify(plan, null, 2)));
      else console.log(mask(engine.formatPlan(plan)));
      return EXIT.ok;
    }
  } catch (e) {
    if (e instanceof Error && e.name === "WorkflowError") {
      const format = (e as { format?: (o: { color: boolean }) => string }).format;
      console.error(
        mask(format ? format.call(e, { color: useColor(Deno.stderr) }) : e.message),
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
    : Deno.stdout.isTerminal() && Deno.env.get("TERM") !== "dumb"
    ? "tty"
    : "plain";
  const renderer = await chooseRenderer(mode, mask);
  const interrupts = catchInterrupts({
    onFirst: (sig) => {
      if (json) return;
      // Through the renderer: on a terminal the live lines are cleared first, so that no stale
      // spinner line stays on the screen.
      const text = `appmesh: ${sig}: stopping, running finally steps...`;
      if (renderer.note) renderer.note(text);
      else console.error(`\n${text}`);
    },
  });
  try {
    let report;
    try {
      report = await engine.runWorkflow(wf, {
        ...options,
        onEvent: (e: WorkflowEvent) => renderer.event(e),
        signal: interrupts.signal,
      });
    } finally {
      renderer.close();
    }
    const writes: Promise<void>[] = [];
    if (typeof f.report === "string") {
      writes.push(Deno.writeTextFile(f.report, mask(JSON.stringify(report, null, 2)) + "\n"));
    }
    if (typeof f.junit === "string") {
      writes.push(Deno.writeTextFile(f.junit, mask(engine.toJUnit(report))));
    }
    try {
      await Promise.all(writes);
    } catch (e) {
      console.error(`appmesh: cannot write the report: ${describeError(e).message}`);
    }
    const summary = mask(report.summary);
    // With --json stdout holds only events; the summary goes to stderr.
    if (json) console.error(summary);
    else if (mode === "tty") {
      const st = style(useColor(Deno.stdout));
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
