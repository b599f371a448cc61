/**
 * `appmesh get REMOTE LOCAL` and `appmesh put LOCAL REMOTE`: file transfer with a node,
 * with a progress bar on a terminal. A download lands whole or not at all.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { connect, type Connected, writeErr } from "../context.ts";
import { guardInterrupts } from "../interrupts.ts";
import { CliError, describeError, EXIT } from "../errors.ts";
import { formatBytes } from "../output/format.ts";
import { type ProgressBar, progressBar } from "../output/progress.ts";
import { stat } from "node:fs/promises";
import { isTerminal, terminalColumns } from "../../runtime/process.ts";

function columns(): number {
  return terminalColumns() ?? 80;
}

function bar(path: string): ProgressBar | undefined {
  if (!isTerminal("stderr")) return undefined;
  const base = path.split("/").filter(Boolean).pop() ?? path;
  const label = base.length > 24 ? `${base.slice(0, 23)}…` : base;
  return progressBar({ label, write: writeErr, columns: columns() });
}

const flags = {
  node: { type: "string", value: "HOST", description: "the node (X-Target-Host)" },
  "no-permissions": {
    type: "boolean",
    description: "do not carry the file mode, user and group over",
  },
} as const;

async function transfer(
  globals: Parameters<Command["run"]>[1],
  node: string | undefined,
  label: string,
  fn: (
    client: Connected["client"],
    onProgress: (bytes: number, total?: number) => void,
    signal: AbortSignal,
  ) => Promise<number | undefined>,
): Promise<{ bytes: number | undefined; code: number }> {
  const { client: base } = await connect(globals, { session: true });
  const client = node ? base.forNode(node) : base;
  const progress = bar(label);
  let last = 0;
  const interrupts = guardInterrupts();
  try {
    const bytes = await fn(client, (b, t) => {
      last = b;
      progress?.update(b, t);
    }, interrupts.signal);
    progress?.done();
    return { bytes: bytes ?? last, code: EXIT.ok };
  } catch (e) {
    if (progress) writeErr("\n");
    if (interrupts.signal.aborted) {
      console.error(`appmesh: ${interrupts.received()}: transfer stopped, nothing written`);
      return { bytes: undefined, code: interrupts.exitCode() ?? EXIT.sigint };
    }
    throw e;
  } finally {
    interrupts.dispose();
    await base.close();
  }
}

/** `appmesh get`. */
export const get: Command = {
  spec: {
    name: "get",
    summary: "download a file from a node",
    flags,
    positionals: [{ name: "REMOTE", required: true }, { name: "LOCAL", required: true }],
    connects: true,
    examples: ["appmesh get /var/log/app.log ./app.log --node 127.0.0.1:6061"],
  },
  async run(args, globals) {
    const [remote, local] = args.positionals;
    const preservePermissions = args.flags["no-permissions"] !== true;
    const r = await transfer(globals, args.flags.node as string | undefined, local, async (
      client,
      onProgress,
      signal,
    ) =>
      (await client.downloadFile(remote, local, { preservePermissions, onProgress, signal }))
        .bytes);
    if (r.code === EXIT.ok) {
      console.log(`downloaded ${remote} to ${local} (${formatBytes(r.bytes ?? 0)})`);
    }
    return r.code;
  },
};

/** `appmesh put`. */
export const put: Command = {
  spec: {
    name: "put",
    summary: "upload a file to a node",
    flags,
    positionals: [{ name: "LOCAL", required: true }, { name: "REMOTE", required: true }],
    connects: true,
    examples: ["appmesh put ./job.sh /opt/jobs/job.sh --node 127.0.0.1:6062"],
  },
  async run(args, globals) {
    const [local, remote] = args.positionals;
    const preservePermissions = args.flags["no-permissions"] !== true;
    let size: number;
    try {
      size = (await stat(local)).size;
    } catch (e) {
      const why = (e as { code?: string }).code === "ENOENT"
        ? "no such file"
        : describeError(e).message;
      throw new CliError(`cannot upload ${local}: ${why}`, EXIT.failed);
    }
    const r = await transfer(globals, args.flags.node as string | undefined, local, async (
      client,
      onProgress,
      signal,
    ) => {
      await client.uploadFile(local, remote, { preservePermissions, onProgress, signal });
      return size;
    });
    if (r.code === EXIT.ok) console.log(`uploaded ${local} to ${remote} (${formatBytes(size)})`);
    return r.code;
  },
};
