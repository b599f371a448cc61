// `appmesh app` where a terminal matters or is missing: a cron line (env -i, stdin /dev/null, no
// TTY), Ctrl-C while following a log, and the question `app rm` asks on a real pty (script(1)).
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { assertCode, cliLogin, readUntil, runCli, spawnCli, startFixture } from "./helpers.ts";
import { startWorld, type World } from "./journey_helpers.ts";

async function loggedIn(): Promise<World> {
  const w = await startWorld(1);
  const r = await w.appmesh(["login", "-u", "admin", "--password-stdin"], {
    env: w.serverEnv,
    stdin: "admin123",
  });
  assertCode(r, 0);
  return w;
}

test("app commands: cron lines (env -i, stdin /dev/null, no TTY): rm needs -f, add and rm work", async () => {
  const w = await loggedIn();
  try {
    const vars = `APPMESH_URL=${w.serverEnv.APPMESH_URL} APPMESH_CA=${w.serverEnv.APPMESH_CA}`;
    const add = await w.cron(`${vars} appmesh app add -a nightly -c 'echo ok' --exit standby`);
    assertCode(add, 0);
    // appc's confirmation without a terminal silently removes nothing and exits 0; here the
    // line fails loudly instead.
    const rm = await w.cron(`${vars} appmesh app rm nightly`);
    assertCode(rm, 2);
    assert.match(
      rm.stderr,
      /^appmesh: app rm asks before removing and there is no terminal to ask on; pass --yes \(or -f\)\n$/,
    );
    assertCode(await w.cron(`${vars} appmesh app view nightly > /dev/null`), 0);
    const forced = await w.cron(`${vars} appmesh app rm -f nightly`);
    assertCode(forced, 0);
    assert.equal(forced.stdout + forced.stderr, "");
    assertCode(await w.cron(`${vars} appmesh app view nightly`), 1);
  } finally {
    await w.close();
  }
});

test("app commands: log --follow shows output as it comes; Ctrl-C stops following (130), the app runs on", async () => {
  const fx = await startFixture(1);
  try {
    await cliLogin(fx);
    const add = await runCli(
      [
        "app",
        "add",
        "-a",
        "ticker",
        "--shell",
        "-c",
        "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.3; done",
      ],
      { env: fx.env },
    );
    assertCode(add, 0);
    const child = spawnCli(["app", "log", "-f", "ticker"], { env: fx.env });
    const { lines, rest } = await readUntil(child.stdout, (l) => l === "tick 3");
    assert.deepEqual(lines.slice(0, 3), ["tick 1", "tick 2", "tick 3"]);
    child.kill("SIGINT");
    const [status] = await Promise.all([child.status, rest, child.stderr.cancel()]);
    assert.equal(status.code, 130);
    const view = await runCli(["app", "view", "ticker", "--json"], { env: fx.env });
    assert.ok(JSON.parse(view.stdout).pid > 0, "the app still runs");
    assertCode(await runCli(["app", "rm", "-f", "ticker"], { env: fx.env }), 0);
  } finally {
    await fx.close();
  }
});

test("app commands: on a terminal rm asks first (script(1) gives it a pty); n keeps, y removes", async () => {
  const w = await loggedIn();
  try {
    assertCode(
      await w.appmesh(["app", "add", "-a", "asked", "-c", "sleep 30"], { env: w.serverEnv }),
      0,
    );
    const onTty = async (answer: string) => {
      const vars = Object.entries(w.serverEnv).map(([k, v]) => `${k}=${v}`);
      const child = new Deno.Command("/usr/bin/env", {
        args: [
          "-i",
          `HOME=${w.home}`,
          `PATH=${w.path}`,
          ...vars,
          "script",
          "-qec",
          "appmesh app rm asked",
          "/dev/null",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      // The answer goes in once the question is on the terminal.
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/\[y\/N\]/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      await writer.write(new TextEncoder().encode(answer));
      await writer.close();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      const [status] = await Promise.all([child.status, child.stderr.cancel()]);
      return { code: status.code, text: seen };
    };
    const no = await onTty("n\n");
    assert.equal(no.code, 0, no.text);
    assert.match(no.text, /Remove asked on 127\.0\.0\.1:\d+\? \[y\/N\]/);
    assert.match(no.text, /nothing removed/);
    assertCode(await w.appmesh(["app", "view", "asked"], { env: w.serverEnv }), 0);
    const yes = await onTty("y\n");
    assert.equal(yes.code, 0, yes.text);
    assertCode(await w.appmesh(["app", "view", "asked"], { env: w.serverEnv }), 1);
  } finally {
    await w.close();
  }
});
