/**
 * Design: throwaway PKI for TLS tests, made with the openssl CLI (EC P-256: fast, and accepted
 * by Node and mosquitto). Generated once per directory per process (the default shared dir is
 * reused across runs); keys are chmod 644
 * because mosquitto running as root drops to user `mosquitto` before reading them.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Paths (absolute) and PEM text of a generated certificate set. */
export interface CertSet {
  dir: string;
  caFile: string;
  caKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A second, unrelated CA: verifying the server against it must fail. */
  wrongCaFile: string;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  wrongCaPem: string;
}

const cache = new Map<string, Promise<CertSet>>();
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function serial(): string {
  return `0x${randomBytes(12).toString("hex")}`;
}

function makeCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  // biome-ignore format: flag/value pairs on one line each
  openssl([
    "req", "-x509", ...EC, "-days", "3650", "-subj", `/CN=${cn}`, "-keyout", key, "-out", cert,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { cert, key };
}

function makeLeaf(
  dir: string,
  name: string,
  cn: string,
  ca: { cert: string; key: string },
  ext: string,
): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(["req", ...EC, "-subj", `/CN=${cn}`, "-keyout", key, "-out", csr]);
  // biome-ignore format: flag/value pairs on one line each
  openssl([
    "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial(),
    "-days", "825", "-extfile", extFile, "-out", cert,
  ]);
  return { cert, key };
}

function generate(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const ca = makeCa(dir, "ca", "umqtt test CA");
  const wrong = makeCa(dir, "wrong-ca", "umqtt wrong CA");
  const server = makeLeaf(
    dir,
    "server",
    "localhost",
    ca,
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
  );
  const client = makeLeaf(
    dir,
    "client",
    "umqtt-client",
    ca,
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=clientAuth\n",
  );
  for (const f of [ca.key, wrong.key, server.key, client.key]) chmodSync(f, 0o644);
}

function load(dir: string): CertSet {
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => readFileSync(file(name), "utf8");
  return {
    dir,
    caFile: file("ca.crt"),
    caKeyFile: file("ca.key"),
    serverCertFile: file("server.crt"),
    serverKeyFile: file("server.key"),
    clientCertFile: file("client.crt"),
    clientKeyFile: file("client.key"),
    wrongCaFile: file("wrong-ca.crt"),
    caPem: read("ca.crt"),
    serverCertPem: read("server.crt"),
    serverKeyPem: read("server.key"),
    clientCertPem: read("client.crt"),
    clientKeyPem: read("client.key"),
    wrongCaPem: read("wrong-ca.crt"),
  };
}

const SHARED_DIR = path.join(tmpdir(), "umqtt-testkit-certs-v1");
const FILES = ["ca", "wrong-ca", "server", "client"];

function complete(dir: string): boolean {
  return FILES.every(
    (f) => existsSync(path.join(dir, `${f}.crt`)) && existsSync(path.join(dir, `${f}.key`)),
  );
}

/**
 * The default set lives in one shared dir under the OS temp dir, reused across processes and
 * runs (no litter). It is built in a private dir and renamed into place, so concurrent test
 * workers never see a half-written set: the loser of the rename race uses the winner's files.
 */
function shared(): CertSet {
  if (complete(SHARED_DIR)) return load(SHARED_DIR);
  const work = mkdtempSync(path.join(tmpdir(), "umqtt-certs-"));
  generate(work);
  try {
    renameSync(work, SHARED_DIR);
  } catch {
    rmSync(work, { recursive: true, force: true });
    if (!complete(SHARED_DIR)) {
      // A stale, incomplete dir from an interrupted run: replace it.
      rmSync(SHARED_DIR, { recursive: true, force: true });
      return shared();
    }
  }
  return load(SHARED_DIR);
}

/**
 * Generates (once per dir per process) a test CA, a server cert (localhost, 127.0.0.1), a client
 * cert and an unrelated "wrong" CA. Without `dir`, a shared set under the OS temp dir is reused.
 */
export function generateCerts(dir?: string): Promise<CertSet> {
  const abs = dir === undefined ? SHARED_DIR : path.resolve(dir);
  let set = cache.get(abs);
  if (!set) {
    set = Promise.resolve().then(() => {
      if (dir === undefined) return shared();
      generate(abs);
      return load(abs);
    });
    cache.set(abs, set);
    // Let a failed generation be retried.
    set.catch(() => cache.delete(abs));
  }
  return set;
}
