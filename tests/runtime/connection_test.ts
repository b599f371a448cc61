// The one resolution of the connection settings: precedence, defaults, and errors naming the
// setting's origin.
// @bun
// @node
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "../harness.ts";
import {
  ConnectionSettingError,
  describeSetting,
  envSource,
  flagSource,
  namedSource,
  resolveConnection,
} from "../../src/runtime/connection.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";

test("connection: flag > workflow > environment > default, each value with its origin", async () => {
  const env = {
    HOME: "/home/ops",
    APPMESH_URL: "https://env:6060",
    APPMESH_COOKIE_FILE: "~/env-cookies.txt",
    APPMESH_TIMEOUT: "PT2M",
  };
  const workflow = namedSource(
    "connection",
    { url: "https://wf:6060", cookieFile: "wf.txt" },
    true,
  );
  const all = await resolveConnection(
    [flagSource({ url: "https://flag:6060/" }), workflow, envSource(env)],
    { env, sslDir: null },
  );
  assert.equal(all.url, "https://flag:6060");
  assert.equal(all.from.url, "--url");
  assert.equal(all.cookieFile, "wf.txt");
  assert.equal(all.from.cookieFile, "connection.cookie_file");
  assert.equal(all.timeout, 120_000);
  assert.equal(all.from.timeout, "$APPMESH_TIMEOUT");
  assert.equal(all.verify, true);

  const envOnly = await resolveConnection([flagSource({}), envSource(env)], { env, sslDir: null });
  assert.equal(envOnly.url, "https://env:6060");
  assert.equal(envOnly.cookieFile, "/home/ops/env-cookies.txt");

  const defaults = await resolveConnection([envSource({ HOME: "/home/ops" })], {
    env: { HOME: "/home/ops" },
    sslDir: null,
  });
  assert.equal(defaults.url, "https://127.0.0.1:6060");
  assert.equal(defaults.cookieFile, "/home/ops/.appmesh/cookies.txt");
  assert.equal(defaults.timeout, 300_000);
  assert.equal(defaults.ca, undefined); // the system's trust store: never "no verification"
  assert.equal(defaults.verify, true);
  assert.equal(
    describeSetting(defaults, "cookieFile"),
    "cookie file /home/ops/.appmesh/cookies.txt (default)",
  );

  // Without a home there is no default cookie file (nothing is written to the working folder).
  const homeless = await resolveConnection([], { env: {}, sslDir: null });
  assert.equal(homeless.cookieFile, undefined);
});

test("connection: App Mesh's certificate folder is the default CA and client certificate", async () => {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-ssl-"));
  try {
    const none = await resolveConnection([], { env: {}, sslDir: dir });
    assert.equal(none.ca, undefined);
    await writeFile(join(dir, "ca.pem"), PEM);
    const caOnly = await resolveConnection([], { env: {}, sslDir: dir });
    assert.equal(caOnly.ca, join(dir, "ca.pem"));
    assert.equal(caOnly.from.ca, "default");
    assert.equal(caOnly.cert, undefined);
    await writeFile(join(dir, "client.pem"), PEM);
    await writeFile(join(dir, "client-key.pem"), KEY);
    const mtls = await resolveConnection([], { env: {}, sslDir: dir });
    assert.equal(mtls.cert, join(dir, "client.pem"));
    assert.equal(mtls.key, join(dir, "client-key.pem"));
    // A CA given wins over the folder's.
    const other = join(dir, "other.pem");
    await writeFile(other, PEM);
    const given = await resolveConnection([envSource({ APPMESH_CA: other })], {
      env: {},
      sslDir: dir,
    });
    assert.equal(given.ca, other);
    assert.equal(given.from.ca, "$APPMESH_CA");
    assert.match(describeSetting(given, "ca"), /^CA .*other\.pem \(from \$APPMESH_CA\)$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("connection: a setting that cannot be used names where it came from", async () => {
  const bad = async (p: Promise<unknown>, re: RegExp) => {
    await assert.rejects(
      p,
      (e: Error) => e instanceof ConnectionSettingError && re.test(e.message),
    );
  };
  await bad(
    resolveConnection([flagSource({ url: "127.0.0.1:6060" })], { sslDir: null }),
    /^--url 127\.0\.0\.1:6060: not an http\(s\) URL; did you mean https:\/\/127\.0\.0\.1:6060\?$/,
  );
  await bad(
    resolveConnection([envSource({ APPMESH_URL: "localhost:6060" })], { sslDir: null }),
    /^\$APPMESH_URL localhost:6060: not an http\(s\) URL/,
  );
  await bad(
    resolveConnection([flagSource({ ca: "/no/such/ca.pem" })], { sslDir: null }),
    /^--ca \/no\/such\/ca\.pem: no such file \(pass --ca FILE or set \$APPMESH_CA/,
  );
  await bad(
    resolveConnection([namedSource("connection", { cert: PEM }, true)], { sslDir: null }),
    /connection\.cert given without key/,
  );
  for (const t of ["0", "5x", "P", "-3"]) {
    await bad(
      resolveConnection([flagSource({ timeout: t })], { sslDir: null }),
      new RegExp(`^--timeout ${t}: not a duration`),
    );
  }
  const ok = await resolveConnection([flagSource({ timeout: "PT1M30S" })], { sslDir: null });
  assert.equal(ok.timeout, 90_000);
  assert.equal(
    (await resolveConnection([flagSource({ timeout: "2.5" })], { sslDir: null })).timeout,
    2500,
  );
  assert.equal(
    (await resolveConnection([namedSource("o", { timeout: 1234 })], { sslDir: null })).timeout,
    1234,
  );
});
