// The streaming multipart reader, fed in every possible chunking.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { multipartBoundary, MultipartError, readMultipart } from "../../src/devserver/multipart.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    pieces.push(bytes.slice(at, c));
    at = c;
  }
  return new ReadableStream({
    pull(ctrl) {
      const next = pieces.shift();
      if (next) ctrl.enqueue(next);
      else ctrl.close();
    },
  });
}

async function parts(stream: ReadableStream<Uint8Array>, boundary: string) {
  const out: { name: string; filename?: string; text: string }[] = [];
  for await (const part of readMultipart(stream, boundary)) {
    let text = "";
    for await (const chunk of part.body) text += dec.decode(chunk, { stream: true });
    out.push({ name: part.name, filename: part.filename, text });
  }
  return out;
}

const BODY = '--b0undary\r\nContent-Disposition: form-data; name="filename"\r\n\r\nx.bin\r\n' +
  '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="filename"\r\n' +
  "Content-Type: application/octet-stream\r\n\r\n\r\n--b0und\r\n--b0undaryX\r\nend\r\n--b0undary--\r\n";
const EXPECTED = [
  { name: "filename", filename: undefined, text: "x.bin" },
  { name: "file", filename: "filename", text: "\r\n--b0und\r\n--b0undaryX\r\nend" },
];

test("multipart: same parts whatever the chunking (every single cut, and byte by byte)", async () => {
  const bytes = enc.encode(BODY);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(await parts(streamOf(bytes, [cut]), "b0undary"), EXPECTED, `cut at ${cut}`);
  }
  const every = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(await parts(streamOf(bytes, every), "b0undary"), EXPECTED);
});

test("multipart: skipping a part's body still finds the next part; malformed input throws", async () => {
  const names: string[] = [];
  for await (const part of readMultipart(streamOf(enc.encode(BODY), [7, 50, 90]), "b0undary")) {
    names.push(part.name);
  }
  assert.deepEqual(names, ["filename", "file"]);
  const bad = [
    "no delimiter here",
    '--b0undary\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated',
    "--b0undary\r\nno colon\r\n\r\nx\r\n--b0undary--",
    "--b0undary\r\nContent-Type: text/plain\r\n\r\nx\r\n--b0undary--",
    "--b0undary",
  ];
  for (const b of bad) {
    await assert.rejects(parts(streamOf(enc.encode(b), []), "b0undary"), MultipartError, b);
  }
});

test("multipart: boundary from Content-Type", () => {
  assert.equal(multipartBoundary("multipart/form-data; boundary=abc"), "abc");
  assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), "a b");
  assert.equal(multipartBoundary("multipart/form-data"), undefined);
  assert.equal(multipartBoundary("application/octet-stream"), undefined);
  assert.equal(multipartBoundary(null), undefined);
});
