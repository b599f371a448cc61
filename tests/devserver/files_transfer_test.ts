// File transfer over real HTTPS: multipart and raw uploads, streamed downloads, Range, errors.
// @bun
// @node
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { body, harness } from "./_util.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function bytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >> 16;
  }
  return out;
}

test("files: 20 MB up (multipart) and down with mode preserved, Range, names and headers", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-files-"));
  const h = await harness({ fileBaseDir: dir });
  try {
    const t = await h.login();
    const data = bytes(20 * 1024 * 1024);
    const remote = join(dir, "big file ü.bin");
    const form = new FormData();
    form.append("filename", "big file ü.bin");
    form.append("file", new Blob([data]), "filename");
    const up = await h.call(t, "/appmesh/file/upload", {
      method: "POST",
      headers: { "X-File-Path": encodeURIComponent(remote), "X-File-Mode": "416" },
      body: form,
    });
    assert.equal(up.status, 200, await up.clone().text());
    assert.equal(await up.text(), "");
    const st = await stat(remote);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(sha(await readFile(remote)), sha(data));

    const down = await h.call(t, "/appmesh/file/download", {
      headers: { "X-File-Path": encodeURIComponent(remote) },
    });
    assert.equal(down.status, 200);
    assert.equal(down.headers.get("x-file-mode"), "416");
    assert.ok(down.headers.get("x-file-user"));
    assert.ok(down.headers.get("x-file-group"));
    assert.equal(down.headers.get("content-length"), String(data.length));
    assert.equal(down.headers.get("content-type"), "application/octet-stream");
    assert.equal(
      down.headers.get("content-disposition"),
      "attachment; filename=big+file+%C3%BC.bin",
    );
    assert.equal(sha(new Uint8Array(await down.arrayBuffer())), sha(data));

    const part = await h.call(t, "/appmesh/file/download", {
      headers: { "X-File-Path": encodeURIComponent(remote), Range: "bytes=100-199" },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${data.length}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), data.subarray(100, 200));
    const tail = await h.call(t, "/appmesh/file/download", {
      headers: { "X-File-Path": encodeURIComponent(remote), Range: "bytes=-10" },
    });
    assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), data.subarray(data.length - 10));
    const beyond = await h.call(t, "/appmesh/file/download", {
      headers: { "X-File-Path": encodeURIComponent(remote), Range: `bytes=${data.length}-` },
    });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${data.length}`);
    await beyond.body?.cancel();

    // The daemon refuses to overwrite.
    const again = await h.call(t, "/appmesh/file/upload", {
      method: "POST",
      headers: {
        "X-File-Path": encodeURIComponent(remote),
        "Content-Type": "application/octet-stream",
      },
      body: "x",
    });
    assert.equal(again.status, 403);
    assert.deepEqual(await again.json(), { message: "file already exist" });

    // A raw body is accepted too.
    const raw = join(dir, "raw.txt");
    const rawUp = await h.call(t, "/appmesh/file/upload", {
      method: "POST",
      headers: {
        "X-File-Path": raw,
        "Content-Type": "application/octet-stream",
        "X-File-Mode": "493",
      },
      body: "raw body\n",
    });
    assert.equal(rawUp.status, 200);
    assert.equal(await readFile(raw, "utf8"), "raw body\n");
    assert.equal((await stat(raw)).mode & 0o777, 0o755);

    // X-File-Path is URL-decoded as Go's QueryUnescape: %2B is "+", a bare "+" is a space.
    const plus = await h.call(t, "/appmesh/file/upload", {
      method: "POST",
      headers: { "X-File-Path": encodeURIComponent(join(dir, "a+b c.txt")) },
      body: "plus",
    });
    assert.equal(plus.status, 200);
    assert.equal(await readFile(join(dir, "a+b c.txt"), "utf8"), "plus");
    const bare = await h.call(t, "/appmesh/file/download", {
      headers: { "X-File-Path": join(dir, "a+b c.txt") },
    });
    assert.equal(bare.status, 406);
    await bare.body?.cancel();
  } finally {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("files: 406 missing, 403 outside the base dir or with .., 400 without X-File-Path, permissions", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-files-"));
  const h = await harness({ fileBaseDir: dir });
  try {
    const t = await h.login();
    const dl = (path: string) =>
      h.call(t, "/appmesh/file/download", { headers: { "X-File-Path": path } });
    const missing = await dl(join(dir, "no-such-file"));
    assert.equal(missing.status, 406);
    assert.deepEqual(await missing.json(), { message: "file not found" });
    const outside = await dl("/etc/hostname");
    assert.equal(outside.status, 403);
    assert.deepEqual(await outside.json(), { message: "Invalid file path" });
    const dotdot = await dl(`${dir}/../etc/passwd`);
    assert.equal(dotdot.status, 403);
    const none = await h.call(t, "/appmesh/file/download");
    assert.equal(none.status, 400);
    assert.deepEqual(await none.json(), { message: "header 'X-File-Path' not found" });
    const test = await h.login("test", "test123");
    const denied = await h.call(test, "/appmesh/file/download", {
      headers: { "X-File-Path": join(dir, "x") },
    });
    assert.equal(denied.status, 400);
    assert.deepEqual(await body(denied), {
      message: "Permission denied: user 'test' lacks required permission 'file-download'",
    });
  } finally {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("files: bad multipart is a 400 that leaves no file behind, and the server goes on", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-files-"));
  const h = await harness();
  try {
    const t = await h.login();
    const send = (name: string, contentType: string, payload: string) =>
      h.call(t, "/appmesh/file/upload", {
        method: "POST",
        headers: { "X-File-Path": join(dir, name), "Content-Type": contentType },
        body: payload,
      });
    const cases: [string, string][] = [
      ["multipart/form-data", "--x\r\n\r\nbody"],
      [
        "multipart/form-data; boundary=zz",
        '--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\ntruncated',
      ],
      ["multipart/form-data; boundary=zz", "no boundary at all"],
      [
        "multipart/form-data; boundary=zz",
        '--zz\r\nContent-Disposition: form-data; name="filename"\r\n\r\nf\r\n--zz--\r\n',
      ],
      ["multipart/form-data; boundary=zz", "--zz\r\nbroken header line\r\n\r\nx\r\n--zz--\r\n"],
    ];
    for (const [i, [ct, payload]] of cases.entries()) {
      const res = await send(`bad${i}`, ct, payload);
      assert.equal(res.status, 400, `case ${i}`);
      assert.ok(typeof (await res.json()).message === "string");
      await assert.rejects(stat(join(dir, `bad${i}`)));
    }
    // Hand-made, well-formed: the file part wins whatever comes around it.
    const ok = await send(
      "good",
      "multipart/form-data; boundary=zz",
      'preamble\r\n--zz\r\nContent-Disposition: form-data; name="filename"\r\n\r\ngood\r\n' +
        '--zz\r\nContent-Disposition: form-data; name="file"; filename="filename"\r\n' +
        "Content-Type: application/octet-stream\r\n\r\nline1\r\n--zz-not-the-end\r\n\r\n--zz--\r\nepilogue",
    );
    assert.equal(ok.status, 200);
    assert.equal(await readFile(join(dir, "good"), "utf8"), "line1\r\n--zz-not-the-end\r\n");
    const list = await h.call(t, "/appmesh/applications");
    assert.equal(list.status, 200);
    await writeFile(join(dir, "unused"), "");
  } finally {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});
