/**
 * Real processes for the local server's apps: spawned through `/bin/sh` so that stderr is
 * merged into stdout in order (the daemon writes both to one file), in their own process
 * group so that a kill takes the whole tree, with the daemon's environment variables
 * (`APP_MESH_PROCESS_KEY`, `APP_MESH_APPLICATION_NAME`, `APP_MESH_LAUNCH_TIME`).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import process from "node:process";
import type { OutputLog } from "./output.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
let idCounter = 0;

/**
 * A short unique id in the daemon's style (`Utility::shortID`: milliseconds, a salt and a
 * counter, base62), used for process uuids and generated app names.
 *
 * @example
 * ```ts
 * shortId(); // e.g. "8yPoATqJVKt"
 * ```
 */
export function shortId(): string {
  const salt = BigInt(Math.floor(Math.random() * 0x10000));
  let id = (BigInt(Date.now()) << 22n) | (salt << 6n) | BigInt(idCounter++ & 0x3f);
  let out = "";
  while (id > 0n) {
    out = ALPHABET[Number(id % 62n)] + out;
    id /= 62n;
  }
  return out;
}

/** A random key of `length` letters and digits (the process key a worker authenticates with). */
export function randomKey(length = 10): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => ALPHABET[b % 62]).join("");
}

/**
 * Splits a command line into arguments, honouring single and double quotes and backslash
 * escapes (as the daemon's `str2argv`).
 *
 * @example
 * ```ts
 * splitCommand(`python3 -c "print('a b')"`); // ["python3", "-c", "print('a b')"]
 * ```
 */
export function splitCommand(line: string): string[] {
  const args: string[] = [];
  let cur = "";
  let has = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (
        c === "\\" && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])
      ) {
        cur += line[++i];
      } else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) args.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) args.push(cur);
  return args;
}

/** How to start one process. */
export interface SpawnOptions {
  /** The command line. */
  command: string;
  /** Run through `/bin/sh -c` (otherwise the line is split into argv). */
  shell: boolean;
  /** Extra environment (merged over the server's own). */
  env: Record<string, string>;
  /** Working directory. */
  cwd: string;
  /** App name, for `APP_MESH_APPLICATION_NAME`. */
  appName: string;
  /** Where stdout+stderr go. */
  output: OutputLog;
  /** Kill after this many seconds (0 or undefined: never). */
  timeoutSeconds?: number;
  /**
   * Report signal deaths as POSIX-style negative codes (`-9`, `-15`, and `-9` for the server's
   * own kills). Default false: as the daemon, 9 for its own kills and 0 for a signal death.
   */
  posixExitCodes?: boolean;
}

/**
 * Exit code of a process as the daemon reports it: its exit status; 9 when the server killed it
 * (timeout, disable, delete); 0 for any other signal death. With `posix`, a signal death is the
 * negative signal number instead (the server's own kills `-9`).
 */
function exitCodeOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  killedByUs: boolean,
  posix: boolean,
): number {
  const signo = signal ? (constants.signals as Record<string, number>)[signal] ?? 1 : 0;
  if (posix) {
    if (code !== null) return code;
    return signo ? -signo : -1;
  }
  if (killedByUs) return 9;
  return code ?? 0;
}

/**
 * The daemon's check of a command that is not run through a shell: a first word naming a path
 * must be an executable file (`command file <...> does not exist`, `... does not have execution
 * permission`); a bare command name is left to the search path. Undefined when it may run.
 *
 * @example
 * ```ts
 * import { checkCommandFile } from "./processes.ts";
 * checkCommandFile("/no/such/binary -x", "/"); // "command file </no/such/binary> does not exist"
 * checkCommandFile("echo hi", "/"); // undefined
 * ```
 */
export function checkCommandFile(command: string, cwd: string): string | undefined {
  const argv0 = splitCommand(command)[0] ?? command;
  if (!argv0.includes("/")) return undefined;
  const file = resolve(cwd, argv0);
  if (!existsSync(file)) return `command file <${argv0}> does not exist`;
  try {
    accessSync(file, fsConstants.X_OK);
  } catch {
    return `command file <${argv0}> does not have execution permission`;
  }
  return undefined;
}

