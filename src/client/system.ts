/**
 * Host resources, configuration, log level, metrics and labels.
 *
 * @module
 */
import type { Core } from "./client.ts";
import { AppMeshResponseError } from "./errors.ts";
import { path } from "./encode.ts";
import type { CallOptions } from "./types.ts";

type Json = Record<string, unknown>;

/** `getHostResources`. */
export async function getHostResources(core: Core, o: CallOptions = {}): Promise<Json> {
  return await core.json<Json>({ method: "GET", path: "/appmesh/resources", call: o });
}

/** `getConfig`. */
export async function getConfig(core: Core, o: CallOptions = {}): Promise<Json> {
  return await core.json<Json>({ method: "GET", path: "/appmesh/config", call: o });
}

/** `setConfig`: merged by the server, which answers the whole configuration. */
export async function setConfig(core: Core, config: Json, o: CallOptions = {}): Promise<Json> {
  return await core.json<Json>({ method: "POST", path: "/appmesh/config", json: config, call: o });
}

/** `setLogLevel`: the level the server now has. */
export async function setLogLevel(core: Core, level: string, o: CallOptions = {}): Promise<string> {
  const config = await setConfig(core, { BaseConfig: { LogLevel: level } }, o);
  const now = (config.BaseConfig as Json | undefined)?.LogLevel;
  if (typeof now !== "string") {
    throw new AppMeshResponseError(
      `${core.client.baseUrl}/appmesh/config`,
      "BaseConfig.LogLevel",
      "got none",
    );
  }
  return now;
}

/** `getMetrics`: Prometheus text. */
export async function getMetrics(core: Core, o: CallOptions = {}): Promise<string> {
  return await core.text({ method: "GET", path: "/appmesh/metrics", call: o });
}

/** `addLabel`. */
export async function addLabel(
  core: Core,
  name: string,
  value: string,
  o: CallOptions = {},
): Promise<void> {
  await core.text({ method: "PUT", path: path`/appmesh/label/${name}`, query: { value }, call: o });
}

/** `deleteLabel`. */
export async function deleteLabel(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "DELETE", path: path`/appmesh/label/${name}`, call: o });
}

/** `listLabels`. */
export async function listLabels(core: Core, o: CallOptions = {}): Promise<Record<string, string>> {
  return await core.json<Record<string, string>>({
    method: "GET",
    path: "/appmesh/labels",
    call: o,
  });
}
