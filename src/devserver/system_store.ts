/**
 * The per-node system state of the local server: labels and the configuration document (as the
 * daemon answers `GET /appmesh/config`), plus the node's request metrics.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import * as os from "node:os";
import { Metrics } from "./metrics.ts";
import { type NodeInfo, VERSION } from "./node_info.ts";

function osVersion(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m) return m[1];
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

function archName(): string {
  const a = os.arch();
  return a === "x64" ? "x86_64" : a === "arm64" ? "aarch64" : a;
}

/**
 * Per-node system state: labels and configuration (kept at `node.system`).
 *
 * @example
 * ```ts
 * import { SystemStore } from "./system_store.ts";
 * const system = new SystemStore(
 *   { name: "127.0.0.1:6060", port: 6060, stateDir: "/tmp/appmesh" },
 *   { host: "127.0.0.1", issuer: "appmesh", verifyClient: false },
 * );
 * console.log(system.labels.get("arch"), system.corsDisabled()); // e.g. x86_64 false
 * ```
 */
export class SystemStore {
  /** Labels of this node (HOST_NAME, arch, os_version preset, as the daemon). */
  readonly labels: Map<string, string> = new Map();
  /** The configuration document without `Labels` (those live in `labels`). */
  config: Record<string, unknown>;
  /** Request metrics of this node. */
  readonly metrics: Metrics = new Metrics();

  /** @param node the node; its port and base directory go into the configuration */
  constructor(node: NodeInfo, extra: { host: string; issuer: string; verifyClient: boolean }) {
    this.labels.set("HOST_NAME", os.hostname());
    this.labels.set("arch", archName());
    this.labels.set("os_version", osVersion());
    const ssl = (f: string) => `${node.stateDir}/${f}`;
    this.config = {
      BaseConfig: {
        DefaultExecUser: "",
        Description: os.hostname(),
        DisableExecUser: false,
        LogLevel: "DEBUG",
        PosixTimezone: "",
        ScheduleIntervalSeconds: 1,
        WorkingDirectory: "",
      },
      REST: {
        CorsDisabled: false,
        CsrfAllowedOrigins: [],
        FileAllowedBaseDir: node.fileBaseDir ?? "",
        IOThreadPoolSize: 2,
        JWT: {
          Algorithm: "HS256",
          Audience: ["appmesh-file-service", "appmesh-service", "your-service-api"],
          Issuer: extra.issuer,
          // The daemon answers its signing secret here; the local server answers the field
          // with a random value that signs nothing.
          JWTSalt: Array.from(
            crypto.getRandomValues(new Uint8Array(16)),
            (b) => b.toString(16).padStart(2, "0"),
          ).join(""),
          SecurityInterface: "local",
        },
        PasswordComplexityEnabled: false,
        PrometheusExporterListenPort: 0,
        RestEnabled: true,
        RestListenAddress: extra.host,
        RestListenPort: node.port,
        RestTcpPort: 0,
        SSL: {
          SSLCaPath: ssl("ca.pem"),
          SSLCertificateFile: ssl("server.pem"),
          SSLCertificateKeyFile: ssl("server-key.pem"),
          SSLClientCertificateFile: ssl("client.pem"),
          SSLClientCertificateKeyFile: ssl("client-key.pem"),
          VerifyClient: extra.verifyClient,
          VerifyServer: false,
          VerifyServerDelegate: false,
        },
        WebSocketPort: node.port,
        WorkerThreadPoolSize: 2,
      },
    };
  }

  /** The whole configuration as the daemon answers it (keys sorted, labels included). */
  view(): Record<string, unknown> {
    return sortKeys({ ...this.config, Labels: Object.fromEntries(this.labels), Version: VERSION });
  }

  /** `REST.CsrfAllowedOrigins`. */
  csrfAllowedOrigins(): string[] {
    const v = (this.config.REST as Record<string, unknown>).CsrfAllowedOrigins;
    return Array.isArray(v) ? v.map(String) : [];
  }

  /** `REST.CorsDisabled`. */
  corsDisabled(): boolean {
    return (this.config.REST as Record<string, unknown>).CorsDisabled === true;
  }
}

function sortKeys(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) return v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    out[k] = x && typeof x === "object" && !Array.isArray(x) ? sortKeys(x) : x;
  }
  return out;
}

/**
 * Whether `v` is a plain JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import { isObject } from "./system_store.ts";
 * console.log(isObject({}), isObject([])); // true false
 * ```
 */
export function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/**
 * Deep merge: objects merge key by key, anything else replaces.
 *
 * @example
 * ```ts
 * import { deepMerge } from "./system_store.ts";
 * const config = { REST: { CorsDisabled: false, RestEnabled: true } };
 * deepMerge(config, { REST: { CorsDisabled: true } });
 * console.log(config.REST); // { CorsDisabled: true, RestEnabled: true }
 * ```
 */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
    if (isObject(v) && isObject(target[k])) deepMerge(target[k] as Record<string, unknown>, v);
    else target[k] = structuredClone(v);
  }
}
