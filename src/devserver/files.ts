/**
 * File download and upload as the App Mesh agent serves them: `X-File-Path` (URL-decoded),
 * downloads streamed with `Range`, `Content-Disposition` and `X-File-Mode/User/Group`;
 * uploads as `multipart/form-data` (`filename` field, `file` part) or a raw body, streamed to
 * a temporary file beside the target and renamed into place, then `X-File-Mode/User/Group`
 * applied. The daemon's checks come first: `..` or outside `FileAllowedBaseDir` → 403, a
 * missing download → 406, an existing upload target → 403.
 *
 * @module
 */
import { realpathSync } from "node:fs";
import { type FileHandle, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { applyFileAttributes, fileAttributes } from "../runtime/fs_attributes.ts";
import type { RequestContext, Route } from "./context.ts";
import { HttpError } from "./http.ts";
import { multipartBoundary, MultipartError, readMultipart } from "./multipart.ts";

const CHUNK = 256 * 1024;

function invalidPath(): HttpError {
  return new HttpError(403, "Invalid file path");
}

/** The deepest existing ancestor of `p`, symlinks resolved, plus the part that does not exist. */
function realish(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return p;
      tail.push(basename(head));
      head = parent;
    }
  }
}

/**
 * The request's `X-File-Path`, URL-decoded, checked as the daemon's `validateFilePath`
 * (no NUL, no `..` component, inside the node's `fileBaseDir` if set) and made absolute
 * (relative paths are taken from the state directory).
 */
export function filePath(ctx: RequestContext): string {
  const raw = ctx.req.headers.get("X-File-Path");
  if (raw === null || raw === "") throw new HttpError(400, "header 'X-File-Path' not found");
  // Go's url.QueryUnescape, as the agent: "+" is a space; a bad escape leaves the value as is.
  let path = raw;
  try {
    path = decodeURIComponent(raw.replace(/\+/g, " "));
  } catch { /* used as is */ }
  if (path.includes("\0") || path.split(/[\\/]/).includes("..")) throw invalidPath();
  const abs = isAbsolute(path) ? resolve(path) : resolve(ctx.node.stateDir, path);
  const base = ctx.node.fileBaseDir;
  if (base) {
    const realBase = realish(resolve(base));
    const real = realish(abs);
    if (real !== realBase && !real.startsWith(realBase.endsWith(sep) ? realBase : realBase + sep)) {
      throw invalidPath();
    }
  }
  return abs;
}

/** Go's `url.QueryEscape` (the agent's `filename=` form). */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  )
    .replace(/%20/g, "+");
}

/** A `bytes=` range of a file of `size` bytes: [start, end] inclusive, "all", or "bad". */
function parseRange(header: string | null, size: number): [number, number] | "all" | "bad" {
  if (!header) return "all";
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!m) return header.includes(",") ? "all" : "bad";
  const [, a, b] = m;
  if (a === "" && b === "") return "bad";
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "bad";
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(a);
  if (start >= size) return "bad";
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return "bad";
  return [start, end];
}

function fileStream(fh: FileHandle, start: number, length: number): ReadableStream<Uint8Array> {
  let pos = start;
  const end = start + length;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        if (pos < end) {
          const buf = new Uint8Array(Math.min(CHUNK, end - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead > 0) {
            pos += bytesRead;
            ctrl.enqueue(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
            return;
          }
        }
        // The range is sent, or the file got shorter since its size was taken.
        await fh.close();
        ctrl.close();
      } catch (e) {
        await fh.close().catch(() => {});
        ctrl.error(e);
      }
    },
    async cancel() {
      await fh.close().catch(() => {});
    },
  }, { highWaterMark: 0 });
}

