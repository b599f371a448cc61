// The `appmesh` command on a terminal, on whichever runtime runs this file: `script` (util-linux)
// gives it a pseudo-terminal, and the test types into it. The password prompt echoes nothing,
// Ctrl-C at the prompt is exit 130 — the same on Deno, Bun and Node.
// @bun
// @node
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime, test } from "../harness.ts";
import { startDevServer } from "../../src/devserver/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const hasScript = spawnSync("script", ["--version"]).status === 0;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Runs `appmesh ARGS` on a pseudo-terminal, typing `keys` once the prompt shows; all it showed. */
function onTerminal(args: string[], keys: string): Promise<string> {
  const cmd = runtime === "deno"
    ? [process.execPath, "run", "-A", `${ROOT}src/cli/main.ts`]
    : [process.execPath, `${ROOT}src/cli/bin.ts`];
  const line = [...cmd, ...args].map(quote).join(" ") + "; echo EXIT=$?";
  const child = spawn("script", ["-qfec", line, "/dev/null"], {
    env: { ...process.env, NO_COLOR: "1", TERM: "xterm" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let closing: ReturnType<typeof setTimeout> | undefined;
  const seen = (d: string) => {
    out += d;
    // Raw mode is on before the prompt shows, so keys typed after it are never echoed.
    if (closing === undefined && out.includes("Password for admin: ")) {
      child.stdin.write(keys);
      // Keep stdin open a while (script ends the session at EOF on its input).
      closing = setTimeout(() => child.stdin.end(), 15_000);
    }
    if (/EXIT=\d+/.test(out)) child.stdin.end();
  };
  child.stdout.on("data", seen);
  child.stderr.on("data", seen);
  return new Promise((resolve) =>
    child.on("close", () => {
      clearTimeout(closing);
      resolve(out);
    })
  );
}

test("tty: the password prompt echoes nothing; Ctrl-C at it is exit 130", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-tty-"));
  const server = await startDevServer({ stateDir: join(dir, "state") });
  const conn = ["--url", server.urls[0], "--ca", server.caFile ?? ""];
  try {
    const cookieFile = join(dir, "cookies.txt");
    const typed = await onTerminal(
      ["login", "-u", "admin", ...conn, "--cookie-file", cookieFile],
      "admin123\r",
    );
    assert.match(typed, /Password for admin: /, typed);
    assert.doesNotMatch(typed, /admin123/, typed);
    assert.match(typed, /logged in as admin/, typed);
    assert.match(typed, /EXIT=0/, typed);
    assert.match(await readFile(cookieFile, "utf8"), /appmesh/i);

    const interrupted = await onTerminal(
      ["login", "-u", "admin", ...conn, "--cookie-file", join(dir, "other.txt")],
      "\u0003",
    );
    assert.match(interrupted, /appmesh: interrupted/, interrupted);
    assert.match(interrupted, /EXIT=130/, interrupted);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}, { skip: hasScript ? false : true, timeout: 120_000 });
