/**
 * `appmesh app add`: register (or replace) an application from `appc add`'s flags and/or a
 * JSON or YAML file of the App Mesh application JSON.
 *
 * @module
 */

import type { FlagSpec, FlagValues } from "../args.ts";
import type { Command } from "../command.ts";
import type { App } from "../../client/types.ts";
import { JSON_FLAG, NODE_FLAG, pairs, withNode } from "./app_shared.ts";
import { CliError, EXIT } from "../errors.ts";
import { canPrompt, prompt } from "../prompt.ts";
import { readText } from "../../runtime/fs.ts";
import { readStdinAll } from "../../runtime/process.ts";

const s = (value: string, description: string, short?: string): FlagSpec => ({
  type: "string",
  value,
  description,
  ...(short ? { short } : {}),
});
const b = (description: string, short?: string): FlagSpec => ({
  type: "boolean",
  description,
  ...(short ? { short } : {}),
});
const many = (value: string, description: string, short: string): FlagSpec => ({
  ...s(value, description, short),
  multiple: true,
});

/** The flags, with `appc add`'s long names and short letters. */
const FLAGS: Readonly<Record<string, FlagSpec>> = {
  name: s("NAME", "application name (appc -a)", "a"),
  cmd: s("COMMAND", "command line", "c"),
  description: s("TEXT", "description", "d"),
  "working-dir": s("DIR", "working directory", "w"),
  env: many("KEY=VALUE", "environment variable (repeatable)", "e"),
  "sec-env": many("KEY=VALUE", "environment variable stored encrypted (repeatable)", "z"),
  shell: b("run the command through a shell", "u"),
  disabled: b("register it disabled (appc -s false)"),
  "health-check": s("COMMAND", "health check command", "K"),
  "docker-image": s("IMAGE", "run in this Docker image", "I"),
  interval: s("DURATION", "start every DURATION (seconds, ISO 8601; with --cron a cron line)", "i"),
  cron: b("--interval is a cron expression", "Y"),
  "begin-time": s("TIME", "not before this ISO 8601 time", "b"),
  "end-time": s("TIME", "not after this ISO 8601 time", "x"),
  "stop-timeout": s("DURATION", "keep a finished process this long (retention)", "R"),
  exit: s("ACTION", "on exit: restart, standby, keepalive or remove", "Q"),
  control: many("CODE:ACTION", "action for one exit code (repeatable)", "T"),
  metadata: s("TEXT", "metadata: text or JSON, @FILE to read a file", "m"),
  "memory-limit": s("MB", "memory limit in MiB", "M"),
  "cpu-shares": s("N", "CPU shares (relative weight)", "C"),
  "log-cache-size": s("N", "number of stdout files kept", "N"),
  file: s("FILE", "the app as JSON or YAML (- for stdin); flags override its fields"),
  force: b("replace an existing app without asking", "f"),
  node: NODE_FLAG,
  json: JSON_FLAG,
};

const EXITS = ["restart", "standby", "keepalive", "remove"];

