// writeStreamAtomic on each runtime's native writer: progress from the file's growth, a
// failing progress callback fails the write, and nothing is left behind.
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { writeStreamAtomic } from "../../src/runtime/fs_write.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-fs-progress-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `count` chunks of `size` bytes (byte i of chunk k is (k + i) % 251), one every `ms`. */
function paced(count: number, size: number, ms: number): ReadableStream<Uint8Array> {
  let k = 0;
  return new ReadableStream({
    async pull(ctl) {
      await new Promise((r) => setTimeout(r, ms));
      if (k === count) return ctl.close();
      const kk = k++;
      ctl.enqueue(new Uint8Array(size).map((_, i) => (kk + i) % 251));
    },
  });
}

test("fs: writeStreamAtomic reports growing progress while it writes, and the exact bytes", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "f.bin");
    const seen: number[] = [];
    const n = await writeStreamAtomic(f, paced(20, 50_000, 10), {
      mode: 0o640,
      progressInterval: 20,
      onProgress: (b) => seen.push(b),
    });
    assert.equal(n, 1_000_000);
    assert.equal((await stat(f)).size, 1_000_000);
    assert.equal((await stat(f)).mode & 0o777, 0o640);
    const data = await readFile(f);
    assert.equal(data[50_000 * 3 + 7], (3 + 7) % 251);
    assert.ok(seen.length >= 1, "no progress reported");
    assert.ok(seen.every((b, i) => b > 0 && b <= n && (i === 0 || b > seen[i - 1])), `${seen}`);
    assert.deepEqual(await readdir(dir), ["f.bin"]);
  });
});

test("fs: an onProgress that throws fails the write and leaves nothing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      writeStreamAtomic(join(dir, "g.bin"), paced(40, 10_000, 10), {
        progressInterval: 10,
        onProgress: () => {
          throw new Error("progress broke");
        },
      }),
      /progress broke/,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

test("fs: an empty stream makes an empty file; a missing folder fails with its code", async () => {
  await withDir(async (dir) => {
    assert.equal(await writeStreamAtomic(join(dir, "e"), new Blob([]).stream()), 0);
    assert.equal((await stat(join(dir, "e"))).size, 0);
    await assert.rejects(
      writeStreamAtomic(join(dir, "no", "such"), new Blob(["x"]).stream()),
      (e: unknown) => (e as { code?: string }).code === "ENOENT",
    );
    assert.deepEqual(await readdir(dir), ["e"]);
  });
});
