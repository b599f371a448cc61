/**
 * Which step failures a `retry:` repeats, and how long to wait in between.
 *
 * Only what can succeed on a second try is retried: connection errors, timeouts and 5xx
 * answers. A 4xx (bad request, forbidden, not found) fails at once. A step that is not
 * idempotent (starting a process, posting a task) is repeated only when its request cannot
 * have taken effect: the connection was refused, or the answer was a 502/503 given before any
 * work (a forwarding failure, an overloaded server).
 *
 * @module
 */

import type { RetryPolicy } from "../language/spec.ts";
import { sleep } from "../../runtime/timers.ts";

/** Why the engine gave up on an attempt, when it is the engine's doing. */
export class StepTimeoutError extends Error {
  /** The limit in milliseconds. */
  readonly timeout: number;
  /**
   * Creates the error.
   * @param timeout the limit in milliseconds
   */
  constructor(timeout: number) {
    super(`step timed out after ${formatMs(timeout)}`);
    this.name = "StepTimeoutError";
    this.timeout = timeout;
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM, an aborted `signal`). */
export class InterruptedError extends Error {
  /** An interrupt. */
  constructor() {
    super("interrupted");
    this.name = "InterruptedError";
  }
}

/** A repeated interrupt cut the clean-up (`finally`, deleting temporary apps) short. */
export class AbandonedError extends Error {
  /** An abandoned clean-up. */
  constructor() {
    super("clean-up abandoned (interrupted again)");
    this.name = "AbandonedError";
  }
}

/** Milliseconds as `1.5s`, `2m`, `250ms`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${+(ms / 60_000).toFixed(1)}m`;
}

interface ErrorShape {
  name?: string;
  code?: string;
  status?: number;
  cause?: unknown;
  retryable?: boolean;
  message?: string;
}

/** The HTTP status of a client error, if it carries one (0 or undefined otherwise). */
export function httpStatus(e: unknown): number | undefined {
  const s = (e as ErrorShape | null)?.status;
  return typeof s === "number" && s > 0 ? s : undefined;
}

/** A connection-level failure (refused, reset, DNS, TLS) or a client timeout. */
function isConnectionError(e: unknown): boolean {
  const name = (e as ErrorShape | null)?.name ?? "";
  return name === "AppMeshConnectionError" || name === "AppMeshTlsError" ||
    name === "AppMeshTimeoutError";
}

/** A 502 "Failed to connect to forwarding host" or a connection error: the node is unreachable. */
export function isUnreachable(e: unknown): boolean {
  return isConnectionError(e) || httpStatus(e) === 502;
}

/** Whether the request certainly did not reach the server (refused before sending). */
function neverSent(e: ErrorShape): boolean {
  if (e.name !== "AppMeshConnectionError") return false;
  const text = `${e.code ?? ""} ${causeText(e.cause)} ${e.message ?? ""}`;
  return /refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|getaddrinfo|dns/i.test(text);
}

function causeText(c: unknown): string {
  if (c === null || c === undefined) return "";
  const o = c as ErrorShape;
  return `${o.name ?? ""} ${o.code ?? ""} ${o.message ?? String(c)}`;
}

/**
 * Whether a failed attempt may be repeated.
 *
 * @example
 * ```ts
 * import { isRetryable } from "./retry.ts";
 * isRetryable({ name: "AppMeshHttpError", status: 503 }, { idempotent: true }); // true
 * isRetryable({ name: "AppMeshHttpError", status: 404 }, { idempotent: true }); // false
 * isRetryable({ name: "AppMeshHttpError", status: 500 }, { idempotent: false }); // false
 * ```
 */
export function isRetryable(e: unknown, options: { idempotent: boolean }): boolean {
  if (e === null || typeof e !== "object") return false;
  const err = e as ErrorShape;
  if (err.retryable === true) return true;
  if (err.name === "AppMeshTlsError") return false; // configuration, not luck
  const status = httpStatus(e);
  if (status !== undefined) {
    if (status < 500) return false;
    return options.idempotent || status === 502 || status === 503;
  }
  if (err.name === "AppMeshConnectionError") return options.idempotent || neverSent(err);
  if (err.name === "AppMeshTimeoutError") return options.idempotent;
  return false;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): `interval` (fixed) or
 * `interval * 2^(attempt-1)` (exponential, capped at 5 minutes), with ±25 % jitter so that
 * nodes failing together do not retry in lockstep.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./retry.ts";
 * const d = backoffDelay({ attempts: 3, backoff: "exponential", interval: 1000 }, 2);
 * d >= 1500 && d <= 2500; // true
 * ```
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = policy.backoff === "exponential"
    ? Math.min(policy.interval * 2 ** (attempt - 1), 300_000)
    : policy.interval;
  return Math.max(0, Math.round(base * (0.75 + random() * 0.5)));
}

/** Attempts and backoff of a clean-up deletion (a run app, a `finally` `delete_app`). */
export const CLEANUP_RETRY: RetryPolicy = { attempts: 4, backoff: "exponential", interval: 300 };

/**
 * Whether a clean-up request that failed this way can succeed on a second try: a connection
 * error or time-out (TLS failures are configuration, not luck), or a 502/503/504 answer.
 */
function isTransient(e: unknown): boolean {
  const name = (e as ErrorShape | null)?.name;
  if (name === "AppMeshConnectionError" || name === "AppMeshTimeoutError") return true;
  const status = httpStatus(e);
  return status === 502 || status === 503 || status === 504;
}

/**
 * Runs a clean-up request, repeating it after a short backoff while it fails in a way that
 * {@linkcode isTransient} says can pass on a second try; rejects with the last error.
 *
 * @example
 * ```ts
 * import { retryTransient } from "./retry.ts";
 * let calls = 0;
 * const done = await retryTransient(() => {
 *   if (++calls < 2) return Promise.reject({ name: "AppMeshHttpError", status: 503 });
 *   return Promise.resolve("deleted");
 * }, { policy: { attempts: 3, backoff: "fixed", interval: 1 } });
 * console.log(done, calls); // deleted 2
 * ```
 */
export async function retryTransient<T>(
  fn: (attempt: number) => Promise<T>,
  options: {
    /** Attempts and backoff (default {@linkcode CLEANUP_RETRY}). */
    policy?: RetryPolicy;
    /** Stops the waiting between attempts (the last error is then rethrown). */
    signal?: AbortSignal;
    /** Told before each wait. */
    onRetry?: (error: unknown, next: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  const policy = options.policy ?? CLEANUP_RETRY;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !isTransient(e) || options.signal?.aborted) throw e;
      const delay = backoffDelay(policy, attempt);
      options.onRetry?.(e, attempt + 1, delay);
      try {
        await sleep(delay, options.signal);
      } catch {
        throw e;
      }
    }
  }
}
