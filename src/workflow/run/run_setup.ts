/**
 * What a run works out before its first request: the connection settings, the
 * secrets view, the coerced inputs and the run's id. Errors here are usage errors
 * ({@linkcode WorkflowError}): nothing has been sent yet.
 *
 * @module
 */

import { errorText, WorkflowError, type WorkflowIssue } from "../load/errors.ts";
import {
  collectReferences,
  conditionSource,
  type ExprContext,
  parse,
  resolveTemplates,
  splitTemplate,
} from "../expr/mod.ts";
import type { Masker } from "./secrets.ts";
import { envVars } from "../../runtime/env.ts";
import type { Workflow } from "../language/spec.ts";
import type { RunOptions } from "./options.ts";
import {
  type Connection,
  ConnectionSettingError,
  envSource,
  namedSource,
  resolveConnection,
} from "../../runtime/connection.ts";

/**
 * The run's connection: `runWorkflow`'s `connection` option, then the workflow's
 * `connection:`, then the `APPMESH_*` environment, then the defaults (the runtime's one
 * resolution, shared with every command of the CLI). A setting that cannot be used is a usage
 * error naming where it came from.
 */
export async function connectionSettings(
  wf: Workflow,
  options: RunOptions,
  top: ExprContext,
  env: Record<string, string>,
): Promise<Connection> {
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
  const fromWorkflow = {
    url: str(pick("url")),
    ca: str(pick("ca")),
    cert: str(pick("cert")),
    key: str(pick("key")),
    cookieFile: str(pick("cookie_file")),
    verify: pick("verify") as boolean | string | undefined,
  };
  try {
    return await resolveConnection([
      namedSource("options.connection", o),
      namedSource("connection", fromWorkflow, true),
      envSource(env),
    ], { env });
  } catch (e) {
    if (e instanceof ConnectionSettingError) throw usage(e.message);
    throw e;
  }
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

function coerceInputs(
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

/**
 * Everything knowable before the first request, checked at once (`run` and `--dry-run`
 * alike): unknown inputs, inputs of the wrong type, required inputs without a value, and
 * every `secrets.NAME` or `env.NAME` that is not set. Throws one {@linkcode WorkflowError}
 * with one located issue each; resolves to the coerced inputs.
 *
 * @param source the workflow file's text, to point at the exact spot (else the step's line)
 */
export function preflight(
  wf: Workflow,
  options: Pick<RunOptions, "inputs" | "secrets">,
  env: Record<string, string>,
  source?: string,
): Record<string, unknown> {
  const issues: WorkflowIssue[] = [];
  let inputs: Record<string, unknown> = {};
  try {
    inputs = coerceInputs(wf, options.inputs ?? {});
  } catch (e) {
    if (!(e instanceof WorkflowError)) throw e;
    issues.push(...e.issues);
  }
  issues.push(...missingReferences(wf, env, options.secrets ?? {}, source));
  if (issues.length) throw new WorkflowError(issues);
  return inputs;
}

/** `secrets.NAME` and `env.NAME` references that nothing sets. */
function missingReferences(
  wf: Workflow,
  env: Record<string, string>,
  secrets: Record<string, string>,
  source?: string,
): WorkflowIssue[] {
  const declaredEnv = new Set(Object.keys(wf.env ?? {}));
  const isSet = (root: string, name: string) =>
    root === "secrets"
      ? Object.hasOwn(secrets, name) || Object.hasOwn(env, name)
      : Object.hasOwn(env, name) || declaredEnv.has(name);
  const lines = source?.split(/\r?\n/);
  const issues: WorkflowIssue[] = [];
  const seen = new Set<string>();
  const report = (root: string, name: string, place: string, fromLine: number) => {
    const key = `${root}.${name}@${place}`;
    if (seen.has(key)) return;
    seen.add(key);
    const issue: WorkflowIssue = {
      file: wf.file,
      line: fromLine,
      col: fromLine > 0 ? 1 : 0,
      message: root === "secrets"
        ? `${place}: secret "${name}" is not set`
        : `${place}: environment variable "${name}" is not set`,
      hint: root === "secrets"
        ? `set the environment variable ${name} or give it in --secrets-file`
        : `set ${name} in the environment or in the workflow's env:`,
    };
    if (lines) {
      const n = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const re = new RegExp(`\\b${root}\\s*(?:\\.\\s*${n}\\b|\\[\\s*'${n}'\\s*\\])`);
      for (let i = Math.max(0, fromLine - 1); i < lines.length; i++) {
        const m = re.exec(lines[i]);
        if (m) {
          issue.line = i + 1;
          issue.col = m.index + 1;
          issue.source = lines[i];
          issue.length = m[0].length;
          break;
        }
      }
    }
    issues.push(issue);
  };
  const scanExpr = (expr: string, place: string, line: number) => {
    let refs;
    try {
      refs = collectReferences(parse(expr));
    } catch {
      return; // syntax errors are the validator's
    }
    for (const r of refs) {
      const [root, name] = r.path;
      if ((root === "secrets" || root === "env") && name !== undefined && !isSet(root, name)) {
        report(root, name, place, line);
      }
    }
  };
  const scan = (v: unknown, place: string, line: number): void => {
    if (typeof v === "string") {
      if (!v.includes("${{")) return;
      let parts;
      try {
        parts = splitTemplate(v);
      } catch {
        return;
      }
      for (const p of parts) if (p.kind === "expr") scanExpr(p.source, place, line);
    } else if (Array.isArray(v)) v.forEach((x) => scan(x, place, line));
    else if (v !== null && typeof v === "object") {
      for (const x of Object.values(v)) scan(x, place, line);
    }
  };
  for (const [k, v] of Object.entries(wf.env ?? {})) scan(v, `env.${k}`, 0);
  scan(wf.connection ?? {}, "connection", 0);
  scan(wf.nodes, "nodes", 0);
  const steps = (list: typeof wf.steps, inFinally: boolean) => {
    for (const s of list ?? []) {
      const place = `step "${s.id ?? `${inFinally ? "finally#" : "#"}${s.index}`}"`;
      const line = s.pos?.line ?? 0;
      if (s.if !== undefined) scanExpr(conditionSource(s.if), place, line);
      scan(s.with, place, line);
    }
  };
  steps(wf.steps, false);
  steps(wf.finally, true);
  return issues;
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
  return envVars();
}

/**
 * The text of a workflow `env:` value once its expressions are resolved: a scalar becomes its
 * text, null the empty string (environment variables are strings, as in GitHub Actions); a
 * mapping or list is a usage error naming the variable, rather than `[object Object]` in the
 * process's environment.
 *
 * @example
 * ```ts
 * import { envText } from "./run_setup.ts";
 * envText(8080, "PORT"); // "8080"
 * ```
 */
export function envText(value: unknown, key: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  const kind = Array.isArray(value) ? "a list" : "a mapping";
  throw usage(`env.${key}: the expression gives ${kind}, not text; use toJSON(...) to pass it`);
}