function usage(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

function integer(flags: FlagValues, key: string): number | undefined {
  const v = flags[key];
  if (typeof v !== "string") return undefined;
  if (!/^\d+$/.test(v)) throw usage(`--${key} expects a whole number, got '${v}'`);
  return Number(v);
}

function epoch(flags: FlagValues, key: string): number | undefined {
  const v = flags[key];
  if (typeof v !== "string") return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw usage(`--${key} expects an ISO 8601 time, got '${v}'`);
  return Math.floor(ms / 1000);
}

function exitAction(v: string, flag: string): string {
  const a = v.trim().toLowerCase();
  if (!EXITS.includes(a)) throw usage(`${flag} expects ${EXITS.join(", ")}; got '${v}'`);
  return a;
}

async function metadata(v: string): Promise<unknown> {
  const text = v.startsWith("@") ? await readText(v.slice(1)) : v;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function fromFile(path: string): Promise<App> {
  const text = path === "-" ? new TextDecoder().decode(await readStdinAll()) : await readText(path);
  const { parse } = await import("yaml");
  let app: unknown;
  try {
    app = parse(text); // YAML is a superset of JSON: one parser for both
  } catch (e) {
    throw usage(`--file ${path}: not JSON or YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!app || typeof app !== "object" || Array.isArray(app)) {
    throw usage(`--file ${path}: expected an application object`);
  }
  return app as App;
}

/**
 * The application that `app add` registers: the `--file` object, then each flag given.
 *
 * @example
 * ```ts
 * import { appFromFlags } from "./app_add.ts";
 * const app = await appFromFlags({ name: "web", cmd: "python3 -m http.server", env: ["A=1"] });
 * console.log(app); // { name: "web", command: "python3 -m http.server", env: { A: "1" } }
 * ```
 */
export async function appFromFlags(f: FlagValues): Promise<App> {
  const app: App = typeof f.file === "string" ? await fromFile(f.file) : {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) app[key] = value;
  };
  const str = (k: string) => typeof f[k] === "string" ? f[k] as string : undefined;
  set("name", str("name"));
  set("command", str("cmd"));
  set("description", str("description"));
  set("working_dir", str("working-dir"));
  const env = pairs(f.env as string[] | undefined, "--env");
  if (Object.keys(env).length) app.env = { ...app.env, ...env };
  const secEnv = pairs(f["sec-env"] as string[] | undefined, "--sec-env");
  if (Object.keys(secEnv).length) app.sec_env = { ...app.sec_env, ...secEnv };
  if (f.shell === true) app.shell = true;
  if (f.disabled === true) app.status = 0;
  set("health_check_cmd", str("health-check"));
  set("docker_image", str("docker-image"));
  set("start_interval_seconds", str("interval"));
  if (f.cron === true) {
    if (app.start_interval_seconds === undefined) throw usage("--cron needs --interval");
    app.cron = true;
  }
  set("start_time", epoch(f, "begin-time"));
  set("end_time", epoch(f, "end-time"));
  set("retention", str("stop-timeout"));
  const exit = str("exit");
  const controls = (f.control as string[] | undefined) ?? [];
  if (exit !== undefined || controls.length) {
    const behavior = { ...app.behavior };
    if (exit !== undefined) behavior.exit = exitAction(exit, "--exit");
    for (const c of controls) {
      const m = c.match(/^\s*(-?\d+)\s*:(.*)$/);
      if (!m) throw usage(`--control expects CODE:ACTION, got '${c}'`);
      behavior.control = { ...behavior.control, [m[1]]: exitAction(m[2], "--control") };
    }
    app.behavior = behavior;
  }
  const meta = str("metadata");
  if (meta !== undefined) app.metadata = await metadata(meta);
  const memory = integer(f, "memory-limit");
  const cpu = integer(f, "cpu-shares");
  if (memory !== undefined || cpu !== undefined) {
    app.resource_limit = {
      ...(app.resource_limit as Record<string, unknown> | undefined),
      ...(memory !== undefined ? { memory_mb: memory } : {}),
      ...(cpu !== undefined ? { cpu_shares: cpu } : {}),
    };
  }
  set("stdout_cache_num", integer(f, "log-cache-size"));
  if (typeof app.name !== "string" || !app.name) {
    throw usage("app add needs a name: --name NAME (or a name in --file)");
  }
  if (!app.command && !app.docker_image) {
    throw usage("app add needs a command: --cmd COMMAND (or --docker-image, or --file)");
  }
  return app;
}

/** `appmesh app add`. */
export const appAdd: Command = {
  spec: {
    name: "app add",
    summary: "register an application from flags (appc add's) and/or a JSON or YAML file",
    description: `
An app of that name is replaced only with --force (-f); on a terminal it asks first, without
one it exits 1 and changes nothing. Prints the registered app's name (the app as JSON with
--json).`,
    flags: FLAGS,
    positionals: [],
    connects: true,
    examples: [
      "appmesh app add --name web --cmd 'python3 -m http.server 8080' --working-dir /srv/www",
      "appmesh app add -a ping -c 'ping -c 3 127.0.0.1' -e LANG=C --exit remove",
      "appmesh app add --file app.yaml --node 127.0.0.1:6061 --force",
    ],
  },
  async run(args, globals) {
    const app = await appFromFlags(args.flags);
    const name = app.name as string;
    return await withNode(args.flags, globals, async (client, node) => {
      if (args.flags.force !== true && await client.getApp(name).then(() => true, () => false)) {
        if (!canPrompt()) {
          throw new CliError(
            `app '${name}' already exists on ${node}; pass --force (-f) to replace it`,
          );
        }
        const answer = await prompt(`Replace app ${name} on ${node}? [y/N] `, {
          instead: "pass --force (-f)",
        });
        if (!/^y(es)?$/i.test(answer.trim())) {
          console.error("nothing changed");
          return EXIT.ok;
        }
      }
      const added = await client.addApp(app);
      if (args.flags.json === true) console.log(JSON.stringify(added, null, 2));
      else console.log(`app ${added.name ?? name} registered on ${node}`);
      return EXIT.ok;
    });
  },
};
