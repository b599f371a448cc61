/**
 * Tasks: a client posts a payload to a running app (`POST /appmesh/app/{name}/task`) and waits
 * for the result; the app's process fetches the payload (`GET ...?process_key=`, the key
 * reaches it as `APP_MESH_PROCESS_KEY`) and answers it (`PUT ...?process_key=`). One task is
 * in flight at a time, the rest queue in FIFO order (at most 512), as the daemon's
 * `TaskRequest`.
 *
 * @module
 */
import { empty, HttpError, json, plainBytes } from "./http.ts";

const QUEUE_LIMIT = 512;

/** One waiting HTTP request: answered once. */
class Pending {
  replied = false;
  #resolve!: (r: Response) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly response: Promise<Response>;
  readonly body: Uint8Array;
  constructor(body: Uint8Array = new Uint8Array()) {
    this.body = body;
    this.response = new Promise((resolve) => (this.#resolve = resolve));
  }
  /** Answers 408 after `seconds` unless answered before. */
  timeout(seconds: number): void {
    if (seconds > 0) this.#timer = setTimeout(() => this.reply(empty(408)), seconds * 1000);
  }
  reply(r: Response): boolean {
    if (this.replied) return false;
    this.replied = true;
    clearTimeout(this.#timer);
    this.#resolve(r);
    return true;
  }
  /** The daemon's interrupt: 417 with an empty body. */
  interrupt(): boolean {
    return this.reply(empty(417));
  }
}

/**
 * The task state of one app: the key of its current process, the queued client requests, the
 * one in flight, and the worker's parked fetch.
 *
 * @example
 * ```ts
 * const channel = new TaskChannel();
 * channel.activate("key123");
 * const answer = channel.send(new TextEncoder().encode("2+2"), 10);
 * ```
 */
export class TaskChannel {
  #key = "";
  #queue: Pending[] = [];
  #active: Pending | undefined;
  #fetch: Pending | undefined;
  #taskId = 0;

  /** A new process runs: its key becomes the valid one; a parked fetch of the old one gets 417. */
  activate(key: string): void {
    if (key === this.#key) return;
    this.#key = key;
    this.#fetch?.interrupt();
    this.#fetch = undefined;
  }

  /** The process stopped: everything waiting gets 417. */
  terminate(): void {
    this.#key = "";
    this.#fetch?.interrupt();
    this.#active?.interrupt();
    for (const p of this.#queue) p.interrupt();
    this.#fetch = this.#active = undefined;
    this.#queue = [];
  }

  /** Client side: delivers `payload`, resolves with the worker's answer (or 408/417/503). */
  send(payload: Uint8Array, timeoutSeconds: number): Promise<Response> {
    if (!this.#key) throw new HttpError(400, "No process running");
    const task = new Pending(payload);
    this.#taskId++;
    if (this.#fetch) {
      this.#active = task;
      const fetch = this.#fetch;
      this.#fetch = undefined;
      fetch.reply(plainBytes(payload));
    } else if (this.#queue.length >= QUEUE_LIMIT) {
      task.reply(json(503, { message: "task queue full, try again later" }));
    } else {
      this.#queue.push(task);
    }
    task.timeout(timeoutSeconds);
    return task.response;
  }

  /** Client side: cancels the task in flight (its client gets 417); false when none. */
  cancel(): boolean {
    const active = this.#active;
    this.#active = undefined;
    return active ? active.interrupt() : false;
  }

  /** Worker side: resolves with the next payload (waits for one). */
  fetch(key: string): Promise<Response> {
    this.#checkKey(key);
    // A second fetch replaces a parked one, which is dropped (503, as the daemon's destructor).
    if (this.#fetch) this.#fetch.reply(empty(503));
    const fetch = new Pending();
    if (this.#active?.replied) this.#active = undefined;
    while (!this.#active && this.#queue.length) {
      const next = this.#queue.shift()!;
      if (!next.replied) this.#active = next;
    }
    if (this.#active) fetch.reply(plainBytes(this.#active.body));
    else this.#fetch = fetch;
    return fetch.response;
  }

  /** Worker side: hands `result` to the client of the task in flight. */
  reply(key: string, result: Uint8Array): Response {
    this.#checkKey(key);
    const active = this.#active;
    this.#active = undefined;
    if (!active || active.replied) {
      return json(417, { message: "no message request from client waiting for response" });
    }
    // The daemon answers the client's task with the raw bytes as application/octet-stream.
    active.reply(
      new Response(result.length ? result as Uint8Array<ArrayBuffer> : null, {
        status: 200,
        headers: { "Content-Type": "application/octet-stream" },
      }),
    );
    return empty(200);
  }

  /** `[task_id, task_status]` for the app's JSON: "idle" (worker waiting), "busy" or "". */
  status(): [number, string] {
    if (this.#active?.replied) this.#active = undefined;
    if (this.#fetch) return [this.#taskId, "idle"];
    if (this.#active || this.#queue.some((p) => !p.replied)) return [this.#taskId, "busy"];
    return [this.#taskId, ""];
  }

  #checkKey(key: string): void {
    if (!key || key !== this.#key) throw new HttpError(412, "Process key mismatch");
  }
}
