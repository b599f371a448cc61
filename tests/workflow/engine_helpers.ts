/**
 * Shared helpers of the engine's end-to-end tests: a multi-node local server over HTTPS, a
 * temporary folder with the cookie file, and a way to run a YAML workflow against them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevServer, type Faults, startDevServer } from "../../src/devserver/mod.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { runWorkflow } from "../../src/workflow/run/engine.ts";
import type { RunOptions } from "../../src/workflow/run/options.ts";
import type { Report } from "../../src/workflow/report/report.ts";
import type { Workflow, WorkflowEvent } from "../../src/workflow/language/spec.ts";

/** The local server's admin password (the daemon's default users). */
export const PASSWORD = "admin123";

/** One test's world. */
export interface World {
  server: DevServer;
  /** Node names as the server knows them (`127.0.0.1:PORT`). */
  nodes: string[];
  /** A temporary folder (removed by `close`). */
  dir: string;
  /** The cookie file of the runs. */
  cookieFile: string;
  /** Every request line the server logged (`NODE METHOD PATH STATUS`). */
  requests: string[];
  /** Runs a YAML workflow; events are collected into `events`. */
  run(
    yaml: string,
    options?: RunOptions,
    edit?: (wf: Workflow) => void,
  ): Promise<{ report: Report; events: WorkflowEvent[] }>;
  /** A logged-in client of the server (for checks), closed by `close`. */
  admin(): Promise<AppMeshClient>;
  close(): Promise<void>;
}

/** Starts a server with `nodes` nodes and a temporary folder. */
export async function world(nodes = 3, faults?: Faults): Promise<World> {
  const requests: string[] = [];
  const server = await startDevServer({
    port: 0,
    nodes,
    faults,
    logger: (line) => requests.push(line),
  });
  const dir = await mkdtemp(join(tmpdir(), "wf-e2e-"));
  const cookieFile = join(dir, "cookies.txt");
  const clients: AppMeshClient[] = [];
  const w: World = {
    server,
    nodes: server.nodes.map((n) => n.name),
    dir,
    cookieFile,
    requests,
    async run(yaml, options = {}, edit) {
      const events: WorkflowEvent[] = [];
      const wf = parseWorkflow(yaml, { file: join(dir, "test.yaml"), registry: options.steps });
      edit?.(wf);
      const report = await runWorkflow(wf, {
        env: {},
        secrets: { PW: PASSWORD },
        ...options,
        connection: { url: server.urls[0], ca: server.caFile, cookieFile, ...options.connection },
        onEvent: (e) => {
          events.push(e);
          options.onEvent?.(e);
        },
      });
      return { report, events };
    },
    async admin() {
      const c = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
      clients.push(c);
      await c.login("admin", PASSWORD);
      return c;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return w;
}

/** The login step every e2e workflow starts with. */
export const LOGIN = "  - login: { user: admin, password: '${{ secrets.PW }}' }\n";

/** `nodes:` line for the given names. */
export function nodesLine(names: string[]): string {
  return `nodes: [${names.map((n) => `"${n}"`).join(", ")}]\n`;
}
