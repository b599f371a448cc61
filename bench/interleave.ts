/**
 * Interleaved measurement rounds of the floor (raw fetch) and our client.
 *
 * @module
 */

/** What {@linkcode interleavedRounds} runs. */
export interface InterleavedRounds<S, T> {
  /** Measured rounds. */
  rounds: number;
  /** The floor's side. */
  floor: S;
  /** Our side; `undefined` (our client failed to start) skips it. */
  ours: S | undefined;
  /** Measures one side once. */
  measure: (side: S) => Promise<T>;
  /** Where each measurement is pushed, per side. */
  out: { floor: T[]; ours: T[] };
}

/**
 * Measures floor and ours in interleaved rounds, alternating which goes first, so drift of a
 * shared machine hits both alike.
 */
export async function interleavedRounds<S, T>(o: InterleavedRounds<S, T>): Promise<void> {
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 ? (["ours", "floor"] as const) : (["floor", "ours"] as const);
    for (const who of order) {
      const side = who === "floor" ? o.floor : o.ours;
      if (side) o.out[who].push(await o.measure(side));
    }
  }
}
