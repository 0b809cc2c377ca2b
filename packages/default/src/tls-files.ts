/**
 * Design: turns UIFlow2-style `sslParams` (certificate *files*, `serverHostname`, `certReqs`)
 * into Node `tls.connect` options. Runs once, in the constructor: every file is read
 * synchronously there, so a missing or unreadable file is an InvalidArgumentError naming the
 * file and the option before any connection is attempted. Certificates are parsed here too
 * (Node would silently ignore a CA that is not a certificate and connect without it).
 *
 * Fixes against M5Stack's umqtt: `cadata` is PEM text (M5 read it as a path), and the server
 * certificate is verified unless `certReqs: "none"` says otherwise (M5 verified nothing).
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import * as tls from "node:tls";
import { describe, InvalidArgumentError, fail as refuse } from "@umqtt/robust";

/** Whether the server certificate is verified: `"required"` (default) or `"none"` (explicit opt-out). */
export type CertReqs = "required" | "none";

/**
 * `sslParams` of the default client: the UIFlow2 / MicroPython keys below, plus any standard
 * Node `tls.connect` option (`ca`, `ciphers`, `minVersion`, `checkServerIdentity`, …).
 */
export interface SslParams extends Omit<tls.ConnectionOptions, "cert" | "key"> {
  /** Path of a CA certificate file (PEM, may hold several certificates, or DER). */
  cafile?: string;
  /** CA certificate(s) as PEM text (not a path), or PEM/DER bytes. */
  cadata?: string | Uint8Array;
  /** Path of the client certificate file (PEM), for brokers that require one; needs `key`. */
  cert?: string | Uint8Array;
  /** Path of the client certificate's private key file (PEM); needs `cert`. */
  key?: string | Uint8Array;
  /** Name sent as SNI and checked against the server certificate (default: the server name). */
  serverHostname?: string;
  /** `"required"` (default): verify the server certificate; `"none"`: do not (insecure). */
  certReqs?: CertReqs;
  /** MicroPython spelling of `serverHostname` (accepted as an alias). */
  server_hostname?: string;
  /** MicroPython spelling of `certReqs` (accepted as an alias; values `"required"` / `"none"`). */
  cert_reqs?: CertReqs | 0 | 2;
}

const WHERE = "MQTTClient(sslParams";

/** MicroPython keys with no meaning here, and what to do instead. */
const REFUSED: Record<string, string> = {
  server_side: "a client cannot act as the TLS server; remove it",
  do_handshake: "the handshake always runs during connect(); remove it",
  ca_certs: "use cafile (a path) or cadata (PEM text)",
  certfile: "use cert (a path)",
  keyfile: "use key (a path)",
  cafile_data: "use cadata (PEM text)",
};

/** Fails naming `MQTTClient(options.sslParams.<key>)`. */
function fail(key: string, rule: string): never {
  return refuse(`${WHERE}.${key})`, rule);
}

