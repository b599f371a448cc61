/**
 * A command run as a person runs it in a terminal: the README's `deno task appmesh ...` in a
 * process group of its own with SIGINT not ignored, its output gathered line by line, and
 * signals sent to the whole group (as a terminal's Ctrl-C is, so that `deno task` passes it on
 * and the command gets it twice).
 *
 * @module
 */
import { type Fixture, ROOT } from "./helpers.ts";

/** Deno's cache for the children, which get their own HOME. */
const DENO_DIR: string = Deno.env.get("DENO_DIR") ?? (() => {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .outputSync();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
})();

/** A child in a process group of its own, with output gathered line by line. */
export interface Group {
  /** The group's id (the leader's pid). */
  pgid: number;
  /** Lines printed so far on stdout and stderr. */
  out: string[];
  err: string[];
  /** Resolves once a line matching `re` appeared on `stream`. */
  waitFor(stream: "out" | "err", re: RegExp, count?: number): Promise<void>;
  /** Sends a signal to the whole group, as a terminal does. */
  signal(sig: Deno.Signal): void;
  status: Promise<Deno.CommandStatus>;
}

/** Starts `deno task -q appmesh ...args` in a group of its own, with the fixture's environment. */
export function startGroup(args: string[], fx: Fixture): Group {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("APPMESH_")) base[k] = v;
  }
  // setsid: a group of its own (as a terminal's foreground job); SIGINT set to its default,
  // since a background job of a shell starts with it ignored.
  const child = new Deno.Command("setsid", {
    args: ["env", "--default-signal=INT", Deno.execPath(), "task", "-q", "appmesh", ...args],
    cwd: ROOT,
    env: { ...base, ...fx.env, DENO_DIR },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { lines: string[]; re: RegExp; count: number; done: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.lines.filter((l) => w.re.test(l)).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>, lines: string[]) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      lines.push(...parts);
      check();
    }
    if (buf) lines.push(buf);
    check();
  };
  const pumps = Promise.all([pump(child.stdout, out), pump(child.stderr, err)]);
  const status = pumps.then(() => child.status);
  return {
    pgid: child.pid,
    out,
    err,
    waitFor(stream, re, count = 1) {
      const lines = stream === "out" ? out : err;
      return new Promise<void>((resolve, reject) => {
        waiters.push({ lines, re, count, done: resolve });
        check();
        status.then(() =>
          reject(
            new Error(
              `exited before ${re} (x${count}) on std${stream}:\n${out.join("\n")}\n` +
                `--- stderr\n${err.join("\n")}`,
            ),
          )
        );
      });
    },
    signal: (sig) => Deno.kill(-child.pid, sig),
    status,
  };
}

/** Both streams of a group, for assertion messages. */
export const show = (g: Group) =>
  `--- stdout\n${g.out.join("\n")}\n--- stderr\n${g.err.join("\n")}`;
