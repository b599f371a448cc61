/**
 * Prompts on a terminal only: a visible line (the user name) and a hidden one (password,
 * TOTP code; raw mode, nothing echoed). Without a terminal it never waits for input: it
 * throws a {@linkcode CliError} that says which flag to use instead.
 *
 * @module
 */

import { CliError, EXIT } from "./errors.ts";
import {
  isTerminal,
  readStdinAll,
  readStdinChunk,
  setRawInput,
  writeStderr,
} from "../runtime/process.ts";

/** Whether prompting is possible (stdin and stderr are terminals). */
export function canPrompt(): boolean {
  return isTerminal("stdin") && isTerminal("stderr");
}

function ensureTerminal(what: string, instead: string): void {
  if (!canPrompt()) {
    throw new CliError(`${what} needed but there is no terminal to ask on; ${instead}`, EXIT.usage);
  }
}

async function readLine(question: string, hidden: boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  // Raw mode before the question shows, so nothing typed after it is ever echoed.
  if (hidden) setRawInput(true);
  writeStderr(question);
  try {
    for (;;) {
      const chunk = await readStdinChunk();
      if (chunk === null) {
        if (!text) throw new CliError("no input", EXIT.usage);
        return text;
      }
      for (const ch of decoder.decode(chunk, { stream: true })) {
        if (ch === "\r" || ch === "\n") return text;
        if (hidden && ch === "\u0003") throw new CliError("interrupted", EXIT.sigint);
        if (hidden && ch === "\u0004" && !text) throw new CliError("no input", EXIT.usage);
        if (hidden && (ch === "\u007f" || ch === "\b")) {
          text = text.slice(0, -1);
          continue;
        }
        if (hidden && ch === "\u0015") { // Ctrl-U clears the line
          text = "";
          continue;
        }
        text += ch;
      }
    }
  } finally {
    if (hidden) {
      setRawInput(false);
      writeStderr("\n");
    }
  }
}

/** Options of {@linkcode prompt}. */
export interface PromptOptions {
  /** Do not echo what is typed (passwords, codes). */
  hidden?: boolean;
  /** What to tell the user when there is no terminal, e.g. "use --password-stdin". */
  instead: string;
}

/**
 * Asks a question on the terminal and returns the answer (without the newline).
 *
 * @example
 * ```ts ignore
 * import { prompt } from "./prompt.ts";
 * const password = await prompt("Password: ", { hidden: true, instead: "use --password-stdin" });
 * ```
 */
export async function prompt(question: string, options: PromptOptions): Promise<string> {
  ensureTerminal(question.replace(/[:\s]+$/, "").toLowerCase(), options.instead);
  return await readLine(question, options.hidden ?? false);
}

/** Reads all of stdin (for `--password-stdin`), without the trailing newline. */
export async function readStdinSecret(): Promise<string> {
  return new TextDecoder().decode(await readStdinAll()).replace(/\r?\n$/, "");
}
