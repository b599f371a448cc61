/**
 * The App Mesh client: `AppMeshClient` (every operation of the official Python client, on
 * `fetch` alone), `AppRun`, the error classes and the types. Importing it touches no runtime
 * API (`Deno`, `Bun`, `process`, `node:*`): file-system and TLS code is loaded when used.
 *
 * @example
 * ```ts
 * import { AppMeshClient } from "@appmesh/sdk";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer();
 * await using client = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
 * await client.login("admin", "admin123");
 * console.log((await client.listApps()).length);
 * ```
 *
 * @module
 */
export { AppRun, type AppRunClient, type AppRunInit } from "./app_run.ts";
export { AppMeshClient } from "./client.ts";
export {
  AppMeshAuthError,
  AppMeshBrowserError,
  AppMeshConnectionError,
  AppMeshError,
  type AppMeshErrorOptions,
  AppMeshHttpError,
  AppMeshResponseError,
  AppMeshTimeoutError,
  AppMeshTlsError,
  type BrowserErrorInit,
  type HttpErrorInit,
} from "./errors.ts";
export {
  DEFAULT_FORWARD_TIMEOUT,
  isSameNode,
  normalizeNode,
  requestTimeout,
  type TimeoutOptions,
} from "./forward.ts";
export type * from "./types.ts";
