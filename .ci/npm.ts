/**
 * `deno task npm`: the npm package, built from the same source as the JSR one, into `dist/npm/`
 * (gitignored), then `npm pack --dry-run` on it (`deno task check` runs both).
 *
 * The compiler is TypeScript's own `tsc`, pinned, from npm: it emits ES modules and `.d.ts`
 * files from the source as is (`rewriteRelativeImportExtensions` turns `./x.ts` into
 * `./x.js`), and is the best-maintained tool for the job. It runs with `noCheck`: type checking
 * is `deno check`'s job, against Deno's types as well as Node's.
 *
 * The package: `esm/` (JavaScript and declarations, same folder layout as the repository),
 * README.md, LICENSE, and a package.json whose name, version, license and `exports` come from
 * deno.json and whose dependencies come from the repository's package.json, plus the `bin`
 * entry `appmesh` (src/cli/bin.ts).
 *
 * Usage: `deno run -A .ci/npm.ts [--out=DIR] [--pack] [--pack-destination=DIR]` (`--out`: the
 * package folder instead of dist/npm, so that a test builds its own; `--pack` also writes the
 * tarball, into dist/ unless told). Node 22 runs it too (`node .ci/npm.ts`).
 */
import { spawnSync } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const TYPESCRIPT = "typescript@5.9.3";
const root = fileURLToPath(new URL("..", import.meta.url));
const option = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const out = option("out") ?? join(root, "dist/npm");
const pack = process.argv.includes("--pack");
const packTo = option("pack-destination") ?? join(root, "dist");

function sh(cmd: string, args: string[], cwd = root): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? "");
    throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}`);
  }
  return r.stdout;
}

const deno = JSON.parse(await readFile(join(root, "deno.json"), "utf8")) as {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
};
const dev = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const entries = [...Object.values(deno.exports), "./src/cli/bin.ts"];
sh("npx", [
  "-y",
  "-p",
  TYPESCRIPT,
  "tsc",
  "--noCheck",
  "--declaration",
  "--module",
  "nodenext",
  "--moduleResolution",
  "nodenext",
  "--target",
  "es2022",
  "--rewriteRelativeImportExtensions",
  "--allowImportingTsExtensions",
  "--skipLibCheck",
  "--rootDir",
  ".",
  "--outDir",
  join(out, "esm"),
  ...entries,
]);

// tsc keeps `./x.ts` in declaration files; consumers resolve `./x.js` to `./x.d.ts`.
async function fixDeclarations(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) n += await fixDeclarations(path);
    else if (e.name.endsWith(".d.ts")) {
      const text = await readFile(path, "utf8");
      const fixed = text.replace(
        /^((?:import|export)\b[^;]*?\bfrom\s+|\s*import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/gm,
        "$1$2$3.js$2",
      ).replace(/(import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
      if (fixed !== text) await writeFile(path, fixed);
      n++;
    }
  }
  return n;
}
const declarations = await fixDeclarations(join(out, "esm"));

const js = (p: string) => p.replace(/^\.\//, "./esm/").replace(/\.ts$/, ".js");
const exportsMap: Record<string, { types: string; default: string }> = {};
for (const [key, path] of Object.entries(deno.exports)) {
  exportsMap[key] = { types: js(path).replace(/\.js$/, ".d.ts"), default: js(path) };
}
const manifest = {
  name: deno.name,
  version: deno.version,
  description:
    "App Mesh from TypeScript on fetch alone: client, YAML workflow runner, local server, and the appmesh command (Node 22+, Bun, Deno).",
  license: deno.license,
  type: "module",
  exports: exportsMap,
  bin: { appmesh: js("./src/cli/bin.ts") },
  engines: { node: ">=22.18" },
  files: ["esm/", "README.md", "LICENSE"],
  dependencies: dev.dependencies,
  keywords: ["appmesh", "app-mesh", "workflow", "cli", "deno", "bun"],
};
await writeFile(join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
await cp(join(root, "README.md"), join(out, "README.md"));
await cp(join(root, "LICENSE"), join(out, "LICENSE"));

const listed = sh("npm", ["pack", "--dry-run", "--json"], out);
const files = (JSON.parse(listed) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
for (
  const need of [
    "package.json",
    "README.md",
    "LICENSE",
    ...Object.values(exportsMap).flatMap((e) => [e.types, e.default]).map((p) => p.slice(2)),
    manifest.bin.appmesh.slice(2),
  ]
) {
  if (!files.includes(need)) throw new Error(`npm pack: ${need} missing from the package`);
}
console.log(
  `dist/npm: ${files.length} files (${declarations} declarations), npm pack --dry-run ok`,
);
if (pack) {
  const name = sh("npm", ["pack", "--pack-destination", packTo], out).trim().split("\n").pop();
  console.log(join(packTo, name ?? ""));
}
