/**
 * A local App Mesh–compatible server: real HTTPS on real ports, real processes, real files and
 * real JWTs, answering as the App Mesh daemon does. For demos, end-to-end tests and trying a
 * workflow before pointing it at a cluster.
 *
 * @example Start two nodes, log in, run a command on the second one
 * ```ts
 * import { startDevServer } from "@appmesh/sdk/devserver";
 *
 * await using server = await startDevServer({ nodes: 2 });
 * const client = Deno.createHttpClient({ caCerts: [server.caPem!] });
 * const login = await fetch(`${server.urls[0]}/appmesh/login`, {
 *   method: "POST",
 *   headers: { Authorization: `Basic ${btoa("admin:admin123")}` },
 *   client,
 * });
 * const { access_token } = await login.json();
 * const run = await fetch(`${server.urls[0]}/appmesh/app/syncrun`, {
 *   method: "POST",
 *   headers: {
 *     Authorization: `Bearer ${access_token}`,
 *     "X-Target-Host": server.nodes[1].name,
 *   },
 *   body: JSON.stringify({ command: "echo hi", shell: true }),
 *   client,
 * });
 * console.log(await run.text(), run.headers.get("X-Exit-Code"));
 * client.close();
 * ```
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerShared } from "./context.ts";
import { type Faults, FaultState } from "./faults.ts";
import { json } from "./http.ts";
import { Identity, type SecurityConfig } from "./identity.ts";
import { addForwardedNodes } from "./forwarded.ts";
import { createNodeState } from "./node_state.ts";
import { type Mesh, type ServedNode, serveNode } from "./pipeline.ts";
import { allRoutes, Router } from "./routes.ts";
import { type ListenContext, type Listener, listenNode } from "./server.ts";
import { ensureCerts } from "./tls.ts";

/** Fault options (re-exported). */
export type { Faults } from "./faults.ts";
/** The `security.yaml` shapes (re-exported). */
export type { SecurityConfig, UserConfig } from "./identity.ts";

/** Options of `startDevServer`. */
export interface DevServerOptions {
  /** First node's port; 0 (default) picks free ports. Node k listens on port+k-1. */
  port?: number;
  /** Number of nodes (default 1); they share the JWT key and the users, and forward to each other. */
  nodes?: number;
  /**
   * Nodes reached only through forwarding (default 0): served in the same process behind the
   * listening nodes, each with its own apps, processes and files and no socket of its own, named
   * `127.0.0.1:PORT` with ports from 61000 up. Reach one through any listening node with
   * `X-Target-Host` (a workflow's `nodes`), as a fleet behind one entry daemon; up to 4,000.
   */
  forwardedNodes?: number;
  /** Bind address, default "127.0.0.1". */
  host?: string;
  /** HTTPS (default true) with a generated CA (`stateDir/ca.pem`). */
  tls?: boolean;
  /** State directory (certificates, JWT key); default a new temp dir, removed on close. */
  stateDir?: string;
  /** A `security.yaml`-shaped file path, or the object; default: the daemon's users. */
  security?: string | SecurityConfig;
  /** mTLS: require a client certificate signed by the CA (`client.pem`/`client-key.pem`). */
  verifyClient?: boolean;
  /** `FileAllowedBaseDir`: transfers outside it get 403 "Invalid file path"; default none. */
  fileBaseDir?: string;
  /**
   * Exit codes of processes that die of a signal, POSIX style: `-9`, `-15` (and `-9` for the
   * server's own kills). Default false: as the daemon, which reports 9 for its own kills
   * (timeout, `max_time`, disable) and 0 for any other signal death.
   */
  posixExitCodes?: boolean;
  /** Faults to inject from the start (change later with `setFaults`). */
  faults?: Faults;
  /**
   * Emulate older daemons' CSRF scheme: login with `X-Set-Cookie` also sets an
   * `appmesh_csrf_token` cookie, and cookie-authenticated writes must echo it in `X-CSRF-Token`.
   */
  legacyCsrf?: boolean;
  /** Request log, one line per request; default silent. */
  logger?: (line: string) => void;
}

