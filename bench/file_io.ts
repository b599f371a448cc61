/**
 * B3's file plumbing on each runtime's own idiom (Deno `FsFile.readable`/`writable`, Bun
 * `Bun.file().stream()`/`Bun.write`): stream a file, write a response body (plain or durable:
 * temporary file, fsync, rename), and a streamed multipart upload body.
 *
 * @module
 */
import { open, rename, rm } from "node:fs/promises";
import { RUNTIME } from "./common.ts";

interface DenoFs {
  open(
    p: string,
    o?: { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean },
  ): Promise<{ readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }>;
}
interface BunFs {
  file(p: string): { stream(): ReadableStream<Uint8Array>; size: number };
  write(p: string, r: Response): Promise<number>;
}
const deno = (globalThis as { Deno?: DenoFs }).Deno;
const bun = (globalThis as { Bun?: BunFs }).Bun;

/** The runtime's own way to stream a file's bytes. */
export async function fileStream(path: string): Promise<ReadableStream<Uint8Array>> {
  if (RUNTIME === "bun") return bun!.file(path).stream();
  return (await deno!.open(path, { read: true })).readable;
}

/** The runtime's own way to write a response body to a file. */
export async function writeBody(path: string, res: Response): Promise<void> {
  if (RUNTIME === "bun") {
    await bun!.write(path, res);
    return;
  }
  const file = await deno!.open(path, { write: true, create: true, truncate: true });
  await res.body!.pipeTo(file.writable);
}

/** The durable floor: the body into a temporary file beside `path`, fsync, rename. */
export async function writeBodyDurable(path: string, res: Response): Promise<void> {
  const tmp = `${path}.part-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await writeBody(tmp, res);
    const fh = await open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A multipart body as the agent expects it (`filename` field, `file` part), streamed. */
export function multipartBody(name: string, file: ReadableStream<Uint8Array>) {
  const boundary = `----bench${crypto.randomUUID().replaceAll("-", "")}`;
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\n${name}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const reader = file.getReader();
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      ctl.enqueue(head);
    },
    async pull(ctl) {
      const r = await reader.read();
      if (r.done) {
        ctl.enqueue(tail);
        ctl.close();
      } else ctl.enqueue(r.value);
    },
    cancel: (why) => reader.cancel(why),
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
