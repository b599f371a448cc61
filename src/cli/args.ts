/**
 * Argument parsing for the `appmesh` command: a thin layer over `node:util`'s `parseArgs`
 * that adds the global flags, generated usage texts and one-line errors
 * (`unknown flag --foo`, `missing argument FILE`) instead of `parseArgs`' long messages.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One flag of a command. */
export interface FlagSpec {
  /** `string` takes a value, `boolean` does not. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** May be given more than once (values collected in order). */
  multiple?: boolean;
  /** Placeholder of the value in the usage, e.g. `FILE`. */
  value?: string;
  /** One line for the help text. */
  description: string;
}

/** A positional argument of a command. */
export interface PositionalSpec {
  /** Its name in the usage, e.g. `FILE`. */
  name: string;
  /** Must be given. */
  required?: boolean;
  /** Takes all remaining arguments (at least one when required). */
  variadic?: boolean;
}

/** What a command accepts, and the text of its `--help`. */
export interface CommandSpec {
  /** Full command path, e.g. `workflow run`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Further paragraphs for `--help`. */
  description?: string;
  /** Its own flags (the global flags are added). */
  flags: Readonly<Record<string, FlagSpec>>;
  /** Its positional arguments, in order. */
  positionals: readonly PositionalSpec[];
  /** Example invocations for `--help`. */
  examples?: readonly string[];
  /** Talks to a server: takes the connection flags (`--url`, `--ca`, ...). */
  connects?: boolean;
  /** Its variadic positional is a command with flags of its own (hint at `--`). */
  passthrough?: boolean;
}

/** Values of the flags after parsing. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** The result of parsing one command's arguments. */
export interface ParsedArgs {
  /** Flag values by long name (globals included). */
  flags: FlagValues;
  /** Positional arguments, in order. */
  positionals: string[];
  /** `--help` was given. */
  help: boolean;
}

/** Bad command-line usage: exit 2 with one line and the usage. */
export class UsageError extends Error {
  /** The usage text printed after the message. */
  usage: string;
  /**
   * @param message What is wrong, one line.
   * @param usage The usage of the command.
   */
  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/** Flags of the commands that talk to a server (`connects`). */
export const CONNECTION_FLAGS: Readonly<Record<string, FlagSpec>> = {
  url: {
    type: "string",
    value: "URL",
    description: "server URL (default: $APPMESH_URL, else https://127.0.0.1:6060)",
  },
  ca: {
    type: "string",
    value: "FILE",
    description:
      "CA certificate (PEM) to verify the server (default: $APPMESH_CA, else /opt/appmesh/ssl/ca.pem if present)",
  },
  "cookie-file": {
    type: "string",
    value: "FILE",
    description: "session cookie file (default: $APPMESH_COOKIE_FILE, else ~/.appmesh/cookies.txt)",
  },
  timeout: {
    type: "string",
    value: "DURATION",
    description: "request timeout, seconds or ISO 8601 (default: $APPMESH_TIMEOUT, else 300)",
  },
  insecure: {
    type: "boolean",
    description: "do not verify the server's TLS certificate (warned; prefer --ca)",
  },
};

/** Flags that every command accepts. */
export const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** Flags that may come before the command and take a value (the command finder skips them). */
export const GLOBAL_VALUE_FLAGS: ReadonlySet<string> = new Set(
  Object.entries({ ...GLOBAL_FLAGS, ...CONNECTION_FLAGS }).filter(([, f]) => f.type === "string")
    .map(([k]) => `--${k}`),
);

/** The flags a command accepts besides its own. */
export function commonFlags(spec: CommandSpec): Readonly<Record<string, FlagSpec>> {
  return spec.connects ? { ...CONNECTION_FLAGS, ...GLOBAL_FLAGS } : GLOBAL_FLAGS;
}

function flagLabel(name: string, f: FlagSpec): string {
  const short = f.short ? `-${f.short}, ` : "    ";
  const value = f.type === "string" ? ` ${f.value ?? "VALUE"}` : "";
  return `${short}--${name}${value}${f.multiple ? "..." : ""}`;
}

function positionalsLine(spec: CommandSpec): string {
  return spec.positionals.map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.required ? n : `[${n}]`;
  }).join(" ");
}

