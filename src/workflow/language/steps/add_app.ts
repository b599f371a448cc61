/**
 * `add_app`: register an app. Idempotent: an identical app already registered is left alone.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { APP_FIELDS, str } from "../step_util.ts";

const addApp: StepSpec = {
  type: "add_app",
  description: "Register an app (the fields are an App definition, as in the App Mesh docs; " +
    "any App field is accepted). When an app of that name with the same definition is " +
    "already registered, nothing is sent (so re-running a workflow is safe); a different " +
    "definition replaces it.",
  method: "addApp",
  idempotent: true,
  openFields: true,
  openOutputs: true,
  fields: { ...APP_FIELDS, name: { ...APP_FIELDS.name, required: true } },
  outputs: {
    name: "Name of the registered app.",
    command: "Its command.",
    owner: "Its owner.",
    status: "1 enabled, 0 disabled.",
    changed: "false when an identical app was already registered.",
  },
  requests: (a) => [
    { endpoint: "getApp", params: { name: a.name }, note: "compare with the registered app" },
    { endpoint: "addApp", params: { name: a.name }, note: "only when it differs" },
  ],
  async run(ctx, args) {
    const name = str(args, "name");
    const app: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (v !== undefined) app[k] = v;
    let current: Record<string, unknown> | undefined;
    try {
      current = await ctx.client.getApp(name, { signal: ctx.signal });
    } catch (e) {
      if ((e as { status?: number } | null)?.status !== 404) throw e;
    }
    if (current && sameDefinition(app, current)) return { ...current, changed: false };
    const registered = await ctx.client.addApp(app, { signal: ctx.signal });
    return { ...registered, changed: true };
  },
};

/** Every field asked for has the same value in the registered app (the server adds defaults). */
export function sameDefinition(
  wanted: Record<string, unknown>,
  current: Record<string, unknown>,
): boolean {
  for (const [k, v] of Object.entries(wanted)) {
    // The server never returns sec_env in clear: such an app cannot be compared, re-register.
    if (k === "sec_env") return false;
    if (!deepEqual(v, current[k])) {
      // `shell: false` and an absent `shell` mean the same.
      if ((v === false || v === 0 || v === "") && current[k] === undefined) continue;
      return false;
    }
  }
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "string") return String(a) === b;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  if (Array.isArray(a) && ka.length !== Object.keys(b as object).length) return false;
  return ka.every((k) => deepEqual(ra[k], rb[k]));
}

export default addApp;
