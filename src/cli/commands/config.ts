/**
 * `appmesh config get|set`: a node's configuration (`appc config`), read whole or one dotted
 * key at a time (`BaseConfig.LogLevel`), and changed key by key (`appc log -L INFO` is
 * `appmesh config set BaseConfig.LogLevel=INFO`).
 *
 * @module
 */

import type { Command } from "../command.ts";
import { JSON_FLAG, NODE_FLAG, withNode } from "./app_shared.ts";
import { CliError, EXIT } from "../errors.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

/** The key as the configuration spells it, found ignoring case (`baseconfig.loglevel`). */
function caseless(config: Json, key: string): string | undefined {
  let at: unknown = config;
  const found: string[] = [];
  for (const part of key.split(".")) {
    if (!isObject(at)) return undefined;
    const k = Object.keys(at).find((k) => k.toLowerCase() === part.toLowerCase());
    if (k === undefined) return undefined;
    found.push(k);
    at = at[k];
  }
  return found.join(".");
}

/**
 * The value at a dotted key of the configuration; throws (exit 1) naming the first unknown
 * part and the keys that exist there.
 *
 * @example
 * ```ts
 * import { configValue } from "./config.ts";
 * console.log(configValue({ BaseConfig: { LogLevel: "INFO" } }, "BaseConfig.LogLevel")); // INFO
 * ```
 */
export function configValue(config: Json, key: string): unknown {
  let at: unknown = config;
  const parts = key.split(".");
  for (const [i, part] of parts.entries()) {
    const here = parts.slice(0, i).join(".");
    if (!isObject(at)) throw new CliError(`config key ${key}: ${here} is not an object`);
    if (!(part in at)) {
      const keys = Object.keys(at);
      const same = caseless(config, key);
      const hint = same
        ? ` (did you mean '${same}'?)`
        : keys.length
        ? ` (${here || "the top level"} has ${keys.join(", ")})`
        : "";
      throw new CliError(`no config key ${key}${hint}`);
    }
    at = at[part];
  }
  return at;
}

/**
 * VALUE of `KEY=VALUE`, typed as the key's current value: a number stays a number, `true` or
 * `false` a boolean, an object or list is JSON; text is taken as written.
 *
 * @example
 * ```ts
 * import { typedValue } from "./config.ts";
 * console.log(typedValue("2", 1, "BaseConfig.ScheduleIntervalSeconds")); // 2
 * console.log(typedValue("2", "1", "BaseConfig.Description")); // "2"
 * ```
 */
export function typedValue(text: string, current: unknown, key: string): unknown {
  const bad = (what: string) =>
    new CliError(`config set ${key}: expects ${what}, got '${text}'`, EXIT.usage);
  if (typeof current === "number") {
    if (text.trim() === "" || !Number.isFinite(Number(text))) throw bad("a number");
    return Number(text);
  }
  if (typeof current === "boolean") {
    if (text !== "true" && text !== "false") throw bad("true or false");
    return text === "true";
  }
  if (typeof current === "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    if (current !== null && current !== undefined) throw bad("JSON");
    return text;
  }
}

/** Keys whose value is a secret (`REST.JWT.JWTSalt` signs every token of the node). */
const SECRET_KEY = /salt|secret|password|passwd|token/i;

/**
 * The configuration with secret values replaced by `***`: `GET /appmesh/config` includes the
 * daemon's JWT signing secret, which no output of this command may show.
 *
 * @example
 * ```ts
 * import { masked } from "./config.ts";
 * console.log(masked({ REST: { JWT: { JWTSalt: "s3cr3t", Issuer: "vm" } } }));
 * // { REST: { JWT: { JWTSalt: "***", Issuer: "vm" } } }
 * ```
 */
export function masked(value: unknown, key = ""): unknown {
  if (SECRET_KEY.test(key) && value !== "" && value !== null && typeof value !== "boolean") {
    return "***";
  }
  if (Array.isArray(value)) return value.map((v) => masked(v));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, k)]));
  }
  return value;
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `appmesh config get [KEY]`. */
export const configGet: Command = {
  spec: {
    name: "config get",
    summary: "print a node's configuration (JSON), or one dotted KEY's value",
    flags: { node: NODE_FLAG, json: JSON_FLAG },
    positionals: [{ name: "KEY" }],
    connects: true,
    examples: ["appmesh config get", "appmesh config get BaseConfig.LogLevel"],
  },
  async run(args, globals) {
    const config = await withNode(args.flags, globals, (client) => client.getConfig());
    const [key] = args.positionals;
    const value = masked(key ? configValue(config, key) : config, key?.split(".").at(-1));
    // A text or number is printed bare (for $(...)); an object as JSON, as with --json.
    const scalar = value === null || typeof value !== "object";
    console.log(
      args.flags.json === true || !scalar ? JSON.stringify(value, null, 2) : String(value),
    );
    return EXIT.ok;
  },
};

/** `appmesh config set KEY=VALUE...`. */
export const configSet: Command = {
  spec: {
    name: "config set",
    summary: "change dotted keys of a node's configuration; prints KEY=VALUE as now set",
    description: `
Each KEY must exist (a typo is refused before anything changes, with the keys that exist
there); VALUE takes the type of the current value (number, true/false, JSON for an object or
list, else text as written). All keys go in one request, merged into the configuration.`,
    flags: { node: NODE_FLAG, json: JSON_FLAG },
    positionals: [{ name: "KEY=VALUE", required: true, variadic: true }],
    connects: true,
    examples: [
      "appmesh config set BaseConfig.LogLevel=INFO",
      "appmesh config set BaseConfig.ScheduleIntervalSeconds=2 --node 127.0.0.1:6061",
    ],
  },
  async run(args, globals) {
    const sets = args.positionals.map((kv) => {
      const i = kv.indexOf("=");
      if (i <= 0) throw new CliError(`config set expects KEY=VALUE, got '${kv}'`, EXIT.usage);
      return { key: kv.slice(0, i), text: kv.slice(i + 1) };
    });
    const now = await withNode(args.flags, globals, async (client) => {
      const config = await client.getConfig();
      const patch: Json = {};
      for (const { key, text } of sets) {
        const value = typedValue(text, configValue(config, key), key);
        const parts = key.split(".");
        let at = patch;
        for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Json;
        at[parts[parts.length - 1]] = value;
      }
      return await client.setConfig(patch);
    });
    if (args.flags.json === true) {
      console.log(JSON.stringify(masked(now), null, 2));
    } else {
      for (const { key } of sets) {
        console.log(`${key}=${show(masked(configValue(now, key), key.split(".").at(-1)))}`);
      }
    }
    return EXIT.ok;
  },
};
