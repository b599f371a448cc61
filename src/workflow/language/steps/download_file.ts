/**
 * `download_file`: fetch a file from the node.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { localPath, progressEmitter, sha256File, str } from "../step_util.ts";

const downloadFile: StepSpec = {
  type: "download_file",
  description: "Download a file from the node to this machine. It lands whole or not at all " +
    "(written beside the destination, then renamed); missing folders are created; a " +
    "relative `local` path is relative to the workflow file.",
  method: "downloadFile",
  idempotent: true,
  fields: {
    remote: { type: "string", description: "Path of the file on the node.", required: true },
    local: { type: "string", description: "Where to write it here.", required: true },
    preserve_permissions: {
      type: "boolean",
      description: "Apply the remote file's mode (and owner when possible).",
      default: true,
    },
  },
  outputs: {
    path: "Absolute path of the written file.",
    bytes: "Its size.",
    sha256: "Its SHA-256, hex.",
  },
  requests: () => [{ endpoint: "download", note: "X-File-Path: <remote>" }],
  async run(ctx, args) {
    const local = await localPath(ctx.cwd, str(args, "local"), { mkdir: true });
    const result = await ctx.client.downloadFile(str(args, "remote"), local, {
      preservePermissions: args.preserve_permissions !== false,
      onProgress: progressEmitter(ctx),
      signal: ctx.signal,
    });
    return { path: result.path, bytes: result.bytes, sha256: await sha256File(result.path) };
  },
};

export default downloadFile;
