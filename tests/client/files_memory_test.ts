// Streaming transfers: the client's memory does not grow with the file size (upload and
// download of a 128 MB file, measured in a child process so the server's memory is not counted).
// @bun
// @node
import assert from "node:assert/strict";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "../harness.ts";
import { fixture, runScript } from "./_helpers.ts";

const CHILD = fileURLToPath(new URL("./fixtures/memory_child.ts", import.meta.url));
const SIZE = 128 << 20;

test("upload and download stream: memory growth stays far below the file size", async () => {
  const f = await fixture();
  try {
    const local = join(f.dir, "large.bin");
    const h = await open(local, "w");
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < SIZE >> 20; i++) {
      crypto.getRandomValues(block.subarray(0, 1024));
      await h.write(block);
    }
    await h.close();
    const remote = join(f.dir, "large-remote.bin");
    const back = join(f.dir, "large-back.bin");
    const r = await runScript(CHILD, [
      f.server.urls[0],
      f.server.caFile!,
      f.client.token!,
      local,
      remote,
      back,
    ], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const { upload, download } = JSON.parse(r.stdout);
    assert.equal((await stat(remote)).size, SIZE);
    assert.equal((await stat(back)).size, SIZE);
    // Buffering the file would grow memory by at least its size; streaming stays bounded.
    assert.ok(upload < SIZE / 2, `upload grew ${upload} bytes`);
    assert.ok(download < SIZE / 2, `download grew ${download} bytes`);
  } finally {
    await f.close();
  }
}, { timeout: 180_000 });
