#!/usr/bin/env node
/**
 * The `appmesh` program: the `bin` entry of the npm package (`npx appmesh`, `bunx appmesh`),
 * and `node src/cli/bin.ts` from a checkout. Deno runs `src/cli/main.ts` directly.
 *
 * @module
 */
import { runCli } from "./main.ts";

await runCli();
