/**
 * Live output against a server that holds output polls as the App Mesh daemon does: until the
 * process exits or the poll's `timeout` passes, then one answer with everything new. Output
 * must still show within about a second of being printed: through the client's `wait`, a
 * workflow's `wait` step (`output: stream`) and `appmesh run`.
 */
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import { runWorkflow } from "../../src/workflow/run/engine.ts";
import { parseWorkflow } from "../../src/workflow/load/load.ts";
import { seedSession, spawnCli } from "../cli/helpers.ts";

/** Lines the fake process prints, one every `EVERY` ms, then it exits. */
const LINES = 10;
const EVERY = 300;
/** The most a line may take from being printed to being shown. */
const LIVE_MS = 1500;

interface HeldPollServer {
  url: string;
  /** When each line was printed (ms, `performance.now()`), by its text. */
  printed: Map<string, number>;
  /** The `timeout` of every output poll. */
  timeouts: number[];
  close(): Promise<void>;
}

/** A plain-HTTP stand-in of the daemon's run and output endpoints, holding polls as it does. */
function heldPollServer(): HeldPollServer {
  const printed = new Map<string, number>();
  const timeouts: number[] = [];
  let started = -1;
  const exitAt = () => started + (LINES + 1) * EVERY;
  const outputUntil = (now: number) => {
    let text = "";
    for (let i = 1; i <= LINES; i++) {
      const at = started + i * EVERY;
      if (at > now) break;
      const line = `line ${i}`;
      if (!printed.has(line)) printed.set(line, at);
      text += `${line}\n`;
    }
    return text;
  };
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const u = new URL(req.url);
      if (req.method === "POST" && u.pathname === "/appmesh/app/run") {
        await req.body?.cancel();
        started = performance.now();
        return Response.json({ name: "live-run", process_uuid: "uuid-1" });
      }
      if (req.method === "GET" && u.pathname === "/appmesh/app/live-run/output") {
        const timeout = Number(u.searchParams.get("timeout") ?? 0);
        timeouts.push(timeout);
        const from = Number(u.searchParams.get("stdout_position") ?? 0);
        // Held until the exit or the poll's timeout, whichever comes first; new output does
        // not end it (the daemon's behaviour).
        const until = Math.min(exitAt(), performance.now() + timeout * 1000);
        await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
        const now = performance.now();
        const all = new TextEncoder().encode(outputUntil(now));
        const headers: Record<string, string> = {
          "content-type": "text/plain; charset=utf-8",
          "x-output-position": String(all.length),
        };
        if (now >= exitAt()) headers["x-exit-code"] = "0";
        return new Response(all.slice(from), { headers });
      }
      if (req.method === "DELETE" && u.pathname === "/appmesh/app/live-run") {
        return Response.json({ message: "deleted" });
      }
      return Response.json({ message: "not here" }, { status: 404 });
    },
  );
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    printed,
    timeouts,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

/** Checks that each line was shown within LIVE_MS of being printed. */
function assertLive(server: HeldPollServer, shown: Map<string, number>): void {
  assert.equal(shown.size, LINES, `lines shown: ${[...shown.keys()].join(", ")}`);
  const late = [...shown].map(([line, at]) => [line, Math.round(at - server.printed.get(line)!)])
    .filter(([, delay]) => (delay as number) > LIVE_MS);
  assert.deepEqual(late, [], `shown more than ${LIVE_MS} ms after printing [line, ms]`);
}

/** Notes when each complete line of a stream of chunks arrived. */
function lineClock(): { push(chunk: string): void; shown: Map<string, number> } {
  const shown = new Map<string, number>();
  let pending = "";
  return {
    shown,
    push(chunk) {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) if (line.startsWith("line ")) shown.set(line, performance.now());
    },
  };
}

test("live output: AppRun.wait shows output within a second from a daemon-like server", async () => {
  const server = heldPollServer();
  const client = new AppMeshClient({ baseUrl: server.url, token: "t" });
  try {
    const run = await client.runAppAsync("printer");
    const clock = lineClock();
    const code = await run.wait({ onOutput: (chunk) => clock.push(chunk) });
    assert.equal(code, 0);
    assertLive(server, clock.shown);
    assert.ok(server.timeouts.every((t) => t === 1), `poll timeouts ${server.timeouts}`);
  } finally {
    await client.close();
    await server.close();
  }
});

test("live output: a workflow's wait step streams within a second", async () => {
  const server = heldPollServer();
  const client = new AppMeshClient({ baseUrl: server.url, token: "t" });
  try {
    const wf = parseWorkflow(`name: live
steps:
  - id: job
    run_async: { command: printer }
  - wait: { run: job, output: stream }
`);
    const clock = lineClock();
    const report = await runWorkflow(wf, {
      client,
      env: {},
      onEvent: (e) => {
        if (e.type === "step_output") clock.push(e.message ?? "");
      },
    });
    assert.equal(report.status, "success", JSON.stringify(report.nodes));
    assertLive(server, clock.shown);
  } finally {
    await client.close();
    await server.close();
  }
});

test("live output: appmesh run shows output within a second", async () => {
  const server = heldPollServer();
  const home = await Deno.makeTempDir({ prefix: "live-run-" });
  try {
    await seedSession(server.url, `${home}/cookies.txt`);
    const child = spawnCli(["run", "--url", server.url, "--", "printer"], {
      env: { HOME: home, APPMESH_COOKIE_FILE: `${home}/cookies.txt` },
    });
    const clock = lineClock();
    const errP = new Response(child.stderr).text();
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      clock.push(chunk);
    }
    const status = await child.status;
    assert.equal(status.code, 0, await errP);
    assertLive(server, clock.shown);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});
