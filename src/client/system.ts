/**
 * System: `setLogLevel`, the one method of the area that is more than a request (it reads the
 * level back from the configuration); host resources, configuration, metrics and labels are
 * `call`s of the client class.
 *
 * @module
 */
import { call, type Core } from "./core.ts";
import { endpointPath } from "./endpoints.ts";
import { AppMeshResponseError } from "./errors.ts";
import type { CallOptions } from "./types.ts";

type Json = Record<string, unknown>;

/**
 * `setLogLevel`: the level the server now has.
 *
 * @example
 * ```ts
 * import { setLogLevel } from "./system.ts";
 * console.log(typeof setLogLevel); // "function" (the client's setLogLevel runs it)
 * ```
 */
export async function setLogLevel(core: Core, level: string, o: CallOptions = {}): Promise<string> {
  const json = { BaseConfig: { LogLevel: level } };
  const config = await call(core, "setConfig", { json, call: o }) as Json;
  const now = (config.BaseConfig as Json | undefined)?.LogLevel;
  if (typeof now !== "string") {
    throw new AppMeshResponseError(
      `${core.baseUrl}${endpointPath("setConfig")}`,
      "BaseConfig.LogLevel",
      "got none",
    );
  }
  return now;
}