function readFile(key: string, path: string): Buffer {
  if (typeof path !== "string" || path === "")
    fail(key, `must be a file path, got ${describe(path)}`);
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // "ENOENT: no such file or directory, open '/x'" → "ENOENT: no such file or directory"
    const reason = e.code
      ? `${e.code}${e.message.startsWith(e.code) ? e.message.slice(e.code.length).split(",")[0] : ""}`
      : e.message;
    throw new InvalidArgumentError(
      `${WHERE}.${key}): cannot read ${JSON.stringify(path)}: ${reason}`,
      { cause: err },
    );
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** CA certificates as PEM text, each one parsed (a file with no certificate is refused). */
function caPem(key: string, bytes: Uint8Array | string, origin: string): string {
  const text =
    typeof bytes === "string"
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  const blocks = text.match(PEM_CERT);
  if (blocks) {
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch (err) {
        throw new InvalidArgumentError(
          `${WHERE}.${key}): ${origin} holds a damaged certificate: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    return blocks.join("\n");
  }
  if (typeof bytes !== "string") {
    try {
      return new X509Certificate(Buffer.from(bytes)).toString(); // DER → PEM
    } catch {
      // fall through to the error below
    }
  }
  return fail(
    key,
    `${origin} holds no certificate (expected PEM "-----BEGIN CERTIFICATE-----" or DER)`,
  );
}

/** A client certificate or key: a path (read now), or PEM text / bytes given directly. */
function pemInput(key: string, value: unknown): Buffer | string {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value !== "string" || value === "")
    fail(key, `must be a file path, got ${describe(value)}`);
  if (value.startsWith("-----BEGIN")) return value; // PEM text: cannot be a path
  return readFile(key, value);
}

function alias<T>(params: Record<string, unknown>, camel: string, snake: string): T | undefined {
  const a = params[camel];
  const b = params[snake];
  if (a !== undefined && b !== undefined && a !== b) {
    fail(camel, `${camel} ${describe(a)} and its alias ${snake} ${describe(b)} disagree; give one`);
  }
  return (a ?? b) as T | undefined;
}

/**
 * Maps UIFlow2-style `sslParams` to `tls.connect` options: `cafile`/`cadata` → `ca`,
 * `cert`/`key` files → `cert`/`key`, `serverHostname` → `servername` (SNI and the hostname
 * check), `certReqs` → `rejectUnauthorized` (true unless `"none"`). Reads every file now;
 * throws InvalidArgumentError naming the option and the file.
 *
 * @example
 * tlsOptions({ cafile: "/certs/ca.crt", serverHostname: "broker.example" });
 * // → { ca: ["-----BEGIN CERTIFICATE-----…"], servername: "broker.example", rejectUnauthorized: true }
 */
export function tlsOptions(params: SslParams): tls.ConnectionOptions {
  if (params === null || typeof params !== "object") {
    throw new InvalidArgumentError(
      `MQTTClient(options.sslParams): must be an object, got ${describe(params)}`,
    );
  }
  const p = params as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    const hint = REFUSED[key];
    if (hint !== undefined && p[key] !== undefined) fail(key, `not supported: ${hint}`);
  }
  const {
    cafile,
    cadata,
    cert,
    key,
    serverHostname: _h,
    server_hostname: _sh,
    certReqs: _r,
    cert_reqs: _sr,
    ...rest
  } = params;
  const out: tls.ConnectionOptions = { ...rest };

  const ca: (string | Buffer)[] = [];
  if (rest.ca !== undefined) ca.push(...(Array.isArray(rest.ca) ? rest.ca : [rest.ca]));
  if (cafile !== undefined)
    ca.push(caPem("cafile", readFile("cafile", cafile), JSON.stringify(cafile)));
  if (cadata !== undefined) {
    if (typeof cadata === "string" && !cadata.includes("-----BEGIN") && existsSync(cadata)) {
      fail(
        "cadata",
        `is the CA certificate's PEM text, not a path (M5Stack's umqtt read it as one); use cafile: ${describe(cadata)}`,
      );
    }
    if (typeof cadata !== "string" && !(cadata instanceof Uint8Array)) {
      fail("cadata", `must be PEM text or bytes, got ${describe(cadata)}`);
    }
    ca.push(caPem("cadata", cadata, "the text"));
  }
  if (ca.length > 0) out.ca = ca;

  if (cert !== undefined || key !== undefined) {
    if (cert === undefined) fail("key", "needs cert (the client certificate file) as well");
    if (key === undefined)
      fail("cert", "needs key (the client certificate's private key file) as well");
    out.cert = pemInput("cert", cert);
    out.key = pemInput("key", key);
    try {
      // With the passphrase of an encrypted key, as tls.connect will use it.
      tls.createSecureContext({ cert: out.cert, key: out.key, passphrase: rest.passphrase });
    } catch (err) {
      throw new InvalidArgumentError(
        `${WHERE}.cert, sslParams.key): not a usable certificate and key pair: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  const hostname = alias<string>(p, "serverHostname", "server_hostname");
  if (hostname !== undefined) {
    if (typeof hostname !== "string" || hostname === "")
      fail("serverHostname", `must be a host name, got ${describe(hostname)}`);
    if (isIP(hostname) === 0) out.servername = hostname;
    else {
      // No SNI for an address (RFC 6066 §3): an empty servername sends none, even when the
      // server option is a host name; the certificate is checked against the address.
      out.servername = "";
      out.checkServerIdentity = (_host, certificate) =>
        tls.checkServerIdentity(hostname, certificate);
    }
  }

  let reqs = alias<CertReqs | number>(p, "certReqs", "cert_reqs");
  // MicroPython's ssl constants: CERT_NONE = 0, CERT_REQUIRED = 2 (CERT_OPTIONAL = 1 has no
  // meaning for a client: refused below).
  if (reqs === 0) reqs = "none";
  else if (reqs === 2) reqs = "required";
  if (reqs !== undefined) {
    if (reqs !== "required" && reqs !== "none")
      fail("certReqs", `must be "required" or "none", got ${describe(reqs)}`);
    const verify = reqs === "required";
    if (rest.rejectUnauthorized !== undefined && rest.rejectUnauthorized !== verify) {
      fail(
        "certReqs",
        `${describe(reqs)} contradicts rejectUnauthorized: ${String(rest.rejectUnauthorized)}; give one`,
      );
    }
    out.rejectUnauthorized = verify;
  } else {
    // Verified unless the caller opted out explicitly (certReqs "none", or Node's own key).
    out.rejectUnauthorized = rest.rejectUnauthorized ?? true;
  }
  return out;
}
