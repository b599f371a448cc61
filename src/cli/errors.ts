/**
 * Exit codes of the `appmesh` command and the mapping of errors to one clear line: an
 * expected failure (a typed App Mesh error, an invalid workflow, a missing file) is one line
 * without a stack trace; only an unexpected bug shows its stack, and only with
 * `APPMESH_DEBUG=1`.
 *
 * @module
 */

import { type Connection, describeSetting } from "../runtime/connection.ts";
import { envVar } from "../runtime/env.ts";

// The connection of the running command (one per process), so that an error can say which
// server, CA, cookie file or timeout was used and where that setting came from.
let connection: Connection | undefined;

/** Records the connection the command resolved, for error messages. */
export function noteConnection(c: Connection | undefined): void {
  connection = c;
}

/** The exit codes documented in the README. */
export const EXIT = {
  /** Every node succeeded. */
  ok: 0,
  /** Some node (or the command) failed. */
  failed: 1,
  /** Invalid workflow or usage. */
  usage: 2,
  /** No node reachable, or login refused. */
  unreachable: 3,
  /** The `--lock` is held by another run. */
  locked: 4,
  /** Interrupted again during the clean-up, which was abandoned (what was left is listed). */
  abandoned: 5,
  /** Interrupted by SIGINT (Ctrl-C). */
  sigint: 130,
  /** Interrupted by SIGTERM. */
  sigterm: 143,
} as const;

/** A failure the command expects and explains in one line. */
export class CliError extends Error {
  /** The process exit code. */
  exitCode: number;
  /**
   * @param message One line saying what went wrong (and what to do).
   * @param exitCode The exit code (default 1).
   */
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** How the command reports an error. */
export interface ErrorReport {
  /** One line (several for a workflow's located issues). */
  message: string;
  /** The exit code. */
  exitCode: number;
  /** An expected failure (no stack trace). */
  expected: boolean;
}

const NETWORK = new Set([
  "AppMeshConnectionError",
  "AppMeshTlsError",
  "AppMeshTimeoutError",
]);

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** A network error with the settings that were used and what to change. */
function networkText(e: Error, is: (n: string) => boolean): string {
  const text = oneLine(e.message);
  const c = connection;
  if (!c) return text;
  if (is("AppMeshTlsError")) {
    return `${text}; ${describeSetting(c, "ca")}`;
  }
  if (is("AppMeshTimeoutError")) {
    return `${text} (${describeSetting(c, "timeout")}; change it with --timeout DURATION or ` +
      "$APPMESH_TIMEOUT)";
  }
  // The message names the URL already: say only where it came from.
  const from = c.from.url;
  return from === "default"
    ? `${text} (the default server; set --url URL or $APPMESH_URL)`
    : `${text} (server from ${from})`;
}

/**
 * Maps an error to its message and exit code. Recognised by name rather than `instanceof`
 * so that this module loads without the client.
 */
export function describeError(e: unknown): ErrorReport {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode, expected: true };
  if (!(e instanceof Error)) return { message: String(e), exitCode: EXIT.failed, expected: false };
  const name = e.name || e.constructor?.name;
  const ctor = e.constructor?.name ?? "";
  const is = (n: string) => name === n || ctor === n;
  if (is("WorkflowError")) {
    const format = (e as Error & { format?: (o?: { color?: boolean }) => string }).format;
    return {
      message: format ? format.call(e, { color: false }) : e.message,
      exitCode: EXIT.usage,
      expected: true,
    };
  }
  if (is("UsageError")) return { message: e.message, exitCode: EXIT.usage, expected: true };
  if (is("AppMeshAuthError")) {
    const status = (e as { status?: number }).status;
    const hint = status === 401 && !/\/login\b/.test((e as { path?: string }).path ?? "")
      ? ` (session missing, expired or revoked: run appmesh login${
        connection?.cookieFile ? `; ${describeSetting(connection, "cookieFile")}` : ""
      })`
      : "";
    return { message: oneLine(e.message) + hint, exitCode: EXIT.unreachable, expected: true };
  }
  if ([...NETWORK].some(is)) {
    return { message: networkText(e, is), exitCode: EXIT.unreachable, expected: true };
  }
  if (
    ctor.startsWith("AppMesh") || name.startsWith("AppMesh") || is("CookieFileError") ||
    // Another process holds the cookie file's lock: its message names the holder and the file.
    is("LockTimeoutError")
  ) {
    return { message: oneLine(e.message), exitCode: EXIT.failed, expected: true };
  }
  const code = (e as { code?: unknown }).code;
  if (
    (typeof code === "string" && /^E[A-Z]+$/.test(code)) ||
    // Deno's own file errors (`Deno.errors.*`), told by name so no runtime is assumed.
    ["NotFound", "PermissionDenied", "AlreadyExists", "IsADirectory", "NotADirectory"].includes(
      e.name,
    )
  ) {
    return { message: oneLine(e.message), exitCode: EXIT.failed, expected: true };
  }
  if (is("AbortError")) return { message: "interrupted", exitCode: EXIT.sigint, expected: true };
  return { message: oneLine(e.message), exitCode: EXIT.failed, expected: false };
}

/** Prints an error to stderr in the command's style; returns its exit code. */
export function reportError(e: unknown, prefix = "appmesh"): number {
  const r = describeError(e);
  const lines = r.message.includes("\n") ? r.message : `${prefix}: ${r.message}`;
  console.error(lines);
  if (!r.expected) {
    if (envVar("APPMESH_DEBUG") === "1" && e instanceof Error && e.stack) {
      console.error(e.stack);
    } else {
      console.error("(an unexpected error; set APPMESH_DEBUG=1 for details)");
    }
  }
  return r.exitCode;
}
