// File transfer end to end: streamed multipart uploads, atomic downloads, modes, encoding.
// @bun
// @node
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "../harness.ts";
import {
  AppMeshClient,
  AppMeshConnectionError,
  AppMeshError,
  AppMeshHttpError,
} from "../../src/client/mod.ts";
import { fixture, httpServer } from "./_helpers.ts";

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Uint8Array);
  return h.digest("hex");
}

test("uploadFile/downloadFile: content and mode round trip; X-File-Path encoded both ways", async () => {
  const f = await fixture();
  try {
    const local = join(f.dir, "in.txt");
    await writeFile(local, "hello\nworld\n");
    await chmod(local, 0o640);
    for (const name of ["plain.txt", "with space +plus %41 ü.txt"]) {
      const remote = join(f.dir, "remote", name).replace("/remote/", "/");
      await f.client.uploadFile(local, remote);
      // What the server holds: the exact path, content and mode.
      assert.equal(await readFile(remote, "utf8"), "hello\nworld\n");
      assert.equal((await stat(remote)).mode & 0o777, 0o640);
      const back = join(f.dir, `back-${name}`);
      const r = await f.client.downloadFile(remote, back);
      assert.equal(r.bytes, 12);
      assert.equal(r.mode, 0o640);
      assert.equal(await readFile(back, "utf8"), "hello\nworld\n");
      assert.equal((await stat(back)).mode & 0o777, 0o640);
    }
  } finally {
    await f.close();
  }
});

test("a 20 MB upload + download round trip, streamed, with progress and mode preserved", async () => {
  const f = await fixture();
  try {
    const local = join(f.dir, "big.bin");
    const chunk = new Uint8Array(1 << 20);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      crypto.getRandomValues(chunk.subarray(0, 65536));
      parts.push(chunk.slice());
    }
    await writeFile(local, Buffer.concat(parts));
    await chmod(local, 0o600);
    const remote = join(f.dir, "big-remote.bin");
    let up = 0;
    await f.client.uploadFile(local, remote, { onProgress: (n) => (up = n) });
    assert.equal(up, 20 << 20);
    assert.equal((await stat(remote)).size, 20 << 20);
    assert.equal((await stat(remote)).mode & 0o777, 0o600);
    const back = join(f.dir, "big-back.bin");
    let down = 0;
    let total: number | undefined;
    const r = await f.client.downloadFile(remote, back, {
      onProgress: (n, t) => ((down = n), (total = t)),
    });
    assert.equal(r.bytes, 20 << 20);
    assert.equal(down, 20 << 20);
    assert.equal(total, 20 << 20);
    assert.equal(await sha256(back), await sha256(local));
    assert.equal((await stat(back)).mode & 0o777, 0o600);
  } finally {
    await f.close();
  }
});

test("stream forms: upload(remote, body) with mode; download(remote) → Response", async () => {
  const f = await fixture();
  try {
    const remote = join(f.dir, "stream.txt");
    await f.client.upload(remote, "text body", { mode: 0o604 });
    assert.equal(await readFile(remote, "utf8"), "text body");
    assert.equal((await stat(remote)).mode & 0o777, 0o604);
    const res = await f.client.download(remote);
    assert.equal(res.headers.get("X-File-Mode"), String(0o604));
    assert.equal(await res.text(), "text body");
    const remote2 = join(f.dir, "bytes.bin");
    await f.client.upload(remote2, new Blob([new Uint8Array([1, 2, 3])]));
    assert.deepEqual([...await readFile(remote2)], [1, 2, 3]);
    await assert.rejects(f.client.upload(join(f.dir, "bad"), "x", { mode: 0o4755 }), TypeError);
  } finally {
    await f.close();
  }
});

test("download errors: a missing remote file is 406 and leaves no local file", async () => {
  const f = await fixture();
  try {
    const dest = join(f.dir, "never.txt");
    await assert.rejects(f.client.downloadFile(join(f.dir, "no-such"), dest), (e: unknown) => {
      assert.ok(e instanceof AppMeshHttpError);
      assert.equal(e.status, 406);
      assert.equal(e.serverMessage, "file not found");
      return true;
    });
    assert.deepEqual((await readdir(f.dir)).filter((n) => n.includes("never")), []);
  } finally {
    await f.close();
  }
});

