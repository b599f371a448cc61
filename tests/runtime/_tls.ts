/**
 * Test PKI made with the real `openssl`: a CA, a server certificate for 127.0.0.1 and
 * localhost, a client certificate (mTLS), and an unrelated CA; plus an `node:https` server that
 * reports the client certificate it saw. Works under Deno and Bun.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";

/** PEM texts of the test PKI. */
export interface Pki {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { cwd }, (error, _out, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr}`));
      else resolve();
    });
  });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Generates the PKI in a temp folder (removed before returning). */
export async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), "appmesh-pki-"));
  try {
    for (const ca of ["ca", "other"]) {
      await openssl([
        "req",
        "-x509",
        ...EC,
        "-keyout",
        `${ca}.key`,
        "-out",
        `${ca}.pem`,
        "-days",
        "2",
        "-subj",
        `/CN=Test ${ca} CA`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ], dir);
    }
    const leaf = async (name: string, cn: string, ext: string) => {
      await writeFile(join(dir, `${name}.ext`), ext);
      await openssl([
        "req",
        ...EC,
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/CN=${cn}`,
      ], dir);
      await openssl([
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      ], dir);
    };
    await leaf(
      "server",
      "127.0.0.1",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    await leaf(
      "client",
      "appmesh-test-client",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    const read = (f: string) => readFile(join(dir, f), "utf8");
    return {
      ca: await read("ca.pem"),
      otherCa: await read("other.pem"),
      serverCert: await read("server.pem"),
      serverKey: await read("server.key"),
      clientCert: await read("client.pem"),
      clientKey: await read("client.key"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A running HTTPS test server. */
export interface TlsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * HTTPS server answering `{ path, method, client, authorized, body }` (`client`: the client
 * certificate's CN or null; `authorized`: a client certificate signed by the CA), with two
 * `Set-Cookie` headers; `/redirect...` answers a 307 to a closed port. `mtls`: a client
 * certificate signed by the CA is required.
 */
export async function tlsServer(pki: Pki, options: { mtls?: boolean } = {}): Promise<TlsServer> {
  const server = https.createServer({
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.ca,
    requestCert: options.mtls ?? false,
    rejectUnauthorized: options.mtls ?? false,
  }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate?.();
    // Bun's node:https enforces requestCert but reports no peer subject: `authorized` then.
    const client = peer && peer.subject ? peer.subject.CN ?? null : null;
    const authorized = socket.authorized === true;
    let body = "";
    req.on("data", (d) => body += d);
    req.on("end", () => {
      if (req.url?.startsWith("/redirect")) {
        // To a port nothing listens on: a fetch that follows it fails.
        res.writeHead(307, { location: "https://127.0.0.1:9/elsewhere" });
        return res.end("moved");
      }
      res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2; Path=/; Secure"]);
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ path: req.url, method: req.method, client, authorized, body }));
    });
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