/** One node of a running server. */
export interface DevServerNode {
  /** `127.0.0.1:PORT`: what `X-Target-Host` names. */
  name: string;
  /** Base URL. */
  url: string;
  /** Port. */
  port: number;
}

/** A running local server. */
export interface DevServer {
  /** Base URL per node. */
  urls: string[];
  /** The nodes. */
  nodes: DevServerNode[];
  /** The nodes reached only through forwarding (`url` is the first node's, which forwards). */
  forwardedNodes: DevServerNode[];
  /** CA certificate file (undefined with `tls: false`). */
  caFile?: string;
  /** CA certificate PEM (undefined with `tls: false`). */
  caPem?: string;
  /** Generated client certificate file, for mTLS. */
  clientCertFile?: string;
  /** Generated client key file, for mTLS. */
  clientKeyFile?: string;
  /** The state directory. */
  stateDir: string;
  /** Changes the injected faults (all nodes); undefined clears them. */
  setFaults(faults: Faults | undefined): void;
  /** Stops every process, listener and connection; removes a temp state dir it created. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

async function jwtKey(stateDir: string): Promise<Uint8Array> {
  const file = join(stateDir, "jwt.key");
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8").trim();
    if (/^[0-9a-f]{64,}$/i.test(text)) {
      return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
    }
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  await writeFile(file, Array.from(key, (b) => b.toString(16).padStart(2, "0")).join("") + "\n", {
    mode: 0o600,
  });
  return key;
}

/**
 * Starts a local App Mesh–compatible server with `nodes` nodes.
 *
 * @example
 * ```ts
 * import { startDevServer } from "@appmesh/sdk/devserver";
 * await using server = await startDevServer({ port: 0 });
 * console.log(server.urls[0], server.caFile);
 * ```
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const count = options.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new RangeError("nodes must be an integer >= 1");
  const basePort = options.port ?? 0;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + count - 1 > 65535) {
    throw new RangeError("port out of range");
  }
  const host = options.host ?? "127.0.0.1";
  const tls = options.tls ?? true;
  const createdDir = !options.stateDir;
  const stateDir = options.stateDir ?? await mkdtemp(join(tmpdir(), "appmesh-devserver-"));
  const listeners: Listener[] = [];
  const served: ServedNode[] = [];
  const faults = new FaultState(options.faults);
  const closeAll = async () => {
    faults.cancelAll();
    await Promise.allSettled(served.map((n) => n.state.apps.close()));
    await Promise.allSettled(listeners.map((l) => l.close()));
    if (createdDir) await rm(stateDir, { recursive: true, force: true }).catch(() => {});
  };
  try {
    await mkdir(stateDir, { recursive: true });
    const certs = tls ? await ensureCerts(stateDir) : undefined;
    const identity = await Identity.create({
      security: options.security,
      jwtKey: await jwtKey(stateDir),
      lifetimeCap: () => faults.tokenCap(),
    });
    const shared: ServerShared = { identity, tls, legacyCsrf: options.legacyCsrf ?? false };
    const mesh: Mesh = {
      router: new Router(allRoutes()),
      faults,
      nodes: served,
      bindHost: host,
      logger: options.logger,
    };
    const lc: ListenContext = {
      faults,
      bindHost: host,
      tls: certs && {
        key: certs.keyPem,
        cert: certs.certPem,
        ca: certs.caPem,
        verifyClient: options.verifyClient ?? false,
      },
      logger: options.logger,
    };
    for (let k = 0; k < count; k++) {
      // The listener binds first (port 0 picks one); the node's state is made with its port.
      const slot: { node?: ServedNode } = {};
      const listener = await listenNode(lc, {
        fetch: (req) =>
          slot.node ? slot.node.fetch(req) : Promise.resolve(json(503, { message: "Starting" })),
        cors: () => !slot.node?.state.system.corsDisabled(),
      }, basePort ? basePort + k : 0);
      listeners.push(listener);
      const node = slot.node = serveNode(
        mesh,
        createNodeState(
          {
            name: listener.name,
            port: listener.port,
            stateDir,
            fileBaseDir: options.fileBaseDir,
            posixExitCodes: options.posixExitCodes ?? false,
          },
          shared,
          {
            host,
            issuer: identity.tokens.issuer,
            verifyClient: options.verifyClient ?? false,
          },
        ),
      );
      served.push(node);
    }
    const nodeConfig = {
      host,
      issuer: identity.tokens.issuer,
      verifyClient: options.verifyClient ?? false,
    };
    const forwarded = await addForwardedNodes(mesh, options.forwardedNodes ?? 0, {
      stateDir,
      host,
      shared,
      config: nodeConfig,
      fileBaseDir: options.fileBaseDir,
      posixExitCodes: options.posixExitCodes ?? false,
    });
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= closeAll());
    return {
      urls: listeners.map((l) => l.url),
      nodes: listeners.map((l) => ({ name: l.name, url: l.url, port: l.port })),
      forwardedNodes: forwarded.map((n) => ({
        name: n.state.name,
        url: listeners[0].url,
        port: n.port,
      })),
      caFile: certs?.caFile,
      caPem: certs?.caPem,
      clientCertFile: certs?.clientCertFile,
      clientKeyFile: certs?.clientKeyFile,
      stateDir,
      setFaults: (f) => faults.set(f),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * What `appmesh devserver` prints: each node's URL, the CA path, the logins and a curl line.
 *
 * @example
 * ```ts
 * import { describeDevServer, startDevServer } from "@appmesh/sdk/devserver";
 * await using server = await startDevServer();
 * console.log(describeDevServer(server));
 * ```
 */
export function describeDevServer(server: DevServer): string {
  const lines: string[] = ["App Mesh local server"];
  server.nodes.forEach((n, i) =>
    lines.push(`  node ${i + 1}: ${n.url}  (X-Target-Host: ${n.name})`)
  );
  const fwd = server.forwardedNodes;
  if (fwd.length) {
    lines.push(
      `  ${fwd.length} node${fwd.length === 1 ? "" : "s"} reached only through forwarding: ` +
        `X-Target-Host ${fwd[0].name}${fwd.length > 1 ? ` .. ${fwd[fwd.length - 1].name}` : ""}`,
    );
  }
  if (server.caFile) lines.push(`  CA certificate: ${server.caFile}`);
  if (server.clientCertFile) {
    lines.push(`  client certificate (mTLS): ${server.clientCertFile} / ${server.clientKeyFile}`);
  }
  lines.push(`  state directory: ${server.stateDir}`);
  lines.push("  logins: admin/admin123 (all roles), mesh/mesh123 (view), test/test123 (none)");
  const url = server.urls[0];
  const ca = server.caFile ? `--cacert '${server.caFile}' ` : "";
  lines.push("  try:");
  lines.push(
    `    TOKEN=$(curl -s ${ca}-u admin:admin123 -X POST ${url}/appmesh/login | ` +
      `python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')`,
  );
  lines.push(
    `    curl -s ${ca}-X POST "${url}/appmesh/app/syncrun?timeout=10" ` +
      `-H "Authorization: Bearer $TOKEN" -d '{"command":"echo hi","shell":true}' -i`,
  );
  if (server.nodes.length > 1) {
    lines.push(
      `    curl -s ${ca}-X POST "${url}/appmesh/app/syncrun?timeout=10" ` +
        `-H "Authorization: Bearer $TOKEN" -H "X-Target-Host: ${server.nodes[1].name}" ` +
        `-d '{"command":"echo hi","shell":true}' -i`,
    );
  }
  return lines.join("\n") + "\n";
}
