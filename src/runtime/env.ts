/**
 * The environment and the home folder, the same on Deno, Bun and Node: the one place that
 * reads environment variables and expands `~`. It reads the global `process` (Deno 2, Bun and
 * Node all have it; Deno asks for `--allow-env` as for `Deno.env`) and imports nothing, so the
 * client that uses it still loads in a browser, where every variable is unset.
 *
 * @example
 * ```ts
 * import { expandHome, homeDir } from "./env.ts";
 *
 * console.log(expandHome("~/.appmesh", { HOME: "/home/me" })); // /home/me/.appmesh
 * console.assert(homeDir().length > 0);
 * ```
 *
 * @module
 */

interface ProcessLike {
  env: EnvVars;
  getBuiltinModule?(name: "node:os"): { homedir(): string } | undefined;
}
const proc = (globalThis as { process?: ProcessLike }).process;

/** Environment variables by name, as `process.env` and `Deno.env.toObject()` give them. */
export type EnvVars = Record<string, string | undefined>;

/**
 * One environment variable, or undefined (also when the runtime denies access to it).
 *
 * @example
 * ```ts
 * import { envVar } from "./env.ts";
 * console.assert(envVar("NO_SUCH_VARIABLE_HERE") === undefined);
 * ```
 */
export function envVar(name: string): string | undefined {
  try {
    return proc?.env[name];
  } catch {
    return undefined;
  }
}

/**
 * A copy of the whole environment (empty when the runtime denies access to it).
 *
 * @example
 * ```ts
 * import { envVars } from "./env.ts";
 * console.assert(typeof envVars() === "object");
 * ```
 */
export function envVars(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(proc?.env ?? {})) if (v !== undefined) out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/**
 * Sets an environment variable of this process (seen by child processes it starts later).
 *
 * @example
 * ```ts
 * import { envVar, setEnvVar } from "./env.ts";
 * setEnvVar("APPMESH_ENV_EXAMPLE", "1");
 * console.assert(envVar("APPMESH_ENV_EXAMPLE") === "1");
 * ```
 */
export function setEnvVar(name: string, value: string): void {
  if (proc) proc.env[name] = value;
}

/**
 * The home folder named by an environment (`HOME`, else `USERPROFILE`), without a trailing
 * slash; undefined when it names none.
 *
 * @example
 * ```ts
 * import { homeFrom } from "./env.ts";
 * console.assert(homeFrom({ HOME: "/home/me/" }) === "/home/me");
 * console.assert(homeFrom({}) === undefined);
 * ```
 */
export function homeFrom(env: EnvVars): string | undefined {
  const home = env.HOME || env.USERPROFILE;
  return home ? home.replace(/(.)\/+$/, "$1") : undefined;
}

/**
 * The user's home folder: `$HOME` (or `%USERPROFILE%`), else what the operating system says,
 * else `""` (a browser).
 *
 * @example
 * ```ts
 * import { homeDir } from "./env.ts";
 * console.assert(homeDir().startsWith("/"));
 * ```
 */
export function homeDir(): string {
  const home = homeFrom({ HOME: envVar("HOME"), USERPROFILE: envVar("USERPROFILE") });
  return home ?? proc?.getBuiltinModule?.("node:os")?.homedir() ?? "";
}

/**
 * Expands a leading `~` or `~/` to the home folder of `env` (default: this process's home);
 * other paths, and `~` without a home, come back unchanged.
 *
 * @example
 * ```ts
 * import { expandHome } from "./env.ts";
 * console.assert(expandHome("~/a", { HOME: "/h" }) === "/h/a");
 * console.assert(expandHome("~other/a", { HOME: "/h" }) === "~other/a");
 * ```
 */
export function expandHome(path: string, env?: EnvVars): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = env ? homeFrom(env) : homeDir();
  return home ? home + path.slice(1) : path;
}
