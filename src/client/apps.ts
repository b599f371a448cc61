/**
 * Applications: the methods that are more than one request of the endpoint table (output,
 * health, add, delete); the others (`getApp`, `listApps`, `enableApp`, `disableApp`) are
 * `call`s of the client class.
 *
 * @module
 */
import type { Core } from "./core.ts";
import { call } from "./core.ts";
import { AppMeshResponseError } from "./errors.ts";
import { intHeader } from "./answers.ts";
import type { App, AppOutput, CallOptions, OutputOptions } from "./types.ts";

/**
 * `getAppOutput`: any error status raises (never an error page returned as output).
 *
 * @example
 * ```ts
 * import { getAppOutput } from "./apps.ts";
 * console.log(typeof getAppOutput); // "function" (the client's getAppOutput runs it)
 * ```
 */
export async function getAppOutput(
  core: Core,
  name: string,
  o: OutputOptions = {},
): Promise<AppOutput> {
  const nonZero = (v: number | undefined) => (v ? v : undefined);
  const res = await core.request({
    endpoint: "getAppOutput",
    params: { name },
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

/**
 * `checkAppHealth`: the body is `0` (healthy) or `1`.
 *
 * @example
 * ```ts
 * import { checkAppHealth } from "./apps.ts";
 * console.log(typeof checkAppHealth); // "function" (the client's checkAppHealth runs it)
 * ```
 */
export async function checkAppHealth(
  core: Core,
  name: string,
  o: CallOptions = {},
): Promise<boolean> {
  const res = await core.request({ endpoint: "checkAppHealth", params: { name }, call: o });
  const text = (await res.text()).trim();
  if (!/^-?\d+$/.test(text)) {
    throw new AppMeshResponseError(res.url, "0 or 1", `got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number(text) === 0;
}

/**
 * `addApp`: the server registers the app named in the body.
 *
 * @example
 * ```ts
 * import { addApp } from "./apps.ts";
 * console.log(typeof addApp); // "function" (the client's addApp runs it)
 * ```
 */
export async function addApp(core: Core, app: App, o: CallOptions = {}): Promise<App> {
  if (typeof app?.name !== "string" || !app.name) {
    throw new TypeError("addApp: the app needs a name");
  }
  return await call(core, "addApp", { params: { name: app.name }, json: app, call: o }) as App;
}

/**
 * `deleteApp`: false on 404.
 *
 * @example
 * ```ts
 * import { deleteApp } from "./apps.ts";
 * console.log(typeof deleteApp); // "function" (the client's deleteApp runs it)
 * ```
 */
export async function deleteApp(core: Core, name: string, o: CallOptions = {}): Promise<boolean> {
  const res = await core.request({
    endpoint: "deleteApp",
    params: { name },
    expect: [404],
    call: o,
  });
  await res.body?.cancel();
  return res.status !== 404;
}
