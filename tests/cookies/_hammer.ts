/**
 * Child process of the concurrency test: `updateCookieFile` N times on one file, each time
 * incrementing a shared counter cookie and setting this writer's own token cookie.
 *
 * Usage: `deno run -A _hammer.ts FILE ID COUNT` (or `bun _hammer.ts FILE ID COUNT`).
 */
import process from "node:process";
import { updateCookieFile } from "../../src/cookies/file.ts";
import type { Cookie } from "../../src/cookies/jar.ts";

const [file, id, count] = process.argv.slice(-3);
const base: Omit<Cookie, "name" | "value"> = {
  domain: "127.0.0.1",
  hostOnly: true,
  path: "/",
  secure: true,
  httpOnly: true,
  expires: Math.floor(Date.now() / 1000) + 3600,
};

for (let i = 1; i <= Number(count); i++) {
  await updateCookieFile(file, async (current) => {
    const counter = Number(current.find((c) => c.name === "counter")?.value ?? "0");
    // Yield inside the critical section so that a missing lock would show as lost updates.
    await new Promise((r) => setTimeout(r, 1));
    const mine = new Set(["counter", `w${id}`, "appmesh_auth_token"]);
    const others = current.filter((c) => !mine.has(c.name));
    return [
      ...others,
      { ...base, name: "counter", value: String(counter + 1) },
      { ...base, name: `w${id}`, value: String(i) },
      { ...base, name: "appmesh_auth_token", value: `token-${id}-${i}` },
    ];
  }, { wait: 60_000 });
}
