/**
 * File transfer. Downloads are streamed to a temporary file beside the destination and renamed
 * when complete; uploads are a multipart body built as a stream, never read into memory. The
 * file-system code (`src/runtime/fs*.ts`) is loaded only here, when a local path is used.
 *
 * @module
 */
import { noLocalFiles } from "./browser.ts";
import { readBytes } from "./body.ts";
import type { Core } from "./core.ts";
import type { RequestSpec } from "./request.ts";
import { AppMeshAuthError, AppMeshError, AppMeshHttpError } from "./errors.ts";
import { encodeFilePath } from "./encode.ts";
import type { CallOptions, DownloadResult, TransferOptions, UploadOptions } from "./types.ts";

function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? "file";
}

function downloadSpec(remote: string, o: CallOptions): RequestSpec {
  return {
    endpoint: "download",
    headers: { "x-file-path": encodeFilePath(remote) },
    call: o,
  };
}

/**
 * An error answer about a file names the file: the endpoint's path is the same for every file
 * (`/appmesh/file/download`), and the server's message (`file not found`) does not say which.
 */
function namingFile(e: unknown, remote: string): unknown {
  if (!(e instanceof AppMeshHttpError) || e instanceof AppMeshAuthError) return e;
  const named = new AppMeshHttpError({
    status: e.status,
    method: e.method,
    path: e.path,
    url: e.url,
    serverMessage: e.serverMessage,
    file: remote,
    body: e.body,
    code: e.code,
    node: e.node,
  });
  return named;
}

async function streamFile(core: Core, remote: string, o: CallOptions) {
  try {
    return await core.stream(downloadSpec(remote, o));
  } catch (e) {
    throw namingFile(e, remote);
  }
}

/**
 * `download`: the server's answer with the file as its (unread) body — the runtime's own
 * response, so that piping it somewhere stays native. The timeout covers the wait for the
 * answer; the body is the caller's to read, and the caller's signal still aborts it.
 */
export async function download(core: Core, remote: string, o: CallOptions = {}): Promise<Response> {
  const { res, deadline } = await streamFile(core, remote, o);
  deadline.disarm();
  return res;
}

const FS_CODES =
  /^E(ACCES|PERM|NOENT|NOTDIR|ISDIR|EXIST|NOSPC|DQUOT|ROFS|FBIG|IO|MFILE|NFILE|BADF)$/;
const FS_NAMES =
  /^(PermissionDenied|NotFound|AlreadyExists|IsADirectory|NotADirectory|NotCapable)$/;

/** Whether an error comes from the local file system (not from reading the body). */
function isFsError(e: unknown): boolean {
  const { code, name } = (e ?? {}) as { code?: unknown; name?: unknown };
  return (typeof code === "string" && FS_CODES.test(code)) ||
    (typeof name === "string" && FS_NAMES.test(name));
}

function fileMode(res: Response): number | undefined {
  const v = res.headers.get("X-File-Mode");
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n >= 0 && n <= 0o777 ? n : undefined;
}

/** Downloads up to this size (with a known length) are read whole, then written at once. */
const SMALL_FILE = 1 << 20;

/** `downloadFile`: all or nothing at `local`; mode (0..0o777), owner and group best effort. */
export async function downloadFile(
  core: Core,
  remote: string,
  local: string,
  o: TransferOptions = {},
): Promise<DownloadResult> {
  noLocalFiles(core.browser, "downloadFile");
  const [fs, write, attributes] = await Promise.all([
    import("../runtime/fs.ts"),
    import("../runtime/fs_write.ts"),
    import("../runtime/fs_attributes.ts"),
  ]);
  // A destination in a missing folder fails before any request, naming the folder (not the
  // temporary file the download would have been written to).
  const cut = Math.max(local.lastIndexOf("/"), local.lastIndexOf("\\"));
  const folder = cut < 0 ? "." : cut === 0 ? local.slice(0, 1) : local.slice(0, cut);
  if (!await fs.exists(folder)) {
    throw new AppMeshError(`cannot download to ${local}: folder ${folder} does not exist`, {
      code: "FOLDER_NOT_FOUND",
    });
  }
  const { res, deadline, mapError } = await streamFile(core, remote, o);
  const length = Number(res.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  let bytes: number;
  try {
    // A compressed body's length is not the file's: streamed like a big one.
    if (total !== undefined && total <= SMALL_FILE && !res.headers.has("content-encoding")) {
      // A small file (most downloads of a workflow: a config, a log, a result) is read whole
      // under the request's deadline, then written with one file handle: half the time of the
      // streamed path, whose stream and second open cost more than such a file's bytes.
      const data = await readBytes(res, total, {
        onChunk: (n) => {
          deadline.arm(); // the same idle timeout as a big download: it counts while no byte arrives
          o.onProgress?.(n, total);
        },
      });
      // A runtime errors on a body cut short of its length; should one not, the file is not kept.
      if (data.byteLength !== total) {
        throw new Error(`the body ended after ${data.byteLength} of ${total} bytes`);
      }
      deadline.disarm();
      o.signal?.throwIfAborted();
      await write.writeFileAtomic(local, data);
      bytes = data.byteLength;
    } else {
      // The body goes to the file without a JS layer over its chunks (that costs speed on Bun
      // and memory on Deno); progress is the temp file's growth, which also re-arms the
      // deadline: the timeout counts while no byte arrives.
      // No `signal` here: the caller's signal is part of the one given to fetch, which aborts
      // the body and with it the write.
      bytes = await write.writeStreamAtomic(local, res.body ?? new Blob([]).stream(), {
        progressInterval: Math.max(10, Math.min(250, deadline.ms / 4)),
        onProgress: (n) => {
          deadline.arm();
          o.onProgress?.(n, total);
        },
      });
    }
  } catch (e) {
    // A local file-system failure stays what it is; the rest is the body's read failing.
    throw deadline.fired || o.signal?.aborted || !isFsError(e) ? mapError(e) : e;
  } finally {
    deadline.disarm();
  }
  o.onProgress?.(bytes, total);
  const result: DownloadResult = {
    path: local,
    bytes,
    mode: fileMode(res),
    user: res.headers.get("X-File-User") ?? undefined,
    group: res.headers.get("X-File-Group") ?? undefined,
  };
  if (o.preservePermissions ?? true) {
    try {
      await attributes.applyFileAttributes(local, {
        mode: result.mode,
        user: result.user,
        group: result.group,
      });
    } catch (e) {
      core.logger.warn?.(
        `could not apply file attributes to ${local}: ${(e as Error)?.message ?? e}`,
      );
    }
  }
  return result;
}

function toStream(
  body: ReadableStream<Uint8Array> | Blob | Uint8Array | string,
): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body;
  if (body instanceof Blob) return body.stream();
  return new Blob([typeof body === "string" ? body : body as BlobPart]).stream();
}

