/**
 * The one table of the App Mesh REST API endpoints the client calls: name → method, path
 * pattern and query parameters. The request path fills a pattern from it (nobody else types a
 * path), the one-call client methods read what their answer is from it, the workflow's dry-run
 * plan derives its request lines from it, and a test checks every row against the local
 * server's router. Adding an endpoint is one row here.
 *
 * Rows are named after the client method that sends the request (`download`/`upload` for the
 * two file endpoints, which the stream and the local-file forms share).
 *
 * @example
 * ```ts
 * import { ENDPOINTS, endpointPath } from "./endpoints.ts";
 *
 * console.log(ENDPOINTS.getAppOutput.method); // "GET"
 * console.log(endpointPath("getAppOutput", { name: "my app" })); // "/appmesh/app/my%20app/output"
 * ```
 *
 * @module
 */
import { segment } from "./encode.ts";
import type { Shape } from "./answers.ts";

/** An HTTP method of the API. */
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/**
 * What a one-call method makes of a 2xx answer: a JSON value of a {@linkcode Shape}, the body as
 * text, or nothing (the body is read and dropped).
 */
export type Answer = Shape | "text" | "none";

/** One endpoint of the API. */
export interface Endpoint {
  /** HTTP method. */
  readonly method: Method;
  /** Path pattern; `:param` is one URL-encoded segment, as in the daemon's routes. */
  readonly path: string;
  /** Names of the query parameters the client may send. */
  readonly query?: readonly string[];
  /** What the answer is, for the methods that are one request ({@linkcode Answer}). */
  readonly answer?: Answer;
}

/**
 * Every endpoint the client calls.
 *
 * @example
 * ```ts
 * import { ENDPOINTS } from "./endpoints.ts";
 * console.log(ENDPOINTS.runAppSync.query); // ["timeout", "lifecycle"]
 * ```
 */
export const ENDPOINTS = {
  // Authentication (auth.ts): token answers are read by the area, not by the table.
  login: { method: "POST", path: "/appmesh/login" },
  validateTotp: { method: "POST", path: "/appmesh/totp/validate" },
  getTotpSecret: { method: "POST", path: "/appmesh/totp/secret" },
  enableTotp: { method: "POST", path: "/appmesh/totp/setup" },
  disableTotp: { method: "POST", path: "/appmesh/totp/:user/disable", answer: "none" },
  logout: { method: "POST", path: "/appmesh/self/logoff" },
  authenticate: { method: "POST", path: "/appmesh/auth" },
  renewToken: { method: "POST", path: "/appmesh/token/renew" },

  // Applications (apps.ts).
  getApp: { method: "GET", path: "/appmesh/app/:name", answer: "object" },
  listApps: { method: "GET", path: "/appmesh/applications", answer: "object[]" },
  getAppOutput: {
    method: "GET",
    path: "/appmesh/app/:name/output",
    query: ["stdout_position", "stdout_index", "stdout_maxsize", "process_uuid", "timeout"],
  },
  checkAppHealth: { method: "GET", path: "/appmesh/app/:name/health" },
  addApp: { method: "PUT", path: "/appmesh/app/:name", answer: "object" },
  deleteApp: { method: "DELETE", path: "/appmesh/app/:name" },
  enableApp: { method: "POST", path: "/appmesh/app/:name/enable", answer: "none" },
  disableApp: { method: "POST", path: "/appmesh/app/:name/disable", answer: "none" },

  // Runs and tasks (run.ts).
  runAppAsync: { method: "POST", path: "/appmesh/app/run", query: ["timeout", "lifecycle"] },
  runAppSync: { method: "POST", path: "/appmesh/app/syncrun", query: ["timeout", "lifecycle"] },
  runTask: { method: "POST", path: "/appmesh/app/:name/task", query: ["timeout"] },
  cancelTask: { method: "DELETE", path: "/appmesh/app/:name/task" },

  // Files (files.ts): the file's path travels in `X-File-Path`.
  download: { method: "GET", path: "/appmesh/file/download" },
  upload: { method: "POST", path: "/appmesh/file/upload" },

  // System, configuration, metrics, labels.
  getHostResources: { method: "GET", path: "/appmesh/resources", answer: "object" },
  getConfig: { method: "GET", path: "/appmesh/config", answer: "object" },
  setConfig: { method: "POST", path: "/appmesh/config", answer: "object" },
  getMetrics: { method: "GET", path: "/appmesh/metrics", answer: "text" },
  addLabel: { method: "PUT", path: "/appmesh/label/:name", query: ["value"], answer: "none" },
  deleteLabel: { method: "DELETE", path: "/appmesh/label/:name", answer: "none" },
  listLabels: { method: "GET", path: "/appmesh/labels", answer: "object" },

  // Users, groups, permissions, roles.
  addUser: { method: "PUT", path: "/appmesh/user/:name", answer: "none" },
  deleteUser: { method: "DELETE", path: "/appmesh/user/:name", answer: "none" },
  lockUser: { method: "POST", path: "/appmesh/user/:name/lock", answer: "none" },
  unlockUser: { method: "POST", path: "/appmesh/user/:name/unlock", answer: "none" },
  updatePassword: { method: "POST", path: "/appmesh/user/:name/passwd", answer: "none" },
  listUsers: { method: "GET", path: "/appmesh/users", answer: "object" },
  getCurrentUser: { method: "GET", path: "/appmesh/user/self", answer: "object" },
  listGroups: { method: "GET", path: "/appmesh/user/groups", answer: "string[]" },
  listPermissions: { method: "GET", path: "/appmesh/permissions", answer: "string[]" },
  getUserPermissions: { method: "GET", path: "/appmesh/user/permissions", answer: "string[]" },
  listRoles: { method: "GET", path: "/appmesh/roles", answer: "object" },
  updateRole: { method: "POST", path: "/appmesh/role/:name", answer: "none" },
  deleteRole: { method: "DELETE", path: "/appmesh/role/:name", answer: "none" },
} as const satisfies Record<string, Endpoint>;

/** The name of an endpoint (a row of {@linkcode ENDPOINTS}). */
export type EndpointName = keyof typeof ENDPOINTS;

/** Values of the `:param`s of a pattern, by name; each is encoded as one segment. */
export type PathParams = Readonly<Record<string, string>>;

/**
 * The path of an endpoint with its parameters filled in, each encoded as one segment (see
 * `segment` in encode.ts: `.`, `..`, empty and over-long names are refused). A parameter the
 * pattern names but `params` lacks is a `TypeError` (a bug of the caller, not of the server).
 *
 * @example
 * ```ts
 * import { endpointPath } from "./endpoints.ts";
 * console.log(endpointPath("disableTotp", { user: "self" })); // "/appmesh/totp/self/disable"
 * console.log(endpointPath("listApps")); // "/appmesh/applications"
 * ```
 */
export function endpointPath(name: EndpointName, params: PathParams = {}): string {
  const parts = PATTERNS[name] ??= ENDPOINTS[name].path.split(/:([A-Za-z_]\w*)/);
  // Text and parameter names alternate: even entries are text, odd ones name a parameter.
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const value = params[parts[i]];
    if (value === undefined) throw new TypeError(`${name}: no value for :${parts[i]}`);
    out += segment(value) + parts[i + 1];
  }
  return out;
}

/** Each pattern split once (every request fills one in: a regex replace per call cost more). */
const PATTERNS: Partial<Record<EndpointName, string[]>> = {};