/** One started process. */
export class ProcessRun {
  /** The run's id (`process_uuid`). */
  readonly uuid: string = shortId();
  /** The worker credential (`APP_MESH_PROCESS_KEY`). */
  readonly key: string = randomKey(10);
  /** Where its output goes. */
  readonly output: OutputLog;
  /** Start time (ms since epoch). */
  readonly startedAt: number = Date.now();
  /** OS process id. */
  readonly pid: number;
  /** Exit code once exited (see `exitCodeOf`). */
  exitCode: number | undefined;
  /** Exit time (ms since epoch) once exited. */
  exitedAt: number | undefined;
  /** Whether we killed it (disable, delete, timeout): not a natural exit. */
  killedByUs = false;
  /** Resolves with the exit code once the process exited and its output is complete. */
  readonly done: Promise<number>;
  /** Last CPU sample (`[cpu ticks of the tree, ms]`), for the `cpu` percentage. */
  cpuSample: [number, number] | undefined;
  #child: ChildProcess;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts the process; throws when it cannot be started. */
  constructor(options: SpawnOptions) {
    this.output = options.output;
    // `exec ... 2>&1` inside the shell merges stderr into the one stdout pipe in write order;
    // `exec` keeps the shell out of the way so the pid is the program's own.
    const args = options.shell
      ? ["-c", `exec 2>&1\n${options.command}`]
      : ["-c", 'exec "$@" 2>&1', "sh", ...splitCommand(options.command)];
    if (!options.shell) {
      const refused = checkCommandFile(options.command, options.cwd);
      if (refused) throw new Error(refused);
    }
    const posix = options.posixExitCodes ?? false;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, options.env, {
      APP_MESH_PROCESS_KEY: this.key,
      APP_MESH_APPLICATION_NAME: options.appName,
      APP_MESH_LAUNCH_TIME: String(Math.floor(this.startedAt / 1000)),
    });
    const child = spawn("/bin/sh", args, {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "ignore"],
      detached: true, // own process group: kill(-pid) reaches the whole tree
    });
    if (child.pid === undefined) {
      child.on("error", () => {});
      throw new Error(`failed to start process: ${options.command}`);
    }
    this.#child = child;
    this.pid = child.pid;
    child.stdout!.on("data", (chunk: Uint8Array) => this.output.append(chunk));
    this.done = new Promise<number>((resolve) => {
      let code: number | undefined;
      let closed = false;
      let settled = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        if (settled || code === undefined) return;
        settled = true;
        clearTimeout(this.#timer);
        clearTimeout(grace);
        this.exitCode = code;
        this.exitedAt = Date.now();
        this.output.seal();
        resolve(code);
      };
      child.on("exit", (c, s) => {
        code = exitCodeOf(c, s, this.killedByUs, posix);
        // A background grandchild may hold the pipe open: do not wait for it for long.
        if (closed) settle();
        else grace = setTimeout(settle, 100);
      });
      child.on("close", (c, s) => {
        closed = true;
        code ??= exitCodeOf(c, s, this.killedByUs, posix);
        settle();
      });
      child.on("error", () => {
        code ??= -1;
        settle();
      });
    });
    if (options.timeoutSeconds && options.timeoutSeconds > 0) {
      this.#timer = setTimeout(() => this.kill(), options.timeoutSeconds * 1000);
    }
  }

  /** Still running. */
  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Kills the process group (SIGKILL by default, as the daemon does). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    clearTimeout(this.#timer);
    if (!this.running) return;
    this.killedByUs = true;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        this.#child.kill(signal);
      } catch { /* already gone */ }
    }
  }
}

/**
 * Runs a health-check command (split into argv, no shell, as the daemon) and resolves true when
 * it exits 0 within `timeoutSeconds` (it is killed after that).
 */
export function runCheck(command: string, timeoutSeconds = 10): Promise<boolean> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn("/bin/sh", ["-c", 'exec "$@"', "sh", ...splitCommand(command)], {
        stdio: "ignore",
        detached: true,
      });
    } catch {
      resolve(false);
      return;
    }
    if (child.pid === undefined) {
      child.on("error", () => {});
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* gone */ }
    }, timeoutSeconds * 1000);
    child.on("error", () => {});
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