/** The short usage of a command: its synopsis and flags. */
export function formatUsage(spec: CommandSpec): string {
  const lines = [
    `usage: appmesh ${spec.name}${Object.keys(spec.flags).length ? " [flags]" : ""}${
      spec.positionals.length ? " " + positionalsLine(spec) : ""
    }`,
  ];
  const table = (flags: Readonly<Record<string, FlagSpec>>) => {
    const rows = Object.entries(flags).map(([k, f]) => [flagLabel(k, f), f.description]);
    const width = Math.max(...rows.map(([l]) => l.length));
    return rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`);
  };
  if (Object.keys(spec.flags).length) lines.push("", "flags:", ...table(spec.flags));
  if (spec.connects) lines.push("", "connection flags:", ...table(CONNECTION_FLAGS));
  lines.push("", "global flags:", ...table(GLOBAL_FLAGS));
  return lines.join("\n");
}

/** The full `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const parts = [`appmesh ${spec.name}: ${spec.summary}`];
  if (spec.description) parts.push(spec.description.trim());
  parts.push(formatUsage(spec));
  if (spec.examples?.length) {
    parts.push(["examples:", ...spec.examples.map((e) => `  ${e}`)].join("\n"));
  }
  return parts.join("\n\n");
}

interface ParseArgsError extends Error {
  code?: string;
}

/**
 * Quotes one argument for a POSIX shell (left alone when it needs no quoting).
 *
 * @example
 * ```ts
 * import { shellQuote } from "./args.ts";
 * shellQuote("it's"); // "'it'\\''s'"
 * shellQuote("/tmp/x"); // "/tmp/x"
 * ```
 */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `appmesh run uname -a` → `appmesh run -- uname -a`: `--` before the first positional. */
function dashDashHint(spec: CommandSpec, argv: readonly string[]): string {
  const own = { ...commonFlags(spec), ...spec.flags };
  const takesValue = (a: string) => {
    const name = a.replace(/^--?/, "");
    const f = own[name] ?? Object.values(own).find((x) => x.short === name);
    return f?.type === "string" && !a.includes("=");
  };
  let i = 0;
  while (i < argv.length && argv[i].startsWith("-")) i += takesValue(argv[i]) ? 2 : 1;
  if (i >= argv.length) return "";
  const fixed = [...argv.slice(0, i), "--", ...argv.slice(i)].map(shellQuote).join(" ");
  return ` (a command with flags of its own goes after --: appmesh ${spec.name} ${fixed})`;
}

function rewriteParseError(
  e: ParseArgsError,
  spec: CommandSpec,
  argv: readonly string[],
): string {
  const quoted = e.message.match(/'([^']+)'/)?.[1] ?? "";
  const flag = quoted.split(" ")[0];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag} for 'appmesh ${spec.name}'${
        spec.passthrough ? dashDashHint(spec, argv) : ""
      }`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(e.message)) return `flag ${flag} needs a value`;
      return `flag ${flag} takes no value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted}`;
    default:
      return e.message.split("\n")[0];
  }
}

/**
 * Parses the arguments of one command (globals included). Throws {@linkcode UsageError} for
 * an unknown flag, a flag without its value, a missing or extra positional argument.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./args.ts";
 * const spec = { name: "get", summary: "download", flags: {}, positionals: [
 *   { name: "REMOTE", required: true }, { name: "LOCAL", required: true }] };
 * const { positionals } = parseCommandArgs(spec, ["/etc/hosts", "hosts"]);
 * console.log(positionals); // ["/etc/hosts", "hosts"]
 * ```
 */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const usage = formatUsage(spec);
  const all = { ...commonFlags(spec), ...spec.flags };
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [k, f] of Object.entries(all)) {
    options[k] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (e) {
    throw new UsageError(rewriteParseError(e as ParseArgsError, spec, argv), usage);
  }
  const flags = parsed.values as FlagValues;
  const help = flags.help === true;
  const positionals = parsed.positionals;
  if (!help) {
    const fixed = spec.positionals.filter((p) => !p.variadic);
    for (const [i, p] of spec.positionals.entries()) {
      if (p.required && positionals.length <= i) {
        throw new UsageError(`missing argument ${p.name}`, usage);
      }
    }
    const variadic = spec.positionals.some((p) => p.variadic);
    if (!variadic && positionals.length > fixed.length) {
      throw new UsageError(`unexpected argument '${positionals[fixed.length]}'`, usage);
    }
    for (const [k, f] of Object.entries(all)) {
      const v = flags[k];
      if (f.type === "string" && !f.multiple && typeof v === "string" && v === "") {
        throw new UsageError(`flag --${k} needs a value`, usage);
      }
    }
  }
  return { flags, positionals, help };
}

/** `--input k=v` pairs as an object; throws {@linkcode UsageError} on a pair without `=`. */
export function parsePairs(
  values: readonly string[] | undefined,
  flag: string,
  usage: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf("=");
    if (i <= 0) throw new UsageError(`flag --${flag} expects KEY=VALUE, got '${v}'`, usage);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}
