/**
 * What a run works out before its first request: the nodes, the connection settings, the
 * secrets view, the coerced inputs and the run's id. Errors here are usage errors
 * ({@linkcode WorkflowError}): nothing has been sent yet.
 *
 * @module
 */

import { errorText, WorkflowError, type WorkflowIssue } from "./errors.ts";
import { type ExprContext, resolveTemplates } from "./expr/mod.ts";
import type { Masker } from "./secrets.ts";
import type { NodeInfo, Workflow } from "./spec.ts";
import type { RunOptions } from "./engine.ts";

/** A node plus whether to address it through `forNode` (the workflow named it). */
export type RunNodeInfo = NodeInfo & { view: boolean };

export function resolveNodes(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  baseUrl: string,
): RunNodeInfo[] {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw usage(`connection.url: not a URL: ${baseUrl}`);
  }
  const defaultPort = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  let names: unknown = options.nodes && options.nodes.length ? options.nodes : wf.nodes;
  if (typeof names === "string") {
    try {
      names = resolveTemplates(names, top);
    } catch (e) {
      throw usage(`nodes: ${errorText(e)}`);
    }
    if (typeof names === "string") names = names.split(/[\s,]+/).filter(Boolean);
  }
  if (names === undefined || names === null) {
    return [{
      name: `${url.hostname}:${defaultPort}`,
      host: url.hostname,
      port: defaultPort,
      view: false,
    }];
  }
  if (
    !Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string" || !n)
  ) {
    throw usage("nodes: expected a non-empty list of host or host:port names");
  }
  const seen = new Set<string>();
  const out: RunNodeInfo[] = [];
  for (const raw of names as string[]) {
    const name = raw.trim();
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ ...parseNode(name, defaultPort), view: true });
  }
  return out;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → name, host, port. */
export function parseNode(name: string, defaultPort: number): NodeInfo {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (v6) return { name, host: v6[1], port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(name);
  if (m) return { name, host: m[1], port: Number(m[2]) };
  return { name, host: name, port: defaultPort };
}

export function connectionSettings(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  env: Record<string, string>,
) {
  const c = (wf.connection ?? {}) as Record<string, unknown>;
  const pick = (key: string): unknown => {
    if (c[key] === undefined) return undefined;
    try {
      return resolveTemplates(c[key], top);
    } catch (e) {
      throw usage(`connection.${key}: ${errorText(e)}`);
    }
  };
  const o = options.connection ?? {};
  const str = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : String(v));
  const verify: unknown = o.verify ?? pick("verify");
  return {
    url: str(o.url) ?? str(pick("url")) ?? env.APPMESH_URL ?? "https://127.0.0.1:6060",
    ca: str(o.ca) ?? str(pick("ca")) ?? env.APPMESH_CA,
    cert: str(o.cert) ?? str(pick("cert")),
    key: str(o.key) ?? str(pick("key")),
    verify: verify === undefined ? undefined : verify !== false && verify !== "false",
    cookieFile: expandHome(
      str(o.cookieFile) ?? str(pick("cookie_file")) ?? env.APPMESH_COOKIE_FILE,
      env,
    ),
  };
}

function expandHome(path: string | undefined, env: Record<string, string>): string | undefined {
  if (!path || !(path === "~" || path.startsWith("~/"))) return path;
  const home = env.HOME ?? env.USERPROFILE;
  return home ? home + path.slice(1) : path;
}

/**
 * `secrets.NAME`: the given secrets, else the environment variable NAME. Looked up lazily, so
 * only the secrets a workflow reads are masked (not every environment value).
 */
export function secretsView(
  env: Record<string, string>,
  given: Record<string, string>,
  masker: Masker,
): Record<string, string> {
  const lookup = (k: string | symbol): string | undefined => {
    if (typeof k !== "string") return undefined;
    const v = Object.hasOwn(given, k) ? given[k] : Object.hasOwn(env, k) ? env[k] : undefined;
    if (v !== undefined) masker.add(v);
    return v;
  };
  return new Proxy({} as Record<string, string>, {
    get: (_t, k) => lookup(k),
    has: (_t, k) => lookup(k) !== undefined,
    getOwnPropertyDescriptor: (_t, k) => {
      const value = lookup(k);
      return value === undefined
        ? undefined
        : { value, writable: false, enumerable: true, configurable: true };
    },
    // Only the given secrets are listed (for did-you-mean hints), never the environment.
    ownKeys: () => Object.keys(given),
  });
}

export function coerceInputs(
  wf: Workflow,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const issues: WorkflowIssue[] = [];
  const out: Record<string, unknown> = {};
  const declared = wf.inputs ?? {};
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(declared, k)) {
      const known = Object.keys(declared);
      issues.push({
        file: wf.file,
        line: 0,
        col: 0,
        message: `unknown input "${k}"`,
        hint: known.length
          ? `declared inputs: ${known.join(", ")}`
          : "the workflow declares no inputs",
      });
    }
  }
  for (const [k, spec] of Object.entries(declared)) {
    let v = given[k] ?? spec.default;
    if (v === undefined) {
      if (spec.required) {
        issues.push({ file: wf.file, line: 0, col: 0, message: `input "${k}" is required` });
      }
      continue;
    }
    if (spec.type === "number" && typeof v === "string") {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        issues.push({ file: wf.file, line: 0, col: 0, message: `input "${k}" must be a number` });
        continue;
      }
      v = n;
    } else if (spec.type === "boolean" && typeof v === "string") {
      if (!/^(true|false|yes|no|1|0)$/i.test(v)) {
        issues.push({
          file: wf.file,
          line: 0,
          col: 0,
          message: `input "${k}" must be true or false`,
        });
        continue;
      }
      v = /^(true|yes|1)$/i.test(v);
    } else if (spec.type === "string" && typeof v !== "string") {
      v = String(v);
    }
    out[k] = v;
  }
  if (issues.length) throw new WorkflowError(issues);
  return out;
}

export function usage(message: string): WorkflowError {
  return new WorkflowError([{ line: 0, col: 0, message }]);
}

/** `run.id` (usable in app names), `run.date`, `run.started`. */
export function runInfo(d: Date): { id: string; date: string; started: string } {
  const iso = d.toISOString();
  const stamp = iso.slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  const rand = Array.from(crypto.getRandomValues(new Uint8Array(3)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return { id: `${stamp}-${rand}`, date: iso.slice(0, 10), started: iso };
}

export function folderOf(file: string | undefined): string {
  if (!file) return ".";
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  return cut < 0 ? "." : cut === 0 ? "/" : file.slice(0, cut);
}

/** The process environment (empty when it cannot be read). */
export function processEnv(): Record<string, string> {
  const g = globalThis as {
    Deno?: { env: { toObject(): Record<string, string> } };
    process?: { env: Record<string, string | undefined> };
  };
  try {
    if (g.Deno) return g.Deno.env.toObject();
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(g.process?.env ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
