/**
 * The shape of one `appmesh` command: its argument spec (usage and help are generated from
 * it) and what it does.
 *
 * @module
 */

import type { CommandSpec, ParsedArgs } from "./args.ts";
import type { GlobalOptions } from "./context.ts";

/** One command of `appmesh`. */
export interface Command {
  /** Flags, positionals and help text. */
  spec: CommandSpec;
  /** Runs it; resolves to the exit code. Expected failures throw `CliError` or typed errors. */
  run(args: ParsedArgs, globals: GlobalOptions): Promise<number>;
}
