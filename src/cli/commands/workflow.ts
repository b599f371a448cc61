/**
 * `appmesh workflow run|validate|schema`: the command line of the workflow runner.
 *
 * @module
 */

import { formatUsage, parsePairs, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import {
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
import type { RunOptions, Workflow, WorkflowEvent } from "../../workflow/mod.ts";
import type { Connection } from "../../runtime/connection.ts";
import { writeFile } from "node:fs/promises";
import { envVar, envVars } from "../../runtime/env.ts";
import { readText } from "../../runtime/fs.ts";
import { exitProcess, isTerminal, onSignal } from "../../runtime/process.ts";
import { unrefTimer } from "../../runtime/timers.ts";

/** Signals this soon after the first are the same interrupt. */
const GRACE_SECONDS = 2;
/** After the clean-up is abandoned, how long the run may take to stop before the exit. */
const ABANDON_EXIT_MS = 10_000;

const RUN_DESCRIPTION = `
Validates FILE, then runs its steps on every node (nodes in parallel up to \`concurrency\`)
through one session kept in the cookie file, and ends with a one-line summary.

On a terminal: a live line per node. Elsewhere (cron, CI): timestamped lines prefixed by
the node. Secrets come from the environment or --secrets-file and are printed as ***.

Ctrl-C or SIGTERM stops the run: finally steps run and temporary apps are deleted. Signals
within ${GRACE_SECONDS}s of the first are the same interrupt (a terminal's Ctrl-C also reaches
\`deno task\` or \`npx\`, which pass it on); one after that abandons the clean-up and lists
what was left where.

exit codes: 0 all nodes succeeded, 1 some node failed, 2 invalid workflow or usage,
3 no node reachable or login refused, 4 lock held by another run, 5 interrupted again and
the clean-up abandoned, 130/143 interrupted (clean-up done).`;

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
    const { loadWorkflow } = await import("../../workflow/load/load.ts");
    const color = useColor("stderr");
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
    const { generateSchema } = await import("../../workflow/language/schema.ts");
    console.log(JSON.stringify(generateSchema(), null, 2));
    return EXIT.ok;
  },
};

/** Parses `--lock-wait` into milliseconds. */
async function lockWaitMs(value: string | undefined, usage: string): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const { durationSeconds } = await import("../../runtime/duration.ts");
  try {
    return durationSeconds(/^\d+$/.test(value) ? Number(value) : value) * 1000;
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
      color: useColor("stdout"),
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
 */
async function runConnection(wf: Workflow, globals: GlobalOptions) {
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
    wf = await loadWorkflow(file);
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
    source = await readText(file);
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
  const interrupts = guardInterrupts((text) => {
    if (json) return;
    // Through the renderer: on a terminal the live lines are cleared first, so that no stale
    // spinner line stays on the screen.
    if (renderer.note) renderer.note(text);
    else console.error(`\n${text}`);
  });
  try {
    let report;
    try {
      report = await engine.runWorkflow(wf, {
        ...options,
        onEvent: (e: WorkflowEvent) => renderer.event(e),
        signal: interrupts.signal,
        abandon: interrupts.abandon,
      });
    } finally {
      renderer.close();
    }
    const writes: Promise<void>[] = [];
    if (typeof f.report === "string") {
      writes.push(writeFile(f.report, mask(JSON.stringify(report, null, 2)) + "\n"));
    }
    if (typeof f.junit === "string") {
      writes.push(writeFile(f.junit, mask(engine.toJUnit(report))));
    }
    try {
      await Promise.all(writes);
    } catch (e) {
      console.error(`appmesh: cannot write the report: ${describeError(e).message}`);
    }
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

/** The interrupts of a run: see {@linkcode guardInterrupts}. */
interface RunInterrupts {
  /** Aborted by the first SIGINT or SIGTERM: stop, run `finally`, delete temporary apps. */
  signal: AbortSignal;
  /** Aborted by a signal after the grace period: abandon the clean-up too. */
  abandon: AbortSignal;
  /** 5 when the clean-up was abandoned, 130/143 for the signal received, else undefined. */
  exitCode(): number | undefined;
  /** The signal received, if any. */
  received(): "SIGINT" | "SIGTERM" | undefined;
  /** Removes the listeners and the timers. */
  dispose(): void;
}

/**
 * SIGINT and SIGTERM during a run. The first one stops the run (`finally` still runs, the
 * temporary apps are deleted). A terminal's Ctrl-C signals the whole foreground process group,
 * and `deno task` and `npx` pass it on to their child, so the same Ctrl-C arrives two or three
 * times: signals within {@linkcode GRACE_SECONDS} of the first are that same interrupt. Once
 * the grace period is over (said on stderr while the clean-up goes on), another signal
 * abandons the clean-up: the run stops at once, lists what it left where, and exits 5; should
 * it not stop within {@linkcode ABANDON_EXIT_MS}, or a signal come again more than
 * {@linkcode GRACE_SECONDS} after that one, the process exits 5 without waiting.
 */
function guardInterrupts(announce: (text: string) => void): RunInterrupts {
  const stop = new AbortController();
  const abandon = new AbortController();
  let got: "SIGINT" | "SIGTERM" | undefined;
  // When the last signal that did something was handled: copies of it passed on by
  // `deno task` or `npx` come right after, and count as that same signal.
  let acted = 0;
  let grace: ReturnType<typeof setTimeout> | undefined;
  let hard: ReturnType<typeof setTimeout> | undefined;
  const removers: (() => void)[] = [];
  const handle = (sig: "SIGINT" | "SIGTERM") => {
    const now = performance.now();
    if (got && now - acted < GRACE_SECONDS * 1000) return;
    acted = now;
    if (!got) {
      got = sig;
      announce(
        `appmesh: ${sig}: stopping; running finally steps and deleting temporary apps ` +
          `(interrupt again after ${GRACE_SECONDS}s to abandon the clean-up)`,
      );
      stop.abort(new DOMException(`interrupted by ${sig}`, "AbortError"));
      grace = setTimeout(() => {
        console.error(
          "appmesh: still cleaning up; interrupt again to abandon the clean-up " +
            "(what it leaves is listed)",
        );
      }, GRACE_SECONDS * 1000 + 50);
      unrefTimer(grace);
      return;
    }
    if (!abandon.signal.aborted) {
      console.error(`appmesh: ${sig} again: abandoning the clean-up`);
      abandon.abort(new DOMException(`clean-up abandoned by ${sig}`, "AbortError"));
      hard = setTimeout(() => {
        console.error(
          "appmesh: the run did not stop in time; exiting: temporary apps may be left on the nodes",
        );
        exitProcess(EXIT.abandoned);
      }, ABANDON_EXIT_MS);
      unrefTimer(hard);
      return;
    }
    console.error(`appmesh: ${sig} again: exiting now; temporary apps may be left on the nodes`);
    exitProcess(EXIT.abandoned);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      removers.push(onSignal(sig, () => handle(sig)));
    } catch {
      // Signals are not supported on this platform (Windows: SIGTERM); Ctrl-C still kills.
    }
  }
  return {
    signal: stop.signal,
    abandon: abandon.signal,
    exitCode: () =>
      abandon.signal.aborted
        ? EXIT.abandoned
        : got === "SIGINT"
        ? EXIT.sigint
        : got === "SIGTERM"
        ? EXIT.sigterm
        : undefined,
    received: () => got,
    dispose: () => {
      clearTimeout(grace);
      clearTimeout(hard);
      for (const remove of removers) remove();
    },
  };
}
