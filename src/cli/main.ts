/**
 * The `appmesh` command line: run workflows, log in once, list apps, run commands on nodes,
 * move files, and start the local server.
 *
 * ```sh
 * deno run -A jsr:@appmesh/sdk/cli workflow run workflows/demo.yaml
 * deno task appmesh login -u admin
 * ```
 *
 * Exit codes: 0 ok, 1 some node failed, 2 invalid workflow or usage, 3 no node reachable or
 * login refused, 4 lock held, 5 interrupted again and the clean-up abandoned, 130/143
 * interrupted.
 *
 * @module
 */

import denoConfig from "../../deno.json" with { type: "json" };
import {
  type CommandSpec,
  CONNECTION_FLAGS,
  type FlagSpec,
  formatHelp,
  GLOBAL_FLAGS,
  GLOBAL_VALUE_FLAGS,
  parseCommandArgs,
  UsageError,
} from "./args.ts";
import type { Command } from "./command.ts";
import { globalsFromFlags } from "./context.ts";
import { EXIT, reportError } from "./errors.ts";
import { apps } from "./commands/apps.ts";
import { appDisable, appEnable, appLs, appRm, appView } from "./commands/app.ts";
import { appAdd } from "./commands/app_add.ts";
import { appLog } from "./commands/app_log.ts";
import { configGet, configSet } from "./commands/config.ts";
import { labelAdd, labelLs, labelRm } from "./commands/label.ts";
import { devserver } from "./commands/devserver.ts";
import { get, put } from "./commands/files.ts";
import { login } from "./commands/login.ts";
import { logout } from "./commands/logout.ts";
import { run } from "./commands/run.ts";
import { workflowRun, workflowSchema, workflowValidate } from "./commands/workflow.ts";
import { envVar } from "../runtime/env.ts";
import { exitProcess, onStrayError, processArgs } from "../runtime/process.ts";

/**
 * The package version, printed by `appmesh --version`.
 *
 * @example
 * ```ts
 * import { VERSION } from "./main.ts";
 * console.log(`appmesh ${VERSION}`);
 * ```
 */
export const VERSION: string = denoConfig.version;

const COMMANDS: Readonly<Record<string, Command>> = {
  login,
  logout,
  apps,
  run,
  get,
  put,
  devserver,
};

const WORKFLOW: Readonly<Record<string, Command>> = {
  run: workflowRun,
  validate: workflowValidate,
  schema: workflowSchema,
};

const WORKFLOW_SUMMARY = "run, validate or describe workflow files";

/** A command word with subcommands (`appmesh workflow run`, `appmesh app ls`). */
interface Group {
  summary: string;
  subs: Readonly<Record<string, Command>>;
}

const GROUPS: Readonly<Record<string, Group>> = {
  workflow: { summary: WORKFLOW_SUMMARY, subs: WORKFLOW },
  app: {
    summary: "applications one at a time, as appc manages them",
    subs: {
      ls: appLs,
      view: appView,
      add: appAdd,
      rm: appRm,
      enable: appEnable,
      disable: appDisable,
      log: appLog,
    },
  },
  label: {
    summary: "a node's labels",
    subs: { ls: labelLs, add: labelAdd, rm: labelRm },
  },
  config: {
    summary: "a node's configuration",
    subs: { get: configGet, set: configSet },
  },
};

/** `app ls`, `workflow run FILE`: a subcommand and its positionals, for the command list. */
function synopsis(c: Command): string {
  const args = c.spec.positionals.map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.required ? n : `[${n}]`;
  });
  return [c.spec.name, ...args].join(" ");
}

function groupLines(name: string): [string, string][] {
  return Object.values(GROUPS[name].subs).map((c): [string, string] => [
    synopsis(c),
    c.spec.summary,
  ]);
}

function list(entries: [string, string][]): string {
  const w = Math.max(...entries.map(([n]) => n.length));
  return entries.map(([n, s]) => `  ${n.padEnd(w)}  ${s}`).join("\n");
}

function flagLines(flags: Readonly<Record<string, FlagSpec>>, extra: [string, string][] = []) {
  return list([
    ...Object.entries(flags).map(([k, f]): [string, string] => [
      `--${k}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`,
      f.description,
    ]),
    ...extra,
  ]);
}

/**
 * The top-level usage: the command list and the global flags.
 *
 * @example
 * ```ts
 * import { topUsage } from "./main.ts";
 * console.log(topUsage());
 * ```
 */
export function topUsage(): string {
  const commands: [string, string][] = [
    ...groupLines("workflow"),
    ...Object.entries(COMMANDS).map(([k, c]): [string, string] => [k, c.spec.summary]),
    ...groupLines("app"),
    ...groupLines("label"),
    ...groupLines("config"),
  ];
  return [
    "usage: appmesh [global flags] COMMAND [flags] [args]",
    "",
    "commands:",
    list(commands),
    "",
    "connection flags (commands that talk to a server):",
    flagLines(CONNECTION_FLAGS),
    "",
    "global flags:",
    flagLines(GLOBAL_FLAGS, [["--version", "print the version"]]),
    "",
    "Run 'appmesh COMMAND --help' for a command's flags.",
  ].join("\n");
}

