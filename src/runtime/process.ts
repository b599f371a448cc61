/**
 * What the `appmesh` command needs from its process, the same on Deno, Bun and Node: arguments,
 * exit, signals, writing to stdout/stderr, terminals (size, raw input), reading stdin. Deno uses
 * `Deno.*`; Bun and Node use `node:process`. Runtime detection comes from `detect.ts` only.
 *
 * @example
 * ```ts
 * import { isTerminal, writeStdout } from "./process.ts";
 *
 * if (!isTerminal("stdout")) writeStdout("piped\n");
 * ```
 *
 * @module
 */

import process from "node:process";
import { writeSync } from "node:fs";
import { runtimeName } from "./detect.ts";

/** A standard stream of the process. */
export type StdStream = "stdin" | "stdout" | "stderr";
/** The signals the command handles. */
export type SignalName = "SIGINT" | "SIGTERM";

interface DenoWriter {
  writeSync(p: Uint8Array): number;
  isTerminal(): boolean;
}
interface DenoApi {
  args: string[];
  exit(code: number): never;
  addSignalListener(sig: SignalName, fn: () => void): void;
  removeSignalListener(sig: SignalName, fn: () => void): void;
  consoleSize(): { columns: number; rows: number };
  stdout: DenoWriter;
  stderr: DenoWriter;
  stdin: {
    isTerminal(): boolean;
    setRaw(on: boolean): void;
    read(p: Uint8Array): Promise<number | null>;
    readable: ReadableStream<Uint8Array>;
  };
}
const DENO = runtimeName() === "deno"
  ? (globalThis as unknown as { Deno: DenoApi }).Deno
  : undefined;

/**
 * The command-line arguments after the script.
 *
 * @example
 * ```ts
 * import { processArgs } from "./process.ts";
 * console.assert(Array.isArray(processArgs()));
 * ```
 */
export function processArgs(): string[] {
  return DENO ? [...DENO.args] : process.argv.slice(2);
}

/**
 * Ends the process with an exit code (output written with {@linkcode writeStdout} is out).
 *
 * @example
 * ```ts ignore
 * import { exitProcess } from "./process.ts";
 * exitProcess(0);
 * ```
 */
export function exitProcess(code: number): never {
  if (DENO) DENO.exit(code);
  process.exit(code);
}

/**
 * Calls `handler` on a signal until the returned function is called.
 *
 * @example
 * ```ts
 * import { onSignal } from "./process.ts";
 * const off = onSignal("SIGTERM", () => console.log("stopping"));
 * off();
 * ```
 */
export function onSignal(signal: SignalName, handler: () => void): () => void {
  if (DENO) {
    DENO.addSignalListener(signal, handler);
    return () => DENO.removeSignalListener(signal, handler);
  }
  process.on(signal, handler);
  return () => void process.off(signal, handler);
}

function writeFd(fd: 1 | 2, data: string | Uint8Array): void {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const deno = DENO ? (fd === 1 ? DENO.stdout : DENO.stderr) : undefined;
  while (bytes.length) {
    try {
      bytes = bytes.subarray(deno ? deno.writeSync(bytes) : writeSync(fd, bytes));
    } catch (e) {
      // A non-blocking pipe (Node) that is full: try again; anything else ends the write.
      if ((e as { code?: string }).code !== "EAGAIN") throw e;
    }
  }
}

/**
 * Writes all of `data` to stdout before returning (so an exit right after loses nothing).
 *
 * @example
 * ```ts
 * import { writeStdout } from "./process.ts";
 * writeStdout("hello\n");
 * ```
 */
export function writeStdout(data: string | Uint8Array): void {
  writeFd(1, data);
}

/**
 * Writes all of `data` to stderr before returning.
 *
 * @example
 * ```ts
 * import { writeStderr } from "./process.ts";
 * writeStderr("note\n");
 * ```
 */
export function writeStderr(data: string | Uint8Array): void {
  writeFd(2, data);
}

/**
 * Whether a standard stream is a terminal.
 *
 * @example
 * ```ts
 * import { isTerminal } from "./process.ts";
 * console.log(isTerminal("stdout"));
 * ```
 */
export function isTerminal(stream: StdStream): boolean {
  if (DENO) return DENO[stream].isTerminal();
  return Boolean((process[stream] as { isTTY?: boolean }).isTTY);
}

/**
 * The terminal's width in columns, or undefined when stdout/stderr is no terminal.
 *
 * @example
 * ```ts
 * import { terminalColumns } from "./process.ts";
 * console.log(terminalColumns() ?? 80);
 * ```
 */
export function terminalColumns(): number | undefined {
  try {
    if (DENO) return DENO.consoleSize().columns || undefined;
    return process.stdout.columns || process.stderr.columns || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Switches the terminal on stdin to raw input (nothing echoed, keys one by one) or back.
 *
 * @example
 * ```ts ignore
 * import { setRawInput } from "./process.ts";
 * setRawInput(true);
 * setRawInput(false);
 * ```
 */
export function setRawInput(on: boolean): void {
  if (DENO) DENO.stdin.setRaw(on);
  else (process.stdin as { setRawMode?(on: boolean): void }).setRawMode?.(on);
}

/**
 * Reads what stdin has next (a key or a line on a terminal), or null at its end. Stdin stays
 * usable for the next read.
 *
 * @example
 * ```ts ignore
 * import { readStdinChunk } from "./process.ts";
 * const chunk = await readStdinChunk();
 * ```
 */
export async function readStdinChunk(): Promise<Uint8Array | null> {
  if (DENO) {
    const buf = new Uint8Array(256);
    const n = await DENO.stdin.read(buf);
    return n === null ? null : buf.subarray(0, n);
  }
  const stdin = process.stdin;
  return await new Promise((resolve, reject) => {
    const done = () => {
      stdin.off("data", onData).off("end", onEnd).off("error", onError);
      stdin.pause();
    };
    const onData = (c: Uint8Array | string) => {
      done();
      resolve(typeof c === "string" ? new TextEncoder().encode(c) : new Uint8Array(c));
    };
    const onEnd = () => (done(), resolve(null));
    const onError = (e: unknown) => (done(), reject(e));
    stdin.on("data", onData).on("end", onEnd).on("error", onError);
    stdin.resume();
  });
}

/**
 * Reads all of stdin to its end.
 *
 * @example
 * ```ts ignore
 * import { readStdinAll } from "./process.ts";
 * const text = new TextDecoder().decode(await readStdinAll());
 * ```
 */
export async function readStdinAll(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  if (DENO) { for await (const c of DENO.stdin.readable) chunks.push(c); }
  else for await (const c of process.stdin) chunks.push(new Uint8Array(c as Uint8Array));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/**
 * Reports an error thrown in a callback outside any await, or a promise rejected with no
 * handler, instead of letting it end the process (the command reports it and carries on).
 *
 * @example
 * ```ts ignore
 * import { onStrayError } from "./process.ts";
 * onStrayError((kind, e) => console.error(kind, e));
 * ```
 */
export function onStrayError(report: (kind: "error" | "rejection", error: unknown) => void): void {
  if (DENO) {
    globalThis.addEventListener("error", (ev) => {
      ev.preventDefault();
      report("error", ev.error);
    });
    globalThis.addEventListener("unhandledrejection", (ev) => {
      ev.preventDefault();
      report("rejection", ev.reason);
    });
    return;
  }
  process.on("uncaughtException", (e) => report("error", e));
  process.on("unhandledRejection", (e) => report("rejection", e));
}
