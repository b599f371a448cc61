// Files on Deno and Bun: atomic writes (no partial file, no temp left), streamed reads, POSIX
// attributes.
// @bun
// @node
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { exists, mkdirp, openReadStream, readText } from "../../src/runtime/fs.ts";
import { applyFileAttributes, fileAttributes } from "../../src/runtime/fs_attributes.ts";
import { writeFileAtomic, writeStreamAtomic } from "../../src/runtime/fs_write.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-fs-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

function chunks(parts: (Uint8Array | Error)[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(ctl) {
      await new Promise((r) => setTimeout(r, 1));
      const part = parts[i++];
      if (part === undefined) ctl.close();
      else if (part instanceof Error) ctl.error(part);
      else ctl.enqueue(part);
    },
  });
}

test("fs: writeFileAtomic writes text and bytes, applies the mode despite the umask", async () => {
  await withDir(async (dir) => {
    await writeFileAtomic(join(dir, "t"), "héllo", { mode: 0o640 });
    assert.equal(await readText(join(dir, "t")), "héllo");
    assert.equal(await mode(join(dir, "t")), 0o640);
    await writeFileAtomic(join(dir, "b"), new Uint8Array([0, 1, 255]));
    assert.deepEqual([...await readFile(join(dir, "b"))], [0, 1, 255]);
    await writeFileAtomic(join(dir, "x"), "", { mode: 0o777 });
    assert.equal(await mode(join(dir, "x")), 0o777);
  });
});

test("fs: replacing a file changes its mode too and leaves no temp file", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "f");
    await writeFile(f, "old");
    await chmod(f, 0o666);
    await writeFileAtomic(f, "new", { mode: 0o600 });
    assert.equal(await readText(f), "new");
    assert.equal(await mode(f), 0o600);
    assert.deepEqual(await readdir(dir), ["f"]);
  });
});

test("fs: a failing stream leaves the destination untouched and no temp file", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "download.bin");
    await writeFile(f, "previous");
    await assert.rejects(
      writeStreamAtomic(f, chunks([new Uint8Array([1, 2]), new Error("connection reset")])),
      /connection reset/,
    );
    assert.equal(await readText(f), "previous");
    assert.deepEqual(await readdir(dir), ["download.bin"]);
    // No earlier file: nothing appears.
    await assert.rejects(writeStreamAtomic(join(dir, "new"), chunks([new Error("cut")])), /cut/);
    assert.deepEqual(await readdir(dir), ["download.bin"]);
  });
});

test("fs: aborting a streamed write removes the temp file and cancels the stream", async () => {
  await withDir(async (dir) => {
    const ac = new AbortController();
    let cancelled = false;
    let n = 0;
    const endless = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        await new Promise((r) => setTimeout(r, 1));
        if (++n === 5) ac.abort(new Error("stop"));
        ctl.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    await assert.rejects(writeStreamAtomic(join(dir, "f"), endless, { signal: ac.signal }), /stop/);
    assert.equal(cancelled, true);
    assert.deepEqual(await readdir(dir), []);
    // Already aborted: nothing is created.
    await assert.rejects(
      writeStreamAtomic(join(dir, "g"), chunks([]), {
        signal: AbortSignal.abort(new Error("early")),
      }),
      /early/,
    );
    assert.deepEqual(await readdir(dir), []);
  });
});

test("fs: writeStreamAtomic counts bytes; openReadStream reads a big file in chunks", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "big");
    const block = new Uint8Array(100_000).map((_, i) => i % 251);
    const n = await writeStreamAtomic(f, chunks(Array.from({ length: 30 }, () => block)), {
      mode: 0o600,
    });
    assert.equal(n, 3_000_000);
    assert.equal(await mode(f), 0o600);
    const { stream, size } = await openReadStream(f);
    assert.equal(size, 3_000_000);
    let total = 0;
    let biggest = 0;
    let sum = 0;
    for await (const chunk of stream) {
      total += chunk.byteLength;
      biggest = Math.max(biggest, chunk.byteLength);
      sum = (sum + chunk[0]) % 1_000_003;
    }
    assert.equal(total, 3_000_000);
    assert.ok(biggest <= 65_536, `chunk of ${biggest} bytes`);
    // Cancelling early closes the file (no error, no leak to observe but no throw).
    const again = await openReadStream(f);
    const reader = again.stream.getReader();
    await reader.read();
    await reader.cancel();
  });
});

test("fs: openReadStream of a missing file or a folder fails", async () => {
  await withDir(async (dir) => {
    await assert.rejects(openReadStream(join(dir, "none")), { code: "ENOENT" });
    await assert.rejects(openReadStream(dir), { code: "EISDIR" });
  });
});

test("fs: fileAttributes names owner and group; applyFileAttributes sets mode, owner best effort", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "f");
    await writeFileAtomic(f, "x", { mode: 0o640 });
    const a = await fileAttributes(f);
    assert.equal(a.mode, 0o640);
    const st = await stat(f);
    const passwd = await readFile("/etc/passwd", "utf8");
    const named = passwd.split("\n").find((l) => l.split(":")[2] === String(st.uid))?.split(":")[0];
    assert.equal(a.user, named ?? String(st.uid));
    assert.ok(a.group.length > 0);
    await applyFileAttributes(f, {
      mode: 0o604,
      user: "no-such-user-here",
      group: "no-such-group",
    });
    assert.equal(await mode(f), 0o604);
    await applyFileAttributes(f, { user: a.user, group: a.group }); // same owner: no-op
    assert.deepEqual(await fileAttributes(f), { ...a, mode: 0o604 });
    await assert.rejects(applyFileAttributes(f, { mode: 0o4755 }), RangeError);
    await assert.rejects(applyFileAttributes(f, { mode: -1 }), RangeError);
    assert.equal(await mode(f), 0o604);
  });
});

test("fs: exists, mkdirp", async () => {
  await withDir(async (dir) => {
    await mkdirp(join(dir, "a/b/c"), 0o700);
    await mkdirp(join(dir, "a/b/c"));
    assert.equal(await mode(join(dir, "a/b")), 0o700);
    assert.equal(await exists(join(dir, "a/b/c")), true);
    assert.equal(await exists(join(dir, "nope")), false);
    assert.equal(await exists(join(dir, "nope/deeper")), false);
    await rm(join(dir, "a"), { recursive: true });
    assert.equal(await exists(join(dir, "a")), false);
  });
});
