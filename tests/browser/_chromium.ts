/**
 * Helpers of the browser test: the page bundle (esbuild, dynamic imports kept as chunks), the
 * page server (another origin than the local server, plus a reverse proxy to it on its own
 * origin), and headless Chromium trusting the local server's certificate. No browser driver:
 * the page posts its report back to the server that served it.
 */
import * as esbuild from "esbuild";
import { X509Certificate } from "node:crypto";

/** Debian's package, or whatever `CHROMIUM` names. */
export function findChromium(): string {
  const named = Deno.env.get("CHROMIUM");
  const candidates = named ? [named] : ["chromium", "chromium-browser", "google-chrome"];
  for (const name of candidates) {
    const dirs = name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
    for (const dir of dirs) {
      const file = dir ? `${dir}/${name}` : name;
      try {
        if (Deno.statSync(file).isFile) return file;
      } catch {
        // not there
      }
    }
  }
  throw new Error(
    "Chromium not found (tried CHROMIUM, chromium, chromium-browser, google-chrome): " +
      "apt-get install -y chromium (.ci/run does it on CI)",
  );
}

/** The bundle as a browser gets it: file name → text. */
export interface Bundle {
  files: Map<string, string>;
  /** The entry file (`page.js`). */
  entry: string;
}

/** Bundles `entry` as esbuild does for a browser app: ESM, code splitting, `node:*` external. */
export async function bundle(entry: string): Promise<Bundle> {
  try {
    const result = await esbuild.build({
      entryPoints: { page: entry },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      external: ["node:*"],
      outdir: "/bundle",
      write: false,
      logLevel: "silent",
    });
    const files = new Map(
      result.outputFiles.map((f) => [f.path.slice("/bundle/".length), f.text] as const),
    );
    return { files, entry: "page.js" };
  } finally {
    await esbuild.stop();
  }
}

/**
 * Whether esbuild's output imports `node:*` statically (at load, not through `import()`): its
 * import statements start a line, unlike the examples it keeps in comments.
 */
export function importsNodeStatically(code: string): boolean {
  return /^import\s*(?:[\w$*{},\s]+?from\s*)?["']node:/m.test(code);
}

/** SHA-256 of each certificate's public key (base64): `--ignore-certificate-errors-spki-list`. */
export async function spkiHashes(pemFiles: string[]): Promise<string[]> {
  const hashes: string[] = [];
  for (const file of pemFiles) {
    const pems = (await Deno.readTextFile(file)).match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
    ) ?? [];
    for (const pem of pems) {
      const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(spki)));
      hashes.push(btoa(String.fromCharCode(...digest)));
    }
  }
  return hashes;
}

/** The page server: bundle files, the page, a TOTP source, the report, and a proxy. */
export interface PageServer {
  origin: string;
  /** Bundle files the browser asked for. */
  requested: Set<string>;
  /** The page's report (or its fatal error). */
  report: Promise<unknown>;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>@appmesh/sdk in a browser</title>
<script>
  const fatal = (what) =>
    fetch("/report", { method: "POST", body: JSON.stringify({ fatal: what }) });
  addEventListener("error", (e) => fatal(String(e.message)));
  addEventListener("unhandledrejection", (e) => fatal(String(e.reason?.stack ?? e.reason)));
</script>
<script type="module" src="/page.js" onerror="fatal('page.js did not load')"></script>
`;

/**
 * Serves the page on a free port of 127.0.0.1 over plain HTTP (another origin than the local
 * server's HTTPS one), and forwards `/appmesh/*` to `upstream` like a reverse proxy.
 */
export function servePage(
  b: Bundle,
  o: { upstream: string; caPem: string; totp: () => string },
): PageServer {
  const requested = new Set<string>();
  const upstream = Deno.createHttpClient({ caCerts: [o.caPem] });
  let deliver!: (v: unknown) => void;
  const report = new Promise<unknown>((resolve) => deliver = resolve);
  const hopByHop = new Set(["host", "connection", "keep-alive", "transfer-encoding"]);
  const proxy = async (req: Request, url: URL) => {
    const headers = new Headers();
    for (const [k, v] of req.headers) if (!hopByHop.has(k)) headers.set(k, v);
    const body = req.body ? await req.arrayBuffer() : undefined;
    const res = await fetch(new URL(url.pathname + url.search, o.upstream), {
      method: req.method,
      headers,
      body,
      client: upstream,
      redirect: "manual",
    } as RequestInit);
    const out = new Headers();
    for (const [k, v] of res.headers) {
      if (!hopByHop.has(k) && k !== "content-length") out.append(k, v);
    }
    return new Response(res.body, { status: res.status, headers: out });
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/appmesh/")) return await proxy(req, url);
      if (url.pathname === "/") {
        return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      if (url.pathname === "/totp") return new Response(o.totp());
      if (url.pathname === "/report" && req.method === "POST") {
        deliver(JSON.parse(await req.text()));
        return new Response(null, { status: 204 });
      }
      const name = url.pathname.slice(1);
      const code = b.files.get(name);
      if (code === undefined) return new Response("not found", { status: 404 });
      requested.add(name);
      return new Response(code, { headers: { "content-type": "text/javascript" } });
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    requested,
    report,
    async close() {
      await server.shutdown();
      upstream.close();
    },
  };
}

/** A running headless Chromium. */
export interface Browser {
  /** Its profile folder (removed by `close`). */
  profile: string;
  /** Resolves when the browser exits by itself (a crash, a bad flag): its stderr tail. */
  exited: Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium on `url` with a fresh profile, trusting the given key hashes;
 * `extra` flags go before the URL.
 */
export async function launchChromium(
  chromium: string,
  url: string,
  spki: string[],
  extra: string[] = [],
): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "appmesh-chromium-" });
  const child = new Deno.Command(chromium, {
    args: [
      "--headless=new",
      "--no-sandbox", // CI runs as root
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      `--user-data-dir=${profile}`,
      // Trusts the local server's certificate only (the flag needs --user-data-dir).
      `--ignore-certificate-errors-spki-list=${spki.join(",")}`,
      ...extra,
      url,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let tail = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
    }
  })();
  let closing = false;
  const exited = child.status.then(async (s) => {
    await drained;
    return `chromium exited (code ${s.code}${closing ? ", stopped by the test" : ""}): ${tail}`;
  });
  return {
    profile,
    exited,
    async close() {
      closing = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      // Chromium shuts down on SIGTERM; one that hangs is killed after a generous bound.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<boolean>((r) => timer = setTimeout(() => r(true), 15_000));
      if (await Promise.race([exited.then(() => false), hung])) child.kill("SIGKILL");
      clearTimeout(timer);
      await exited;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
