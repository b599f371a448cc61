// createFetch against a real HTTPS server with an openssl-made CA: trust by CA, verification
// failure without it, mTLS with a client certificate, verification off.
// @bun
// @node
import assert from "node:assert/strict";
import { runtime, test } from "../harness.ts";
import { createFetch, type TlsOptions } from "../../src/runtime/tls.ts";
import { makePki, type Pki, tlsServer } from "./_tls.ts";

let pkiPromise: Promise<Pki> | undefined;
const pki = () => pkiPromise ??= makePki();

interface Echo {
  path: string;
  client: string | null;
  authorized: boolean;
}

async function get(opts: TlsOptions, url: string): Promise<Echo> {
  const made = await createFetch(opts);
  try {
    const res = await made.fetch(url);
    assert.equal(res.status, 200);
    return await res.json();
  } finally {
    made.close();
  }
}

async function failure(opts: TlsOptions, url: string): Promise<string> {
  const made = await createFetch(opts);
  try {
    const res = await made.fetch(url);
    await res.body?.cancel();
    assert.fail(`expected a TLS failure, got ${res.status}`);
  } catch (e) {
    assert.ok(e instanceof TypeError, String(e));
    return describe(e);
  } finally {
    made.close();
  }
}

/** The server verified our client certificate (Bun's server does not report its subject). */
function assertClient(echo: Echo): void {
  assert.equal(echo.authorized, true);
  if (echo.client !== null || runtime === "deno") assert.equal(echo.client, "appmesh-test-client");
}

function describe(e: unknown): string {
  const parts: string[] = [];
  for (let x = e; x; x = (x as { cause?: unknown }).cause) {
    parts.push(`${(x as Error).message ?? x} ${(x as { code?: string }).code ?? ""}`);
    if (parts.length > 4) break;
  }
  return parts.join(" | ");
}

test("tls: trusting the CA, fetch reaches the server; which mechanism is used", async () => {
  const p = await pki();
  const server = await tlsServer(p);
  try {
    const made = await createFetch({ ca: p.ca });
    assert.equal(made.via, { deno: "deno-client", bun: "bun-tls", node: "node-https" }[runtime]);
    made.close();
    const echo = await get({ ca: p.ca }, `${server.url}/x?y=1`);
    assert.equal(echo.path, "/x?y=1");
    assert.equal(echo.client, null);
  } finally {
    await server.close();
  }
});

test("tls: without the CA, or with another CA, verification fails", async () => {
  const p = await pki();
  const server = await tlsServer(p);
  try {
    const plain = await failure({}, `${server.url}/`);
    const other = await failure({ ca: p.otherCa }, `${server.url}/`);
    for (const why of [plain, other]) {
      assert.match(why, /certificate|UnknownIssuer|issuer|self.signed|verify/i, why);
    }
  } finally {
    await server.close();
  }
});

test("tls: mTLS: the client certificate is presented; without it the server refuses", async () => {
  const p = await pki();
  const server = await tlsServer(p, { mtls: true });
  try {
    const ok = await get({ ca: p.ca, cert: p.clientCert, key: p.clientKey }, `${server.url}/m`);
    assertClient(ok);
    await failure({ ca: p.ca }, `${server.url}/m`);
  } finally {
    await server.close();
  }
});

test("tls: verify false accepts an unknown CA (with and without a client certificate)", async () => {
  const p = await pki();
  const server = await tlsServer(p);
  const mtls = await tlsServer(p, { mtls: true });
  try {
    const made = await createFetch({ verify: false });
    assert.equal(made.via, { deno: "node-https", bun: "bun-tls", node: "node-https" }[runtime]);
    made.close();
    assert.equal((await get({ verify: false }, `${server.url}/v`)).path, "/v");
    const withCert = await get(
      { verify: false, cert: p.clientCert, key: p.clientKey },
      `${mtls.url}/vm`,
    );
    assertClient(withCert);
  } finally {
    await server.close();
    await mtls.close();
  }
});

test("tls: every Set-Cookie, request bodies and the response URL survive each mechanism", async () => {
  const p = await pki();
  const server = await tlsServer(p);
  try {
    for (const opts of [{ ca: p.ca }, { verify: false }] as TlsOptions[]) {
      const made = await createFetch(opts);
      try {
        const res = await made.fetch(`${server.url}/post`, {
          method: "POST",
          body: "hello",
          headers: { "content-type": "text/plain" },
        });
        assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/; Secure"]);
        assert.equal(res.url, `${server.url}/post`);
        const body = await res.json();
        assert.equal(body.method, "POST");
        assert.equal(body.body, "hello");
        const streamed = await made.fetch(`${server.url}/stream`, {
          method: "PUT",
          body: new Blob(["chunk1-", "chunk2"]).stream(),
          duplex: "half",
        } as RequestInit);
        assert.equal((await streamed.json()).body, "chunk1-chunk2");
      } finally {
        made.close();
      }
    }
  } finally {
    await server.close();
  }
});

test("tls: redirect manual: each mechanism hands back the 307 itself, never following it", async () => {
  const p = await pki();
  const server = await tlsServer(p);
  try {
    const mechanisms: TlsOptions[] = [
      { ca: p.ca },
      { ca: p.ca, cert: p.clientCert, key: p.clientKey },
      { verify: false },
    ];
    for (const opts of mechanisms) {
      const made = await createFetch(opts);
      try {
        const res = await made.fetch(`${server.url}/redirect`, { redirect: "manual" });
        assert.equal(res.status, 307, made.via);
        assert.equal(res.headers.get("location"), "https://127.0.0.1:9/elsewhere");
        assert.equal(res.redirected, false);
        await res.body?.cancel();
      } finally {
        made.close();
      }
    }
  } finally {
    await server.close();
  }
});

test("tls: bad options are refused before any connection", async () => {
  await assert.rejects(createFetch({ cert: "-----BEGIN CERTIFICATE-----" }), TypeError);
  await assert.rejects(createFetch({ key: "-----BEGIN PRIVATE KEY-----" }), TypeError);
  await assert.rejects(createFetch({ ca: "/etc/ssl/ca.pem" }), /must be PEM text/);
});
