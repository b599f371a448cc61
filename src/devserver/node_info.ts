/**
 * The plain facts of one node of the local server (its name, port and directories), which the
 * per-node stores are built from. The node's whole state, stores included, is `NodeHandle` in
 * `context.ts`.
 *
 * @module
 */

/**
 * The version every node reports (`/appmesh/resources`, metrics).
 *
 * @example
 * ```ts
 * import { VERSION } from "./node_info.ts";
 * console.log(VERSION); // appmesh_2.2.1_sdk-devserver
 * ```
 */
export const VERSION = "appmesh_2.2.1_sdk-devserver";

/**
 * What a node is, before its stores: name, port, directories, exit code convention.
 *
 * @example
 * ```ts
 * import type { NodeInfo } from "./node_info.ts";
 * const info: NodeInfo = { name: "127.0.0.1:6060", port: 6060, stateDir: "/tmp/appmesh" };
 * ```
 */
export interface NodeInfo {
  /** `127.0.0.1:PORT` (the `X-Target-Host` that reaches this node). */
  name: string;
  /** Port this node answers on. */
  port: number;
  /** The server's state directory (certificates, uploaded files default there). */
  stateDir: string;
  /** `FileAllowedBaseDir`, or undefined for no restriction. */
  fileBaseDir?: string;
  /** Report signal deaths as negative exit codes (`DevServerOptions.posixExitCodes`). */
  posixExitCodes?: boolean;
}
