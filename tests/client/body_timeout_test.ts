// Timeouts and aborts while a body is read: a server that stalls mid-body (small answers and
// downloads) is a timeout, a slow but steady download is not, and a download stopped by the
// caller's signal leaves no file. Bodies are read natively (no stream around them).
// @bun
// @node
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import { AppMeshClient, AppMeshTimeoutError } from "../../src/client/mod.ts";
import { httpServer } from "./_helpers.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A plain-HTTP server for one test, a client on it and a temp dir; all closed by `close()`. */
async function local(handler: Handler, timeout: number) {
  const server = await httpServer(handler);
  const { base } = server;
  const client = new AppMeshClient({ baseUrl: base, token: "t", timeout });
  const dir = await mkdtemp(join(tmpdir(), "appmesh-body-timeout-"));
  return {
    base,
    client,
    dir,
    async close() {
      await client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Headers and the first part of a body, then nothing more (the connection stays open). */
const stallAfterHalf: Handler = (_req, res) => {
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": "1000",
    "x-output-position": "3",
  });
  res.write('{"partial": ');
};

test("a server stalling mid-body: the small call times out (json and text readers)", async () => {
  const s = await local(stallAfterHalf, 400);
  try {
    const isTimeout = (path: string) => (e: unknown) => {
      assert.ok(e instanceof AppMeshTimeoutError, String(e));
      assert.equal(e.timeout, 400);
      assert.equal(e.url, `${s.base}${path}`);
      return true;
    };
    await assert.rejects(s.client.getConfig(), isTimeout("/appmesh/config"));
    await assert.rejects(s.client.getMetrics(), isTimeout("/appmesh/metrics"));
    await assert.rejects(s.client.getAppOutput("a"), isTimeout("/appmesh/app/a/output"));
  } finally {
    await s.close();
  }
});

test("a download stalling mid-body times out and leaves no file", async () => {
  const s = await local((_req, res) => {
    res.writeHead(200, { "content-length": String(1 << 20) });
    res.write(new Uint8Array(64 << 10));
  }, 500);
  try {
    const dest = join(s.dir, "stalled.bin");
    await assert.rejects(s.client.downloadFile("/remote/f", dest), (e: unknown) => {
      assert.ok(e instanceof AppMeshTimeoutError, String(e));
      assert.equal(e.url, `${s.base}/appmesh/file/download`);
      return true;
    });
    assert.deepEqual(await readdir(s.dir), []);
  } finally {
    await s.close();
  }
});

test("a slow but steady download takes longer than the timeout and still completes", async () => {
  const chunk = new Uint8Array(4096).fill(7);
  const chunks = 30; // one every 100 ms: 3 s in all, the timeout is 1.5 s without progress
  const s = await local((_req, res) => {
    res.writeHead(200, { "content-length": String(chunk.length * chunks), "x-file-mode": "416" });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(chunk);
      if (++sent === chunks) {
        clearInterval(timer);
        res.end();
      }
    }, 100);
    res.on("close", () => clearInterval(timer));
  }, 1500);
  try {
    const dest = join(s.dir, "slow.bin");
    const seen: number[] = [];
    const r = await s.client.downloadFile("/remote/slow", dest, {
      onProgress: (n, total) => {
        seen.push(n);
        assert.equal(total, chunk.length * chunks);
      },
    });
    assert.equal(r.bytes, chunk.length * chunks);
    assert.equal(r.mode, 0o640);
    assert.equal((await readFile(dest)).length, chunk.length * chunks);
    assert.equal(seen.at(-1), chunk.length * chunks);
    assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]), `progress ${seen}`);
    assert.deepEqual(await readdir(s.dir), ["slow.bin"]);
  } finally {
    await s.close();
  }
});

test("the caller's signal stops a download mid-body: its reason, no file", async () => {
  const ctl = new AbortController();
  const s = await local((_req, res) => {
    res.writeHead(200, { "content-length": String(8 << 20) });
    res.write(new Uint8Array(256 << 10));
  }, 60_000);
  try {
    const dest = join(s.dir, "aborted.bin");
    await assert.rejects(
      s.client.downloadFile("/remote/f", dest, {
        signal: ctl.signal,
        // Mid-body for sure: once the first bytes are on disk (progress is the file's growth).
        onProgress: (n) => n > 0 && ctl.abort(new Error("stop!")),
      }),
      /stop!/,
    );
    assert.deepEqual(await readdir(s.dir), []);
  } finally {
    await s.close();
  }
});

test("download() hands over the runtime's response: body readable, caller's signal aborts it", async () => {
  const ctl = new AbortController();
  const s = await local((req, res) => {
    if (req.headers["x-file-path"] === "/whole") {
      res.writeHead(200, { "x-file-mode": "420" });
      res.end("all of it");
      return;
    }
    res.writeHead(200, { "content-length": "1000" });
    res.write("part");
  }, 60_000);
  try {
    const whole = await s.client.download("/whole");
    assert.equal(whole.url, `${s.base}/appmesh/file/download`);
    assert.equal(await whole.text(), "all of it");
    const partial = await s.client.download("/stalls", { signal: ctl.signal });
    const reading = partial.text();
    ctl.abort(new Error("caller gave up"));
    await assert.rejects(reading);
  } finally {
    await s.close();
  }
});
