// A misbehaving server (issue 9): redirects are never followed, bodies that are not what the
// API promises are typed errors, answers are capped, a server's message is cut, bad names are
// refused before sending. Each mode is a small real HTTP server made in the test.
// @bun
// @node
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "../harness.ts";
import {
  AppMeshClient,
  type AppMeshError,
  AppMeshHttpError,
  AppMeshResponseError,
} from "../../src/client/mod.ts";
import { httpServer } from "./_helpers.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server whose every request is recorded (method, url, headers). */
async function recording(handler: Handler) {
  const seen: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];
  const server = await httpServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    handler(req, res);
  });
  return { ...server, seen };
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

/** The client option sets that exercise each fetch path: the runtime's own, and node:https. */
const PATHS: [string, { verify?: boolean }][] = [["runtime fetch", {}], ["verify:false path", {
  verify: false,
}]];

test("a 307 to another host is an AppMeshResponseError; nothing is sent there", async () => {
  const elsewhere = await recording((_req, res) => json(res, 200, '[{"name":"stolen"}]'));
  const api = await recording((req, res) => {
    res.writeHead(req.method === "POST" ? 302 : 307, {
      location: `${elsewhere.base}${req.url}`,
    });
    res.end();
  });
  try {
    for (const [label, extra] of PATHS) {
      const client = new AppMeshClient({ baseUrl: api.base, token: "secret-token", ...extra });
      try {
        for (const call of [() => client.listApps(), () => client.addLabel("a", "b")]) {
          await assert.rejects(call(), (e: unknown) => {
            assert.ok(e instanceof AppMeshResponseError, `${label}: ${e}`);
            assert.equal(e.code, "REDIRECT");
            assert.ok(e.status === 307 || e.status === 302, `${label}: status ${e.status}`);
            assert.match(e.message, /redirects are not followed/);
            assert.ok(!e.message.includes("secret-token"));
            return true;
          });
        }
      } finally {
        await client.close();
      }
    }
    assert.equal(elsewhere.seen.length, 0, "the redirect was followed");
    assert.equal(api.seen.length, 2 * PATHS.length);
  } finally {
    await api.close();
    await elsewhere.close();
  }
});

test("every 3xx is refused, also with a body, and the CSRF header goes nowhere else", async () => {
  const elsewhere = await recording((_req, res) => json(res, 200, "{}"));
  let status = 300;
  const api = await recording((_req, res) => {
    res.writeHead(status, { location: `${elsewhere.base}/x`, "content-type": "text/html" });
    res.end("<html>moved</html>");
  });
  try {
    for (status of [301, 302, 303, 307, 308]) {
      const client = new AppMeshClient({ baseUrl: api.base });
      await assert.rejects(client.getConfig({ headers: { "x-csrf-token": "csrf-secret" } }), {
        name: "AppMeshResponseError",
        code: "REDIRECT",
      });
      await client.close();
    }
    assert.equal(elsewhere.seen.length, 0);
  } finally {
    await api.close();
    await elsewhere.close();
  }
});

test("null, {} or [1] where a list is promised: AppMeshResponseError naming what was expected", async () => {
  let body = "null";
  const api = await recording((_req, res) => json(res, 200, body));
  const client = new AppMeshClient({ baseUrl: api.base, token: "t" });
  try {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ["null", () => client.listApps(), /expected a JSON array of objects, got null/],
      ["{}", () => client.listApps(), /expected a JSON array of objects, got an object/],
      ["[1]", () => client.listApps(), /got a number at index 0/],
      ["[null]", () => client.listApps(), /got null at index 0/],
      ["null", () => client.getApp("x"), /expected a JSON object, got null/],
      ["[]", () => client.getConfig(), /expected a JSON object, got an array/],
      ['"text"', () => client.listLabels(), /expected a JSON object, got a string/],
      ["[1]", () => client.listGroups(), /expected a JSON array of strings/],
      ["{}", () => client.listPermissions(), /expected a JSON array of strings, got an object/],
      ["null", () => client.getUserPermissions(), /got null/],
      ["null", () => client.listUsers(), /expected a JSON object, got null/],
    ];
    for (const [given, call, expected] of cases) {
      body = given;
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof AppMeshResponseError, `${given}: ${e}`);
        assert.equal(e.code, "BAD_RESPONSE");
        assert.equal(e.status, 200);
        assert.match(e.message, expected);
        return true;
      });
    }
    body = '[{"name":"a"}]';
    assert.deepEqual(await client.listApps(), [{ name: "a" }]);
  } finally {
    await client.close();
    await api.close();
  }
});

