/**
 * Fault injection for reliability tests: latency, a share of 503s, connections cut in the
 * middle of a body, and tokens that expire earlier than their `expires_in` says. Changeable at
 * run time (`DevServer.setFaults`), for all nodes at once.
 *
 * @module
 */

/** Faults to inject; every field is optional. */
export interface Faults {
  /** Milliseconds added before every answer. */
  latencyMs?: number;
  /** 0..1 share of requests answered 503 `{"message":"Injected fault"}` (never login). */
  errorRate?: number;
  /** 0..1 share of responses whose connection is destroyed mid-body. */
  cutRate?: number;
  /** Cap on every issued token's lifetime in seconds (the body still says what was asked). */
  tokenLifetimeSeconds?: number;
  /** If set, faults apply only to these path prefixes. */
  paths?: string[];
}

/** The live fault settings plus the timers they run, so that `close()` can stop them. */
export class FaultState {
  #faults: Faults | undefined;
  readonly #timers = new Set<{ id: ReturnType<typeof setTimeout>; done: () => void }>();

  /** @param faults the initial settings */
  constructor(faults?: Faults) {
    this.set(faults);
  }

  /** Replaces the settings (undefined: none). */
  set(faults: Faults | undefined): void {
    if (faults) {
      for (const k of ["errorRate", "cutRate"] as const) {
        const v = faults[k];
        if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${k} must be in 0..1`);
      }
      if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0)) {
        throw new RangeError("latencyMs must be >= 0");
      }
      if (faults.tokenLifetimeSeconds !== undefined && !(faults.tokenLifetimeSeconds > 0)) {
        throw new RangeError("tokenLifetimeSeconds must be > 0");
      }
    }
    this.#faults = faults ? { ...faults, paths: faults.paths && [...faults.paths] } : undefined;
  }

  /** The settings that apply to a path, or undefined. */
  for(path: string): Faults | undefined {
    const f = this.#faults;
    if (!f) return undefined;
    if (f.paths && !f.paths.some((p) => path.startsWith(p))) return undefined;
    return f;
  }

  /** The token lifetime cap (applies to every path). */
  tokenCap(): number | undefined {
    return this.#faults?.tokenLifetimeSeconds;
  }

  /** Waits the configured latency (resolves early on `cancelAll`). */
  delay(path: string): Promise<void> | undefined {
    const ms = this.for(path)?.latencyMs;
    if (!ms) return undefined;
    return new Promise((resolve) => {
      const entry = {
        id: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        done: resolve,
      };
      this.#timers.add(entry);
    });
  }

  /** Whether to answer this request with an injected 503 (login is never failed). */
  shouldFail(path: string): boolean {
    const rate = this.for(path)?.errorRate ?? 0;
    return rate > 0 && path !== "/appmesh/login" && Math.random() < rate;
  }

  /** Whether to cut this response mid-body. */
  shouldCut(path: string): boolean {
    const rate = this.for(path)?.cutRate ?? 0;
    return rate > 0 && Math.random() < rate;
  }

  /** Stops every pending delay (server close). */
  cancelAll(): void {
    for (const t of this.#timers) {
      clearTimeout(t.id);
      t.done();
    }
    this.#timers.clear();
  }
}
