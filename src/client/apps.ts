/**
 * Applications: get, list, output, health, add, delete, enable, disable.
 *
 * @module
 */
import type { Core } from "./client.ts";
import { AppMeshResponseError } from "./errors.ts";
import { intHeader } from "./answers.ts";
import { path } from "./encode.ts";
import type { App, AppOutput, CallOptions, OutputOptions } from "./types.ts";

/** `getApp`. */
export async function getApp(core: Core, name: string, o: CallOptions = {}): Promise<App> {
  return await core.json<App>({ method: "GET", path: path`/appmesh/app/${name}`, call: o });
}

/** `listApps`. */
export async function listApps(core: Core, o: CallOptions = {}): Promise<App[]> {
  return await core.json<App[]>({
    method: "GET",
    path: "/appmesh/applications",
    shape: "object[]",
    call: o,
  });
}

/** `getAppOutput`: any error status raises (never an error page returned as output). */
export async function getAppOutput(
  core: Core,
  name: string,
  o: OutputOptions = {},
): Promise<AppOutput> {
  const nonZero = (v: number | undefined) => (v ? v : undefined);
  const res = await core.request({
    method: "GET",
    path: path`/appmesh/app/${name}/output`,
    query: {
      stdout_position: nonZero(o.stdoutPosition),
      stdout_index: nonZero(o.stdoutIndex),
      stdout_maxsize: nonZero(o.stdoutMaxsize),
      process_uuid: o.processUuid || undefined,
      timeout: nonZero(o.timeout),
    },
    wait: (o.timeout ?? 0) * 1000,
    call: o,
  });
  if (core.browser === "cross-origin") {
    // The daemon exposes no header, so X-Output-Position is unreadable: the next position is
    // the one asked for plus the bytes read (positions are byte offsets).
    const bytes = new Uint8Array(await res.arrayBuffer());
    return {
      status: res.status,
      output: new TextDecoder().decode(bytes),
      outPosition: intHeader(res, "X-Output-Position", res.url) ??
        (o.stdoutPosition ?? 0) + bytes.byteLength,
      exitCode: intHeader(res, "X-Exit-Code", res.url),
    };
  }
  const output = await res.text();
  return {
    status: res.status,
    output,
    outPosition: intHeader(res, "X-Output-Position", res.url),
    exitCode: intHeader(res, "X-Exit-Code", res.url),
  };
}

/** `checkAppHealth`: the body is `0` (healthy) or `1`. */
export async function checkAppHealth(
  core: Core,
  name: string,
  o: CallOptions = {},
): Promise<boolean> {
  const res = await core.request({
    method: "GET",
    path: path`/appmesh/app/${name}/health`,
    call: o,
  });
  const text = (await res.text()).trim();
  if (!/^-?\d+$/.test(text)) {
    throw new AppMeshResponseError(res.url, "0 or 1", `got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number(text) === 0;
}

/** `addApp`: the server registers the app named in the body. */
export async function addApp(core: Core, app: App, o: CallOptions = {}): Promise<App> {
  if (typeof app?.name !== "string" || !app.name) {
    throw new TypeError("addApp: the app needs a name");
  }
  return await core.json<App>({
    method: "PUT",
    path: path`/appmesh/app/${app.name}`,
    json: app,
    call: o,
  });
}

/** `deleteApp`: false on 404. */
export async function deleteApp(core: Core, name: string, o: CallOptions = {}): Promise<boolean> {
  const res = await core.request({
    method: "DELETE",
    path: path`/appmesh/app/${name}`,
    expect: [404],
    call: o,
  });
  await res.body?.cancel();
  return res.status !== 404;
}

/** `enableApp`. */
export async function enableApp(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "POST", path: path`/appmesh/app/${name}/enable`, call: o });
}

/** `disableApp`. */
export async function disableApp(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "POST", path: path`/appmesh/app/${name}/disable`, call: o });
}
