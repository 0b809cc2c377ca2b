/**
 * Run a throwaway mosquitto by hand, configured exactly as the tests do.
 *   tsx bin/mosquitto.ts start [--persistence] [--tls] [--require-cert] [--verbose]
 *   tsx bin/mosquitto.ts install
 * `start` prints one JSON line (ports, pid, dir, cert paths) and runs until SIGINT/SIGTERM.
 */
import { generateCerts } from "../src/certs.ts";
import { ensureMosquitto, startMosquitto } from "../src/mosquitto.ts";
import { run, serveUntilSignal } from "./serve.ts";

const [command = "start", ...flags] = process.argv.slice(2);
const has = (flag: string) => flags.includes(flag);

async function main(): Promise<void> {
  if (command === "install") {
    console.log(ensureMosquitto());
    return;
  }
  if (command !== "start") {
    console.error(
      "usage: tsx bin/mosquitto.ts start [--persistence] [--tls] [--require-cert] [--verbose] | install",
    );
    process.exitCode = 2;
    return;
  }
  const certs = has("--tls") || has("--require-cert") ? await generateCerts() : undefined;
  const m = await startMosquitto({
    persistence: has("--persistence"),
    verbose: has("--verbose"),
    tls: certs && {
      caFile: certs.caFile,
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
      requireCertificate: has("--require-cert"),
    },
  });
  console.log(
    JSON.stringify({
      url: m.url,
      port: m.port,
      tlsUrl: m.tlsUrl,
      tlsPort: m.tlsPort,
      pid: m.pid,
      dir: m.dir,
      config: m.configFile,
      certs: certs && {
        caFile: certs.caFile,
        serverCertFile: certs.serverCertFile,
        serverKeyFile: certs.serverKeyFile,
        clientCertFile: certs.clientCertFile,
        clientKeyFile: certs.clientKeyFile,
      },
    }),
  );
  serveUntilSignal(() => m.stop());
}

run(main);