test("an interrupted download (server cuts the connection) leaves no file at all", async () => {
  const f = await fixture();
  try {
    const remote = join(f.dir, "cut-source.bin");
    await writeFile(remote, new Uint8Array(8 << 20));
    const dest = join(f.dir, "out", "cut.bin");
    await (await import("node:fs/promises")).mkdir(join(f.dir, "out"));
    f.server.setFaults({ cutRate: 1, paths: ["/appmesh/file/download"] });
    await assert.rejects(f.client.downloadFile(remote, dest), (e: unknown) => {
      assert.ok(e instanceof AppMeshConnectionError, String(e));
      return true;
    });
    assert.deepEqual(await readdir(join(f.dir, "out")), []);
    f.server.setFaults(undefined);
    assert.equal((await f.client.downloadFile(remote, dest)).bytes, 8 << 20);
  } finally {
    await f.close();
  }
});

test("an interrupted download over an existing file leaves its old content and mode intact", async () => {
  const f = await fixture();
  const stalls = await httpServer((_req, res) => {
    // Half of a body, then nothing: the caller gives up once bytes have arrived.
    res.writeHead(200, { "content-length": String(1 << 20), "x-file-mode": "384" });
    res.write(new Uint8Array(512 << 10).fill(1));
  });
  try {
    const remote = join(f.dir, "new-version.bin");
    await writeFile(remote, new Uint8Array(8 << 20).fill(2));
    const out = join(f.dir, "out");
    await mkdir(out);
    const dest = join(out, "app.bin");
    await writeFile(dest, "the old version\n");
    await chmod(dest, 0o640);
    const intact = async (what: string) => {
      assert.equal(await readFile(dest, "utf8"), "the old version\n", what);
      assert.equal((await stat(dest)).mode & 0o777, 0o640, what);
      assert.deepEqual(await readdir(out), ["app.bin"], `${what}: no temporary file left`);
    };

    // The server cuts the connection mid-body.
    f.server.setFaults({ cutRate: 1, paths: ["/appmesh/file/download"] });
    await assert.rejects(f.client.downloadFile(remote, dest), AppMeshConnectionError);
    await intact("after a cut connection");
    f.server.setFaults(undefined);

    // The caller's signal, once the first bytes are on disk (progress is the file's growth).
    const ctl = new AbortController();
    const viaStall = new AppMeshClient({ baseUrl: stalls.base, token: "t" });
    try {
      await assert.rejects(
        viaStall.downloadFile("/f", dest, {
          signal: ctl.signal,
          onProgress: (n) => n > 0 && ctl.abort(new Error("caller stopped it")),
        }),
        /caller stopped it/,
      );
    } finally {
      await viaStall.close();
    }
    await intact("after the caller's abort");

    // A whole download replaces it.
    assert.equal((await f.client.downloadFile(remote, dest)).bytes, 8 << 20);
    assert.equal(await sha256(dest), await sha256(remote));
  } finally {
    await stalls.close();
    await f.close();
  }
});

test("upload of a missing local file fails before any request", async () => {
  let requests = 0;
  const server = await httpServer((_req, res) => {
    requests++;
    res.end("{}");
  });
  const { port } = server;
  try {
    const c = new AppMeshClient({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
    await assert.rejects(c.uploadFile("/no/such/local/file", "/tmp/x"), (e: unknown) => {
      assert.ok(e instanceof AppMeshError);
      assert.equal(e.code, "FILE_NOT_FOUND");
      assert.match(e.message, /\/no\/such\/local\/file/);
      return true;
    });
    assert.equal(requests, 0);
  } finally {
    await server.close();
  }
});

test("a small download (read whole, written at once) cut mid-body leaves nothing; a whole one lands", async () => {
  const f = await fixture();
  try {
    const remote = join(f.dir, "small.bin");
    await writeFile(remote, new Uint8Array(200 << 10).fill(3));
    const out = join(f.dir, "small-out");
    await mkdir(out);
    const dest = join(out, "small.bin");

    f.server.setFaults({ cutRate: 1, paths: ["/appmesh/file/download"] });
    await assert.rejects(f.client.downloadFile(remote, dest), AppMeshConnectionError);
    assert.deepEqual(await readdir(out), [], "nothing left after a cut");
    f.server.setFaults(undefined);

    const seen: number[] = [];
    const r = await f.client.downloadFile(remote, dest, { onProgress: (n) => seen.push(n) });
    assert.equal(r.bytes, 200 << 10);
    assert.deepEqual(await readFile(dest), Buffer.from(new Uint8Array(200 << 10).fill(3)));
    assert.equal(seen.at(-1), 200 << 10);
    assert.deepEqual(await readdir(out), ["small.bin"], "no temporary file left");
  } finally {
    await f.close();
  }
});
