/**
 * Helpers of the journey tests: a local server that records every request it answers, a fresh
 * `$HOME`, an installed-looking `appmesh` on a PATH of its own, and runs the way cron runs a
 * line (`env -i` with only HOME, PATH and the line's variables, stdin from /dev/null, no TTY).
 */
import { startDevServer } from "../../src/devserver/mod.ts";
import { ROOT } from "./helpers.ts";

/** What a finished process printed. */
export interface Ran {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** A server, a fresh home and an `appmesh` command on a PATH of its own. */
export interface World {
  /** The local server. */
  server: Awaited<ReturnType<typeof startDevServer>>;
  /** Every request answered: `host:port METHOD /path STATUS`. */
  requests: string[];
  /** A temp folder holding `home/`, `bin/` and the test's files. */
  dir: string;
  /** The fresh `$HOME`. */
  home: string;
  /** PATH: the `appmesh` wrapper's folder, then the system's. */
  path: string;
  /** The variables a user sets for this server: `APPMESH_URL`, `APPMESH_CA`. */
  serverEnv: Record<string, string>;
  /** `POST /appmesh/login` requests so far. */
  logins(): number;
  /** Runs `appmesh ARGS...` with only HOME, PATH and `env` (stdin text or /dev/null). */
  appmesh(args: string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<Ran>;
  /** Runs a shell line as cron does: `env -i HOME PATH sh -c LINE`, stdin /dev/null. */
  cron(line: string): Promise<Ran>;
  /** Stops the server and removes the folder. */
  close(): Promise<void>;
}

const DENO_DIR: string = Deno.env.get("DENO_DIR") ?? (() => {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .outputSync();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
})();

/** Starts a world with `nodes` nodes. */
export async function startWorld(nodes = 1): Promise<World> {
  const dir = await Deno.makeTempDir({ prefix: "appmesh-journey-" });
  const home = `${dir}/home`;
  const bin = `${dir}/bin`;
  await Deno.mkdir(home);
  await Deno.mkdir(bin);
  // What `deno install -g -A -n appmesh jsr:@appmesh/sdk/cli` leaves on the PATH: a wrapper
  // that needs nothing from the caller's environment.
  await Deno.writeTextFile(
    `${bin}/appmesh`,
    `#!/bin/sh\nDENO_DIR='${DENO_DIR}' exec '${Deno.execPath()}' run -A --quiet --config '${ROOT}deno.json' '${ROOT}src/cli/main.ts' "$@"\n`,
    { mode: 0o755 },
  );
  const requests: string[] = [];
  const server = await startDevServer({
    nodes,
    stateDir: `${dir}/state`,
    logger: (line) => {
      if (/ (GET|POST|PUT|DELETE) \//.test(line)) requests.push(line);
    },
  });
  const path = `${bin}:/usr/local/bin:/usr/bin:/bin`;
  const run = async (args: string[], stdin?: string): Promise<Ran> => {
    const child = new Deno.Command("/usr/bin/env", {
      args,
      cwd: ROOT,
      clearEnv: true,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  const vars = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return {
    server,
    requests,
    dir,
    home,
    path,
    serverEnv: { APPMESH_URL: server.urls[0], APPMESH_CA: server.caFile! },
    logins: () => requests.filter((l) => / POST \/appmesh\/login /.test(l)).length,
    appmesh: (args, options = {}) =>
      run(
        ["-i", `HOME=${home}`, `PATH=${path}`, ...vars(options.env ?? {}), "appmesh", ...args],
        options.stdin,
      ),
    cron: (line) => run(["-i", `HOME=${home}`, `PATH=${path}`, "/bin/sh", "-c", line]),
    async close() {
      try {
        await server.close();
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** The README's text. */
export async function readme(): Promise<string> {
  return await Deno.readTextFile(`${ROOT}README.md`);
}
