/**
 * `upload_file`: send a file to the node.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { localPath, progressEmitter, str } from "../step_util.ts";

const uploadFile: StepSpec = {
  type: "upload_file",
  description: "Upload a file from this machine to the node (streamed; a relative `local` " +
    "path is relative to the workflow file).",
  method: "uploadFile",
  idempotent: true,
  fields: {
    local: { type: "string", description: "The file here.", required: true },
    remote: { type: "string", description: "Path to write on the node.", required: true },
    preserve_permissions: {
      type: "boolean",
      description: "Send the local file's mode (and owner) along.",
      default: true,
    },
  },
  outputs: { path: "The remote path.", bytes: "Bytes sent." },
  requests: () => [{ endpoint: "upload", note: "X-File-Path: <remote>" }],
  async run(ctx, args) {
    const local = await localPath(ctx.cwd, str(args, "local"));
    const remote = str(args, "remote");
    let bytes = 0;
    const report = progressEmitter(ctx);
    await ctx.client.uploadFile(local, remote, {
      preservePermissions: args.preserve_permissions !== false,
      onProgress: (n: number, total?: number) => {
        bytes = n;
        report(n, total);
      },
      signal: ctx.signal,
    });
    if (bytes === 0) bytes = await fileSize(local);
    return { path: remote, bytes };
  },
};

async function fileSize(path: string): Promise<number> {
  const { stat } = await import("node:fs/promises");
  return (await stat(path)).size;
}

export default uploadFile;
