/**
 * File transfer. Downloads are streamed to a temporary file beside the destination and renamed
 * when complete; uploads are a multipart body built as a stream, never read into memory. The
 * file-system code (`src/runtime/fs.ts`) is loaded only here, when a local path is used.
 *
 * @module
 */
import type { Core } from "./client.ts";
import { AppMeshError } from "./errors.ts";
import { encodeFilePath } from "./http.ts";
import type { CallOptions, DownloadResult, TransferOptions, UploadOptions } from "./types.ts";

function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? "file";
}

/** `download`: the server's answer with the file as its (unread) body. */
export async function download(core: Core, remote: string, o: CallOptions = {}): Promise<Response> {
  return await core.request({
    method: "GET",
    path: "/appmesh/file/download",
    headers: { "x-file-path": encodeFilePath(remote) },
    call: o,
  });
}

function fileMode(res: Response): number | undefined {
  const v = res.headers.get("X-File-Mode");
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n >= 0 && n <= 0o777 ? n : undefined;
}

/** `downloadFile`: all or nothing at `local`; mode (0..0o777), owner and group best effort. */
export async function downloadFile(
  core: Core,
  remote: string,
  local: string,
  o: TransferOptions = {},
): Promise<DownloadResult> {
  const fs = await import("../runtime/fs.ts");
  const res = await download(core, remote, o);
  const length = Number(res.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  let bytes = 0;
  const counted = (res.body ?? new Blob([]).stream()).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        bytes += chunk.byteLength;
        o.onProgress?.(bytes, total);
        ctl.enqueue(chunk);
      },
    }),
  );
  await fs.writeStreamAtomic(local, counted, { signal: o.signal });
  const result: DownloadResult = {
    path: local,
    bytes,
    mode: fileMode(res),
    user: res.headers.get("X-File-User") ?? undefined,
    group: res.headers.get("X-File-Group") ?? undefined,
  };
  if (o.preservePermissions ?? true) {
    try {
      await fs.applyFileAttributes(local, {
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
  await core.text({
    method: "POST",
    path: "/appmesh/file/upload",
    headers: {
      "content-type": form.contentType,
      "x-file-path": encodeFilePath(remote),
      "x-file-mode": o.mode === undefined ? undefined : String(o.mode),
      "x-file-user": o.user,
      "x-file-group": o.group,
    },
    body: form.body,
    call: o,
  });
}

/** `uploadFile`: a missing local file fails before any request. */
export async function uploadFile(
  core: Core,
  local: string,
  remote: string,
  o: TransferOptions = {},
): Promise<void> {
  const fs = await import("../runtime/fs.ts");
  if (!await fs.exists(local)) {
    throw new AppMeshError(`local file not found: ${local}`, { code: "FILE_NOT_FOUND" });
  }
  const attrs = (o.preservePermissions ?? true) ? await fs.fileAttributes(local) : undefined;
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
