/**
 * Builds one node's typed state (`NodeHandle`) from its facts: the system store (labels,
 * configuration, metrics) and the app store. A node's state does not depend on how it is
 * reached; `pipeline.ts` serves it, with or without a listener.
 *
 * @module
 */
import { createAppStore } from "./app_store.ts";
import type { NodeHandle, ServerShared } from "./context.ts";
import type { NodeInfo } from "./node_info.ts";
import { SystemStore } from "./system_store.ts";

/**
 * What the configuration document of a node says about its server.
 *
 * @example
 * ```ts
 * import type { NodeConfig } from "./node_state.ts";
 * const config: NodeConfig = { host: "127.0.0.1", issuer: "appmesh", verifyClient: false };
 * ```
 */
export interface NodeConfig {
  /** Bind address (`REST.RestListenAddress`). */
  host: string;
  /** JWT issuer (`REST.JWT.Issuer`). */
  issuer: string;
  /** Client certificates required (`REST.SSL.VerifyClient`). */
  verifyClient: boolean;
}

/**
 * The state of a new node: its facts, what it shares with its server, a fresh system store and
 * a fresh app store. Close `state.apps` when done.
 *
 * @example
 * ```ts
 * import { createNodeState } from "./node_state.ts";
 * import { Identity } from "./identity.ts";
 * const identity = await Identity.create({ jwtKey: new Uint8Array(32) });
 * const state = createNodeState(
 *   { name: "127.0.0.1:6060", port: 6060, stateDir: "/tmp/node-state-example" },
 *   { identity, tls: false, legacyCsrf: false },
 *   { host: "127.0.0.1", issuer: identity.tokens.issuer, verifyClient: false },
 * );
 * console.log(state.system.labels.get("HOST_NAME"), state.apps.count()); // host name, 0
 * await state.apps.close();
 * ```
 */
export function createNodeState(
  info: NodeInfo,
  shared: ServerShared,
  config: NodeConfig,
): NodeHandle {
  return {
    ...info,
    shared,
    system: new SystemStore(info, config),
    apps: createAppStore(info),
  };
}
