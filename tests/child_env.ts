/**
 * The environment a test's child process keeps when the test gives it a temporary `HOME`: the
 * runtimes' caches stay where they are, so a child does not download Deno's, npm's or Bun's
 * packages again.
 */
import { join } from "node:path";
import process from "node:process";

/** `DENO_DIR`, `npm_config_cache` and `BUN_INSTALL_CACHE_DIR`, pointed at the real caches. */
export function keptCaches(): Record<string, string> {
  const env = process.env;
  const home = env.HOME ?? "/root";
  return {
    DENO_DIR: env.DENO_DIR ?? join(home, ".cache", "deno"),
    npm_config_cache: env.npm_config_cache ?? join(home, ".npm"),
    BUN_INSTALL_CACHE_DIR: env.BUN_INSTALL_CACHE_DIR ?? join(home, ".bun", "install", "cache"),
  };
}