function groupUsage(name: string): string {
  const subs = GROUPS[name].subs;
  return [
    `usage: appmesh ${name} ${Object.keys(subs).join("|")} [flags] [args]`,
    "",
    "subcommands:",
    list(Object.entries(subs).map(([k, c]) => [k, c.spec.summary])),
    "",
    `Run 'appmesh ${name} SUBCOMMAND --help' for its flags.`,
  ].join("\n");
}

/** `run, validate or schema`. */
function subList(name: string): string {
  const subs = Object.keys(GROUPS[name].subs);
  return `${subs.slice(0, -1).join(", ")} or ${subs.at(-1)}`;
}

/** Splits argv into the command words (`workflow`, `run`) and the rest. */
function findCommand(argv: readonly string[], depth: number): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length && words.length < depth; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a.startsWith("-")) {
      rest.push(a);
      if (GLOBAL_VALUE_FLAGS.has(a) && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    words.push(a);
    if (!Object.hasOwn(GROUPS, words[0])) {
      i++;
      break;
    }
  }
  rest.push(...argv.slice(i));
  return { words, rest };
}

/** Levenshtein distance (names here are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function suggest(word: string, names: string[]): string {
  const best = names.map((n) => [n, distance(word, n)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? ` (did you mean '${best[0]}'?)` : "";
}

function usageFailure(message: string, usage: string): number {
  console.error(`appmesh: ${message}`);
  console.error(usage);
  return EXIT.usage;
}

/**
 * Runs the `appmesh` command line with the given arguments and resolves to the exit code
 * (it never exits the process itself, so it can run in-process, e.g. in the demo).
 *
 * @example
 * ```ts ignore
 * import { main } from "jsr:@appmesh/sdk/cli";
 * const code = await main(["workflow", "validate", "workflows/demo.yaml"]);
 * console.log(code);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const { words, rest } = findCommand(argv, 2);
  const [name, sub] = words;
  if (!name) {
    if (rest.includes("--version") || rest.includes("-V")) {
      console.log(`appmesh ${VERSION}`);
      return EXIT.ok;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(`appmesh ${VERSION}: the App Mesh command line\n\n${topUsage()}`);
      return EXIT.ok;
    }
    const known = new Set(
      Object.keys({ ...GLOBAL_FLAGS, ...CONNECTION_FLAGS }).map((k) => `--${k}`),
    );
    const flag = rest.find((a) => a.startsWith("-") && !known.has(a.split("=")[0]));
    return usageFailure(
      flag ? `unknown flag ${flag.split("=")[0]}` : "missing command",
      topUsage(),
    );
  }
  let command: Command | undefined;
  const group = Object.hasOwn(GROUPS, name) ? GROUPS[name] : undefined;
  if (group) {
    if (!sub) {
      if (rest.includes("--help") || rest.includes("-h")) {
        console.log(`appmesh ${name}: ${group.summary}\n\n${groupUsage(name)}`);
        return EXIT.ok;
      }
      return usageFailure(`missing subcommand (${subList(name)})`, groupUsage(name));
    }
    command = Object.hasOwn(group.subs, sub) ? group.subs[sub] : undefined;
    if (!command) {
      return usageFailure(
        `unknown subcommand '${name} ${sub}'${suggest(sub, Object.keys(group.subs))}`,
        groupUsage(name),
      );
    }
  } else {
    command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) {
      return usageFailure(
        `unknown command '${name}'${
          suggest(name, [...Object.keys(COMMANDS), ...Object.keys(GROUPS)])
        }`,
        topUsage(),
      );
    }
  }
  return await runCommand(command.spec, command, rest);
}

async function runCommand(spec: CommandSpec, command: Command, rest: string[]): Promise<number> {
  let args;
  try {
    args = parseCommandArgs(spec, rest);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e.message, e.usage);
    throw e;
  }
  if (args.help) {
    console.log(formatHelp(spec));
    return EXIT.ok;
  }
  try {
    return await command.run(args, globalsFromFlags(args.flags));
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e.message, e.usage);
    return reportError(e);
  }
}

/**
 * An error thrown in a callback outside any await (a library bug) would end the process
 * with a stack trace in the middle of a run, before `finally` steps and cleanup. Say it in
 * one line (the stack with APPMESH_DEBUG=1) and let the run finish.
 */
function keepRunningOnStrayErrors(): void {
  const debug = envVar("APPMESH_DEBUG") === "1";
  const report = (kind: string, e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`appmesh: internal ${kind} ignored: ${msg.split("\n")[0]}`);
    if (debug && e instanceof Error && e.stack) console.error(e.stack);
  };
  onStrayError(report);
}

/**
 * Runs the `appmesh` command as a program: the process's arguments, stray errors reported in
 * one line, and the exit code as the process's. The `bin` entry of the npm package calls it.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "jsr:@appmesh/sdk/cli";
 * await runCli();
 * ```
 */
export async function runCli(): Promise<never> {
  keepRunningOnStrayErrors();
  exitProcess(await main(processArgs()));
}

if (import.meta.main) await runCli();
