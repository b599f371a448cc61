// The command line meeting a held cookie-file lock and a misbehaving server (issue 9): one
// clear line each, never a crash or a stack trace.
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import { tryLock } from "../../src/runtime/lock.ts";
import { runCli, seedSession, startFixture } from "./helpers.ts";

/** A plain-HTTP server answering every request with `answer`. */
async function misbehaving(answer: (res: ServerResponse) => void) {
  const server = createServer((_req, res) => answer(res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.doesNotMatch(stderr, /unexpected error|APPMESH_DEBUG|\n\s+at /);
  return lines[0];
}

Deno.test("cli: a cookie-file lock held by a live process: one line naming the holder, exit 1", async () => {
  const f = await startFixture(1);
  const lock = (await tryLock(f.cookieFile))!;
  try {
    const r = await runCli(["login", "-u", "admin", "--password-stdin"], {
      env: f.env,
      stdin: "admin123\n",
    });
    assert.equal(r.code, 1, r.stderr);
    const line = oneLine(r.stderr);
    assert.match(line, /^appmesh: could not lock .*cookies\.txt\.lock within 10000 ms/);
    assert.match(line, new RegExp(`held by pid ${Deno.pid}`));
  } finally {
    await lock.release();
    await f.close();
  }
});

/** `appmesh apps` against `url`, with a session saved as after `appmesh login`, in a fresh HOME. */
async function appsAgainst(url: string) {
  const dir = await Deno.makeTempDir();
  try {
    await seedSession(url, `${dir}/c.txt`);
    return await runCli(["apps"], {
      env: { APPMESH_URL: url, APPMESH_COOKIE_FILE: `${dir}/c.txt`, HOME: dir },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cli: `apps` against a server answering null: one line, no crash", async () => {
  const srv = await misbehaving((res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("null");
  });
  try {
    const r = await appsAgainst(srv.url);
    assert.equal(r.code, 1, r.stderr);
    assert.match(oneLine(r.stderr), /expected a JSON array of objects, got null/);
  } finally {
    await srv.close();
  }
});

Deno.test("cli: a server's 1 MB error message is cut in the one line printed", async () => {
  const srv = await misbehaving((res) => {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "\x1b[2Jdisk full " + "z".repeat(1_000_000) }));
  });
  try {
    const r = await appsAgainst(srv.url);
    assert.equal(r.code, 1, r.stderr);
    const line = oneLine(r.stderr);
    assert.match(line, /HTTP 500 disk full z+…/, line.slice(-200));
    assert.ok(line.length < 800, `${line.length} characters`);
    assert.ok(!line.includes("\x1b"));
  } finally {
    await srv.close();
  }
});
