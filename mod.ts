/**
 * @appmesh/sdk: drive App Mesh from TypeScript on `fetch` alone.
 *
 * `AppMeshClient` offers every operation of the official Python HTTP client, with its session
 * kept in a Mozilla `cookies.txt` that Python and curl can share. The workflow runner is in
 * `@appmesh/sdk/workflow`, the local App Mesh–compatible server in `@appmesh/sdk/devserver`,
 * the cookie jar and file on their own in `@appmesh/sdk/cookies`, the command line in
 * `@appmesh/sdk/cli`.
 *
 * @example Log in, run a command, read its output
 * ```ts
 * import { AppMeshClient } from "@appmesh/sdk";
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer();
 * await using client = new AppMeshClient({ baseUrl: server.urls[0], ca: server.caFile });
 * await client.login("admin", "admin123");
 * const { exitCode, output } = await client.runAppSync("echo hello");
 * console.log(exitCode, output); // 0 "hello\n"
 * ```
 *
 * @module
 */
export * from "./src/client/mod.ts";
