/**
 * Certificates of the local server: a v3 CA, a server certificate for 127.0.0.1/localhost/::1
 * and a client certificate (for mTLS), all ECDSA P-256, kept in the state directory and reused
 * while valid. rustls (Deno) rejects v1 certificates and BoringSSL (Bun) wants proper key
 * usages, so every certificate carries BasicConstraints, KeyUsage and ExtendedKeyUsage.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** PEM material of one server, as files and as text. */
export interface CertSet {
  /** CA certificate file (`stateDir/ca.pem`). */
  caFile: string;
  /** CA certificate PEM. */
  caPem: string;
  /** Server certificate PEM. */
  certPem: string;
  /** Server key PEM (PKCS#8). */
  keyPem: string;
  /** Client certificate file. */
  clientCertFile: string;
  /** Client key file. */
  clientKeyFile: string;
}

// @peculiar/x509 pulls in tsyringe, which insists on a Reflect metadata polyfill. The package
// only needs the few functions below; installing them only when absent keeps a real
// `reflect-metadata` (if the host app loads one) in charge.
function installReflectMetadata(): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata === "function") return;
  const store = new WeakMap<object, Map<unknown, Map<unknown, unknown>>>();
  const slot = (t: object, p: unknown, create: boolean) => {
    let m = store.get(t);
    if (!m) {
      if (!create) return undefined;
      m = new Map();
      store.set(t, m);
    }
    let pm = m.get(p);
    if (!pm) {
      if (!create) return undefined;
      pm = new Map();
      m.set(p, pm);
    }
    return pm;
  };
  const get = (k: unknown, t: object, p?: unknown) => {
    for (let o: object | null = t; o; o = Object.getPrototypeOf(o)) {
      const m = slot(o, p, false);
      if (m?.has(k)) return m.get(k);
    }
    return undefined;
  };
  r.defineMetadata = (k: unknown, v: unknown, t: object, p?: unknown) => {
    slot(t, p, true)!.set(k, v);
  };
  r.getOwnMetadata = (k: unknown, t: object, p?: unknown) => slot(t, p, false)?.get(k);
  r.hasOwnMetadata = (k: unknown, t: object, p?: unknown) => slot(t, p, false)?.has(k) ?? false;
  r.getMetadata = get;
  r.hasMetadata = (k: unknown, t: object, p?: unknown) => get(k, t, p) !== undefined;
  r.metadata = (k: unknown, v: unknown) => (t: object, p?: unknown) => {
    slot(t, p, true)!.set(k, v);
  };
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

function pemKey(der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN PRIVATE KEY-----\n${
    b64.replace(/.{1,64}/g, "$&\n")
  }-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  b[0] &= 0x7f; // positive INTEGER
  b[0] |= 0x01;
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

const FILES = [
  "ca.pem",
  "ca-key.pem",
  "server.pem",
  "server-key.pem",
  "client.pem",
  "client-key.pem",
] as const;

/**
 * Loads the certificates from `stateDir`, or generates (and writes) a fresh set when any file
 * is missing or a certificate expires within a day.
 */
export async function ensureCerts(stateDir: string): Promise<CertSet> {
  const paths = Object.fromEntries(FILES.map((f) => [f, join(stateDir, f)])) as Record<
    (typeof FILES)[number],
    string
  >;
  const result = (): CertSet => ({
    caFile: paths["ca.pem"],
    caPem: readFileSync(paths["ca.pem"], "utf8"),
    certPem: readFileSync(paths["server.pem"], "utf8"),
    keyPem: readFileSync(paths["server-key.pem"], "utf8"),
    clientCertFile: paths["client.pem"],
    clientKeyFile: paths["client-key.pem"],
  });
  if (FILES.every((f) => existsSync(paths[f])) && await stillValid(paths)) return result();

  installReflectMetadata();
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(crypto);
  const now = Date.now();
  const notBefore = new Date(now - DAY);
  const notAfter = new Date(now + 825 * DAY);
  const caKeys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const caName = "CN=App Mesh local CA, O=appmesh-sdk devserver";
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = async (cn: string, usage: string, san: boolean) => {
    const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const extensions: InstanceType<typeof x509.Extension>[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ];
    if (san) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension([
          { type: "dns", value: "localhost" },
          { type: "ip", value: "127.0.0.1" },
          { type: "ip", value: "::1" },
        ]),
      );
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return {
      cert: cert.toString("pem") + "\n",
      key: pemKey(await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    };
  };
  const server = await leaf("localhost", "1.3.6.1.5.5.7.3.1", true);
  const client = await leaf("appmesh-client", "1.3.6.1.5.5.7.3.2", false);
  await mkdir(stateDir, { recursive: true });
  const write = (f: string, data: string, mode: number) => writeFile(f, data, { mode });
  await write(paths["ca.pem"], ca.toString("pem") + "\n", 0o644);
  await write(
    paths["ca-key.pem"],
    pemKey(await crypto.subtle.exportKey("pkcs8", caKeys.privateKey)),
    0o600,
  );
  await write(paths["server.pem"], server.cert, 0o644);
  await write(paths["server-key.pem"], server.key, 0o600);
  await write(paths["client.pem"], client.cert, 0o644);
  await write(paths["client-key.pem"], client.key, 0o600);
  return result();
}

// node:crypto parses the certificates on the fast path, so a restart with existing certificates
// never loads @peculiar/x509 (that import alone costs a noticeable part of a second).
async function stillValid(paths: Record<string, string>): Promise<boolean> {
  try {
    const { X509Certificate } = await import("node:crypto");
    for (const f of ["ca.pem", "server.pem", "client.pem"]) {
      const cert = new X509Certificate(readFileSync(paths[f]));
      if (Date.parse(cert.validTo) - Date.now() < DAY) return false;
    }
    return true;
  } catch {
    // A file unreadable or not a certificate: regenerate.
    return false;
  }
}
