/**
 * Design: one broker for one run of the smoke suite. An embedded aedes (testkit) listens on
 * the transport under test (TCP, TLS, WebSocket or WebSocket over TLS); beside it a small HTTP server on 127.0.0.1 is the suite's control
 * channel (`POST /drop` closes every client connection under the broker, so the robust clients
 * must reconnect) and, for the browser, serves the page and its bundle from the same origin.
 * The harness counts each client id's connections, so a test can see a reconnect happened.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type AedesBroker, generateCerts, startAedes } from "@umqtt/testkit";
import type { TransportName } from "./runtimes.ts";

/** A file the control server serves. */
export interface StaticFile {
  type: string;
  body: string | Uint8Array;
}

/** What the suite is given to reach the broker, and what the test can observe. */
export interface SmokeBroker {
  /** The constructor's `server` argument: mqtt://, mqtts://, ws:// or wss:// with the port. */
  readonly server: string;
  /** Options the constructor needs for this transport. */
  readonly options: Record<string, unknown>;
  /** The test CA that signed the broker's certificate (mqtts://, wss://). */
  readonly ca: { pem: string; file: string } | undefined;
  /** The control server's base URL (http://127.0.0.1:port). */
  readonly control: string;
  readonly aedes: AedesBroker;
  /** CONNECTs the broker accepted per client id. */
  readonly connects: Map<string, number>;
  /** Connections closed by `POST /drop` so far. */
  dropped: number;
  close(): Promise<void>;
}

/** Starts aedes for `transport` and the control server, serving `files` by path. */
export async function startSmokeBroker(
  transport: TransportName,
  files: Record<string, StaticFile> = {},
): Promise<SmokeBroker> {
  const secure = transport === "tls" || transport === "wss";
  const certs = secure ? await generateCerts() : undefined;
  const aedes = await startAedes({
    ...(certs ? { tls: { key: certs.serverKeyPem, cert: certs.serverCertPem } } : {}),
    ...(transport === "ws" || transport === "wss" ? { webSocket: true } : {}),
  });
  const connects = new Map<string, number>();
  type Client = { id: string; close(done?: () => void): void };
  const live = new Set<Client>();
  aedes.broker.on("client", (c: Client) => {
    live.add(c);
    connects.set(c.id, (connects.get(c.id) ?? 0) + 1);
  });
  aedes.broker.on("clientDisconnect", (c: Client) => live.delete(c));

  const control = http.createServer(async (req, res) => {
    if (req.method === "POST" && req.url === "/drop") {
      const clients = [...live];
      live.clear();
      await Promise.all(clients.map((c) => new Promise<void>((done) => c.close(done))));
      result.dropped += clients.length;
      return send(res, 200, "application/json", JSON.stringify({ closed: clients.length }));
    }
    const file = files[req.url ?? ""];
    if (req.method === "GET" && file) return send(res, 200, file.type, file.body);
    send(res, 404, "text/plain", "not found");
  });
  control.listen(0, "127.0.0.1");
  await once(control, "listening");
  const { port } = control.address() as AddressInfo;

  const result: SmokeBroker = {
    server: aedes.url,
    // mqtts:// verifies the certificate (its SAN has 127.0.0.1) against the test CA; for
    // wss:// the test decides: the `ws` package takes sslParams, a global WebSocket only the
    // runtime's trust store.
    options: transport === "tls" ? { sslParams: { ca: certs!.caPem } } : {},
    ca: certs && { pem: certs.caPem, file: certs.caFile },
    control: `http://127.0.0.1:${port}`,
    aedes,
    connects,
    dropped: 0,
    async close() {
      control.closeAllConnections();
      await new Promise<void>((done) => control.close(() => done()));
      await aedes.close();
    },
  };
  return result;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Uint8Array) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}
