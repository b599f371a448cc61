/**
 * Prompts on a terminal only: a visible line (the user name) and a hidden one (password,
 * TOTP code; raw mode, nothing echoed). Without a terminal it never waits for input: it
 * throws a {@linkcode CliError} that says which flag to use instead.
 *
 * @module
 */

import { CliError, EXIT } from "./errors.ts";

/** Whether prompting is possible (stdin and stderr are terminals). */
export function canPrompt(): boolean {
  return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
}

function ensureTerminal(what: string, instead: string): void {
  if (!canPrompt()) {
    throw new CliError(`${what} needed but there is no terminal to ask on; ${instead}`, EXIT.usage);
  }
}

function writeErr(text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}

async function readLine(question: string, hidden: boolean): Promise<string> {
  const buf = new Uint8Array(64);
  const decoder = new TextDecoder();
  let text = "";
  // Raw mode before the question shows, so nothing typed after it is ever echoed.
  if (hidden) Deno.stdin.setRaw(true);
  writeErr(question);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) {
        if (!text) throw new CliError("no input", EXIT.usage);
        return text;
      }
      for (const ch of decoder.decode(buf.subarray(0, n), { stream: true })) {
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
      Deno.stdin.setRaw(false);
      writeErr("\n");
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
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all).replace(/\r?\n$/, "");
}