test("a token answer of null is an AppMeshResponseError, not a TypeError", async () => {
  const api = await recording((_req, res) => json(res, 200, "null"));
  const client = new AppMeshClient({ baseUrl: api.base });
  try {
    await assert.rejects(client.login("admin", "pw"), AppMeshResponseError);
  } finally {
    await client.close();
    await api.close();
  }
});

/** Rejects when `p` takes longer than `ms` (an endless body read whole would never end). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still reading after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Writes `[{"i":0},...` for ever (chunked), until the client goes away. */
function endless(res: ServerResponse, status = 200): void {
  res.writeHead(status, { "content-type": "application/json" });
  const chunk = '{"name":"' + "x".repeat(65_000) + '"},';
  res.write("[");
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("error", () => {});
  pump();
}

test("an endless JSON answer stops at maxResponseBytes instead of being buffered", async () => {
  const api = await recording((_req, res) => endless(res));
  const client = new AppMeshClient({ baseUrl: api.base, token: "t", maxResponseBytes: 1 << 20 });
  try {
    for (const call of [() => client.listApps(), (): Promise<unknown> => client.getMetrics()]) {
      await assert.rejects(within(30_000, call()), (e: unknown) => {
        assert.ok(e instanceof AppMeshResponseError, String(e));
        assert.equal((e as AppMeshError).code, "RESPONSE_TOO_LARGE");
        assert.match(e.message, /at most 1048576 bytes \(maxResponseBytes\)/);
        return true;
      });
    }
  } finally {
    await client.close();
    await api.close();
  }
});

test("a Content-Length over the limit fails before the body is read (default 64 MiB)", async () => {
  let sent = 0;
  const api = await recording((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": 400_000_000 });
    const chunk = new Uint8Array(65_536).fill(32);
    const pump = () => {
      while (!res.destroyed && sent < 400_000_000 && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed && sent < 400_000_000) res.once("drain", pump);
    };
    res.on("error", () => {});
    pump();
  });
  const client = new AppMeshClient({ baseUrl: api.base, token: "t" });
  try {
    await assert.rejects(within(30_000, client.listApps()), (e: unknown) => {
      assert.ok(e instanceof AppMeshResponseError);
      assert.equal(e.code, "RESPONSE_TOO_LARGE");
      assert.match(e.message, /got Content-Length 400000000/);
      return true;
    });
    assert.ok(sent < 100_000_000, `${sent} bytes went out`);
  } finally {
    await client.close();
    await api.close();
  }
});

test("a huge or endless error body: the server's message is cut, the rest never read", async () => {
  let endlessError = false;
  const api = await recording((_req, res) => {
    if (endlessError) return endless(res, 500);
    json(res, 500, JSON.stringify({ message: "\x1b[31mboom " + "y".repeat(5_000_000) }));
  });
  const client = new AppMeshClient({ baseUrl: api.base, token: "t" });
  try {
    await assert.rejects(client.getConfig(), (e: unknown) => {
      assert.ok(e instanceof AppMeshHttpError);
      assert.equal(e.status, 500);
      assert.ok(e.message.length < 700, `${e.message.length} characters`);
      assert.ok(e.serverMessage!.length <= 501);
      assert.ok(!e.message.includes("\x1b"));
      assert.ok((e.body ?? "").length <= 2001);
      return true;
    });
    endlessError = true;
    await assert.rejects(within(30_000, client.getConfig()), (e: unknown) => {
      assert.ok(e instanceof AppMeshHttpError);
      assert.equal(e.status, 500);
      return true;
    });
  } finally {
    await client.close();
    await api.close();
  }
});

test("names '', '.', '..' and names too long for a URL are refused before sending", async () => {
  const api = await recording((_req, res) => json(res, 200, "{}"));
  const client = new AppMeshClient({ baseUrl: api.base, token: "t" });
  try {
    for (const name of ["", ".", ".."]) {
      await assert.rejects(client.getApp(name), { name: "AppMeshError", code: "INVALID_NAME" });
      await assert.rejects(client.deleteUser(name), { name: "AppMeshError", code: "INVALID_NAME" });
    }
    for (const name of ["a".repeat(5_000), "ü".repeat(200)]) {
      await assert.rejects(client.getApp(name), (e: unknown) => {
        assert.equal((e as AppMeshError).name, "AppMeshError");
        assert.equal((e as AppMeshError).code, "NAME_TOO_LONG");
        assert.match((e as Error).message, /name too long for a URL: \d+ characters once encoded/);
        assert.ok((e as Error).message.length < 200);
        return true;
      });
    }
    assert.equal(api.seen.length, 0);
    assert.deepEqual(await client.getApp("b".repeat(1_000)), {});
  } finally {
    await client.close();
    await api.close();
  }
});
