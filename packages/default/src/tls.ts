/**
 * TLS from certificate files where the runtime has files. `#tls-files` (package.json
 * `imports`) is tls-files.ts under the `node` condition (Node, Bun, Deno) and
 * no-tls-files.ts elsewhere, which throws an InvalidArgumentError.
 */
import type { ConnectionOptions } from "node:tls";
import * as files from "#tls-files";
import type { SslParams } from "./tls-files.js";

/**
 * Maps UIFlow2-style `sslParams` to `tls.connect` options: `cafile`/`cadata` → `ca`,
 * `cert`/`key` files → `cert`/`key`, `serverHostname` → `servername` (SNI and the hostname
 * check), `certReqs` → `rejectUnauthorized` (true unless `"none"`). Reads every file now;
 * throws InvalidArgumentError naming the option and the file, and outside Node (a browser)
 * an InvalidArgumentError saying that TLS from files needs Node.
 *
 * @example
 * tlsOptions({ cafile: "/certs/ca.crt", serverHostname: "broker.example" });
 * // → { ca: ["-----BEGIN CERTIFICATE-----…"], servername: "broker.example", rejectUnauthorized: true }
 */
export const tlsOptions: (params: SslParams) => ConnectionOptions = files.tlsOptions;