function sizeOf(body: ReadableStream<Uint8Array> | Blob | Uint8Array | string): number | undefined {
  if (typeof body === "string") return new TextEncoder().encode(body).byteLength;
  if (body instanceof Uint8Array) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined;
}

/**
 * `multipart/form-data` with a `filename` field and a `file` part, as the App Mesh agent expects,
 * pulled chunk by chunk from `source`.
 */
export function multipart(
  filename: string,
  source: ReadableStream<Uint8Array>,
  onBytes?: (bytes: number) => void,
): { contentType: string; body: ReadableStream<Uint8Array> } {
  const boundary = `----appmesh${crypto.randomUUID().replace(/-/g, "")}`;
  const safe = filename.replace(/[\r\n"]/g, (c) => encodeURIComponent(c));
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\n${safe}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safe}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      ctl.enqueue(head);
    },
    async pull(ctl) {
      reader ??= source.getReader();
      const r = await reader.read();
      if (r.done) {
        ctl.enqueue(tail);
        ctl.close();
        return;
      }
      sent += r.value.byteLength;
      onBytes?.(sent);
      ctl.enqueue(r.value);
    },
    async cancel(reason) {
      await (reader ?? source).cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}

/** `upload`: streams `body` as the `file` part; mode/user/group go in headers. */
export async function upload(
  core: Core,
  remote: string,
  body: ReadableStream<Uint8Array> | Blob | Uint8Array | string,
  o: UploadOptions = {},
): Promise<void> {
  if (o.mode !== undefined && !(Number.isInteger(o.mode) && o.mode >= 0 && o.mode <= 0o777)) {
    throw new TypeError(`upload: mode must be 0..0o777, got ${o.mode}`);
  }
  const total = sizeOf(body);
  const form = multipart(
    o.filename ?? baseName(remote),
    toStream(body),
    (n) => o.onProgress?.(n, total),
  );
  // Chromium streams a request body only over HTTP/2, which App Mesh need not speak: a browser
  // sends the form as a Blob, read into memory first (progress then counts that read).
  const payload = core.browser ? await new Response(form.body).blob() : form.body;
  try {
    await core.text({
      endpoint: "upload",
      headers: {
        "content-type": form.contentType,
        "x-file-path": encodeFilePath(remote),
        "x-file-mode": o.mode === undefined ? undefined : String(o.mode),
        "x-file-user": o.user,
        "x-file-group": o.group,
      },
      body: payload,
      call: o,
    });
  } catch (e) {
    throw namingFile(e, remote);
  }
}

/** `uploadFile`: a missing local file fails before any request. */
export async function uploadFile(
  core: Core,
  local: string,
  remote: string,
  o: TransferOptions = {},
): Promise<void> {
  noLocalFiles(core.browser, "uploadFile");
  const [fs, attributes] = await Promise.all([
    import("../runtime/fs.ts"),
    import("../runtime/fs_attributes.ts"),
  ]);
  if (!await fs.exists(local)) {
    throw new AppMeshError(`local file not found: ${local}`, { code: "FILE_NOT_FOUND" });
  }
  const attrs = (o.preservePermissions ?? true)
    ? await attributes.fileAttributes(local)
    : undefined;
  const { stream, size } = await fs.openReadStream(local);
  try {
    await upload(core, remote, stream, {
      mode: attrs?.mode,
      user: attrs?.user,
      group: attrs?.group,
      filename: baseName(remote),
      signal: o.signal,
      headers: o.headers,
      onProgress: o.onProgress && ((n) => o.onProgress!(n, size)),
    });
  } catch (e) {
    await stream.cancel().catch(() => {});
    throw e;
  }
}
