/**
 * `AppRun`, the handle of a run that `runAppAsync` starts. It points back to the client that
 * started it through `AppRunClient`, the one method it needs, so this file does not import the
 * client class (which imports this one to construct runs): imports run one way.
 *
 * @module
 */
import type { WaitOptions } from "./types.ts";

/**
 * What an `AppRun` needs of the client that started it: `AppMeshClient` is one. `AppRun`'s
 * type parameter keeps the client's own type, so `run.client` of a run from `runAppAsync` is
 * the `AppMeshClient` itself.
 *
 * @example
 * ```ts
 * import { AppRun, type AppRunClient } from "@appmesh/sdk";
 *
 * const finished: AppRunClient = { waitForAsyncRun: () => Promise.resolve(0) };
 * const run = new AppRun({ client: finished, appName: "a", processUuid: "p" });
 * console.log(await run.wait()); // 0
 * ```
 */
export interface AppRunClient {
  /** Follows a run's output until it exits; its exit code, or undefined on timeout. */
  waitForAsyncRun(run: AppRun, options?: WaitOptions): Promise<number | undefined>;
}

/** What `AppRun` is made of. */
export interface AppRunInit<C extends AppRunClient = AppRunClient> {
  /** The client that started the run. */
  client: C;
  /** Name of the (generated) run app. */
  appName: string;
  /** The process instance. */
  processUuid: string;
  /** Node the run was started on (`host:port`), undefined for the base URL's node. */
  node?: string;
}

/**
 * A run started with `runAppAsync`. It remembers its node, so `wait()` follows the right
 * node even when the client is later pointed elsewhere.
 *
 * @example
 * ```ts
 * import { AppMeshClient } from "@appmesh/sdk";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer({ nodes: 2 });
 * await using client = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
 * await client.login("admin", "admin123");
 * const run = await client.forNode(server.nodes[1].name).runAppAsync("echo on node 2");
 * const code = await run.wait({ onOutput: (chunk) => console.log(chunk) });
 * console.log(run.node, code); // 127.0.0.1:PORT2 0
 * ```
 */
export class AppRun<C extends AppRunClient = AppRunClient> {
  /** The client that started the run. */
  readonly client: C;
  /** Name of the run app. */
  readonly appName: string;
  /** The process instance. */
  readonly processUuid: string;
  /** Node it runs on, undefined for the base URL's node. */
  readonly node: string | undefined;

  /**
   * Creates the handle (`runAppAsync` does this).
   *
   * @param init see {@linkcode AppRunInit}
   */
  constructor(init: AppRunInit<C>) {
    this.client = init.client;
    this.appName = init.appName;
    this.processUuid = init.processUuid;
    this.node = init.node;
  }

  /** Follows the output until the process exits: its exit code, or undefined on timeout. */
  wait(options?: WaitOptions): Promise<number | undefined> {
    return this.client.waitForAsyncRun(this, options);
  }
}
