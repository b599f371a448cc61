/**
 * Output of app processes: one file per run (stdout and stderr merged, as the daemon's
 * `appmesh.<app>.out`), read at byte positions, a bounded history per app
 * (`stdout_cache_num`). The route that reads them is in `output_routes.ts`.
 *
 * The bytes live in files, not in memory, so a chatty process costs disk, not heap.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** One slice of output. */
export interface OutputSlice {
  /** The bytes read. */
  data: Uint8Array;
  /** Byte position after the slice (the next `stdout_position`). */
  next: number;
}

/**
 * The output of one process run, append-only, readable at any byte position.
 *
 * @example
 * ```ts
 * const log = new OutputLog("/tmp/appmesh-example.out");
 * log.append(new TextEncoder().encode("hello\n"));
 * log.read(0).next; // 6
 * log.remove();
 * ```
 */
export class OutputLog {
  /** File holding the bytes. */
  readonly path: string;
  #fd: number | undefined;
  #size = 0;
  #sealed = false;

  /**
   * Creates the file (and its directory).
   *
   * @param path file to create
   */
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, "w+");
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** No more bytes will come (the process exited). */
  get sealed(): boolean {
    return this.#sealed;
  }

  /** Appends bytes. */
  append(chunk: Uint8Array): void {
    if (this.#fd === undefined || this.#sealed || chunk.length === 0) return;
    let off = 0;
    while (off < chunk.length) {
      off += writeSync(this.#fd, chunk, off, chunk.length - off, this.#size + off);
    }
    this.#size += chunk.length;
  }

  /** Marks the end of the output (the process exited). */
  seal(): void {
    this.#sealed = true;
  }

  /**
   * Reads from `position`, at most `maxSize` bytes (0: everything). A position past the end
   * throws a `RangeError` (the daemon's "Invalid position").
   */
  read(position: number, maxSize = 0): OutputSlice {
    if (position > this.#size || position < 0) {
      throw new RangeError(`Invalid position <${position}>, file size: <${this.#size}>`);
    }
    const available = this.#size - position;
    const n = maxSize > 0 ? Math.min(maxSize, available) : available;
    const data = new Uint8Array(n);
    let got = 0;
    while (this.#fd !== undefined && got < n) {
      const r = readSync(this.#fd, data, got, n - got, position + got);
      if (r <= 0) break;
      got += r;
    }
    return { data: got === n ? data : data.subarray(0, got), next: position + got };
  }

  /** Closes and deletes the file. */
  remove(): void {
    this.#sealed = true;
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch { /* already closed */ }
      this.#fd = undefined;
    }
    try {
      unlinkSync(this.path);
    } catch { /* already gone */ }
  }
}

/**
 * The output files of one app, newest first: index 0 is the current (or last) run, index 1
 * the one before, ... at most `cacheNum + 1` of them, as the daemon's `LogFileQueue`.
 */
export class OutputHistory {
  #logs: OutputLog[] = [];
  #limit: number;

  /**
   * An empty history.
   *
   * @param cacheNum `stdout_cache_num`: how many previous runs are kept
   */
  constructor(cacheNum: number) {
    this.#limit = Math.max(0, cacheNum) + 1;
  }

  /** Number of kept outputs (`stdout_cache_size`). */
  get size(): number {
    return this.#logs.length;
  }

  /** Adds the output of a new run at index 0, dropping (and deleting) the oldest beyond the limit. */
  push(log: OutputLog): void {
    this.#logs.unshift(log);
    while (this.#logs.length > this.#limit) this.#logs.pop()!.remove();
  }

  /** The output at `index`, or undefined. */
  at(index: number): OutputLog | undefined {
    return this.#logs[index];
  }

  /** Deletes every file. */
  clear(): void {
    for (const log of this.#logs) log.remove();
    this.#logs = [];
  }
}

/** Most bytes one output read answers (the daemon's `APP_STD_OUT_VIEW_DEFAULT_SIZE`, 3 MiB). */
export const VIEW_DEFAULT_SIZE = 3 * 1024 * 1024;
