// Placeholder so that server.ts can import it; the apps helper replaces this file.
import type { NodeHandle, Route } from "./http.ts";

/** Routes of the apps area. */
export const appRoutes: Route[] = [];

/** Per-node app store. */
export interface AppStore {
  /** Stops every process. */
  close(): Promise<void>;
}

/** Creates the app store of one node. */
export function createAppStore(_node: NodeHandle): AppStore {
  return { close: () => Promise.resolve() };
}