async function download(ctx: RequestContext): Promise<Response> {
  const path = filePath(ctx);
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new HttpError(406, "file not found");
  }
  if (!st.isFile()) throw new HttpError(406, "file not found");
  // Mode and owner/group names (async reads of /etc/passwd and /etc/group).
  const attrs = await fileAttributes(path);
  const headers: Record<string, string> = {
    "Content-Disposition": `attachment; filename=${queryEscape(basename(path))}`,
    "Content-Description": "File Transfer",
    "Content-Type": "application/octet-stream",
    "Content-Transfer-Encoding": "binary",
    "Expires": "0",
    "Cache-Control": "must-revalidate",
    "Pragma": "public",
    "Accept-Ranges": "bytes",
    "Last-Modified": st.mtime.toUTCString(),
    "X-File-Mode": String(attrs.mode),
    "X-File-User": attrs.user,
    "X-File-Group": attrs.group,
  };
  const size = st.size;
  const range = parseRange(ctx.req.headers.get("Range"), size);
  if (range === "bad") {
    return new Response("invalid range: failed to overlap", {
      status: 416,
      headers: {
        ...headers,
        "Content-Range": `bytes */${size}`,
        "Content-Type": "text/plain; charset=utf-8",
      },
    });
  }
  const fh = await open(path, "r");
  if (range === "all") {
    headers["Content-Length"] = String(size);
    return new Response(size ? fileStream(fh, 0, size) : (await fh.close(), null), {
      status: 200,
      headers,
    });
  }
  const [start, end] = range;
  headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  headers["Content-Length"] = String(end - start + 1);
  return new Response(fileStream(fh, start, end - start + 1), { status: 206, headers });
}

/** Writes a stream of chunks to `fh`. */
async function writeAll(fh: FileHandle, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }
}

async function* streamChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Applies X-File-User/Group (both, best effort) then X-File-Mode (0..0o777), as the agent. */
async function applyAttributes(path: string, headers: Headers): Promise<void> {
  const user = headers.get("X-File-User");
  const group = headers.get("X-File-Group");
  const owner = user && group ? { user, group } : {};
  const raw = headers.get("X-File-Mode")?.trim() ?? "";
  const m = /^\d+$/.test(raw) ? Number(raw) : -1;
  const mode = m >= 0 && m <= 0o777 ? m : undefined;
  // A failed chown is skipped inside; a failed chmod is ignored here, as the agent does.
  await applyFileAttributes(path, { ...owner, mode }).catch(() => {});
}

async function upload(ctx: RequestContext): Promise<Response> {
  const path = filePath(ctx);
  try {
    await stat(path);
    throw new HttpError(403, "file already exist");
  } catch (e) {
    if (e instanceof HttpError) throw e;
  }
  const contentType = ctx.req.headers.get("Content-Type");
  const isMultipart = /^multipart\/form-data/i.test(contentType?.trim() ?? "");
  const boundary = multipartBoundary(contentType);
  if (isMultipart && !boundary) {
    throw new HttpError(400, "failed to create multipart reader: no boundary");
  }
  const tmp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.upload`);
  let fh: FileHandle;
  try {
    fh = await open(tmp, "wx", 0o600);
  } catch (e) {
    throw new HttpError(400, `failed to create destination file: ${(e as Error).message}`);
  }
  try {
    const body = ctx.req.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    if (boundary) {
      let found = false;
      for await (const part of readMultipart(body, boundary)) {
        // Later parts are drained by the reader, so a truncated body is still caught.
        if (part.name === "file" && !found) {
          await writeAll(fh, part.body);
          found = true;
        }
      }
      if (!found) throw new MultipartError("file part not found in multipart form");
    } else {
      await writeAll(fh, streamChunks(body));
    }
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, `save file failed with error: ${(e as Error).message}`);
  }
  await applyAttributes(path, ctx.req.headers);
  return new Response(null, { status: 200 });
}

/** Routes of the files area. */
export const fileRoutes: Route[] = [
  {
    method: "GET",
    path: "/appmesh/file/download",
    auth: true,
    permission: "file-download",
    handler: download,
  },
  {
    method: "POST",
    path: "/appmesh/file/upload",
    auth: true,
    permission: "file-upload",
    handler: upload,
  },
];
