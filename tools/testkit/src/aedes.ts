/**
 * Design: an embedded aedes broker on a real TCP (or TLS) port inside the test process, or
 * behind a WebSocket server (the `ws` package; ws:// or wss://, subprotocol `mqtt`).
 * This file owns the broker, its server and every accepted socket, so close() can destroy
 * them and never hang on a client that is still connected. restart() swaps in a fresh
 * broker on the same port; the returned object stays the same, its fields are updated.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { Aedes, type AedesOptions } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";

/** TLS settings for the broker's listener (PEM text or buffers). */
export interface AedesTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
  /** Ask for (and require) a client certificate signed by `ca`. */
  requestCert?: boolean;
}

/** Options for startAedes(). */
export interface AedesStartOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  tls?: AedesTlsOptions;
  /**
   * Serve MQTT over WebSocket (ws://, or wss:// with `tls`) at this path instead of raw TCP;
   * `true` means "/mqtt". Other paths are refused with HTTP 400.
   */
  webSocket?: boolean | string;
  /** false → CONNACK "not authorized" (rc 5). */
  authenticate?: (clientId: string, username?: string, password?: Buffer) => boolean;
  /** false → this filter is granted 0x80 (failure) in the SUBACK. */
  authorizeSubscribe?: (clientId: string, topic: string) => boolean;
  /** false → aedes refuses the PUBLISH (for MQTT 3.1.1 it disconnects the client). */
  authorizePublish?: (clientId: string, topic: string, payload: Buffer) => boolean;
  /** Raw aedes options, merged under the hooks above. */
  aedes?: AedesOptions;
}

/** A running embedded aedes broker. */
export interface AedesBroker {
  readonly host: string;
  readonly port: number;
  /** mqtt://127.0.0.1:port, or mqtts:// with tls; ws:// or wss:// with the path for webSocket. */
  readonly url: string;
  readonly broker: Aedes;
  readonly server: net.Server;
  /** Open TCP connections right now. */
  connections(): number;
  /** Destroys every socket, closes broker and server. Idempotent. */
  close(): Promise<void>;
  /** close(), then a fresh broker (no sessions, no retained) on the same port. */
  restart(): Promise<void>;
}

function aedesOptions(options: AedesStartOptions): AedesOptions {
  const opts: AedesOptions = { ...options.aedes };
  const { authenticate, authorizeSubscribe, authorizePublish } = options;
  if (authenticate) {
    opts.authenticate = (client, username, password, done) =>
      done(null, authenticate(client.id, username ?? undefined, password ?? undefined));
  }
  if (authorizeSubscribe) {
    // aedes 1.x: a null subscription (not an error) marks the filter as failed → SUBACK 0x80.
    // Passing an error instead would disconnect the client.
    opts.authorizeSubscribe = (client, sub, done) =>
      done(null, authorizeSubscribe(client.id, sub.topic) ? sub : null);
  }
  if (authorizePublish) {
    opts.authorizePublish = (client, packet, done) =>
      done(
        authorizePublish(client?.id ?? "", packet.topic, Buffer.from(packet.payload))
          ? null
          : new Error("publish not authorized"),
      );
  }
  return opts;
}

class EmbeddedAedes implements AedesBroker {
  host: string;
  port = 0;
  broker!: Aedes;
  server!: net.Server;
  private sockets = new Set<net.Socket>();
  private closing: Promise<void> | null = null;

  constructor(private readonly options: AedesStartOptions) {
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 0;
  }

  get url(): string {
    const path = this.path;
    const scheme = path ? (this.options.tls ? "wss" : "ws") : this.options.tls ? "mqtts" : "mqtt";
    return `${scheme}://${this.host}:${this.port}${path ?? ""}`;
  }

  /** The WebSocket path, or undefined for raw TCP. */
  private get path(): string | undefined {
    const ws = this.options.webSocket;
    return ws === true ? "/mqtt" : ws || undefined;
  }

  connections(): number {
    return this.sockets.size;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker(aedesOptions(this.options));
    const t = this.options.tls;
    const secure = t && {
      key: t.key,
      cert: t.cert,
      ca: t.ca,
      requestCert: t.requestCert ?? false,
      rejectUnauthorized: t.requestCert ?? false,
    };
    const path = this.path;
    let server: net.Server;
    if (path) {
      server = secure ? https.createServer(secure) : http.createServer();
      const wss = new WebSocketServer({
        server: server as http.Server,
        path,
        handleProtocols: (offered) => (offered.has("mqtt") ? "mqtt" : false),
      });
      wss.on("connection", (ws) => broker.handle(createWebSocketStream(ws)));
      server.once("close", () => wss.close());
    } else {
      server = secure
        ? tls.createServer(secure, (socket) => broker.handle(socket))
        : net.createServer((socket) => broker.handle(socket));
    }
    // 'connection' fires with the raw TCP socket for both net and tls servers.
    server.on("connection", (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    // TLS handshake failures are expected in tests (wrong CA, no client cert).
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (typeof address === "object" && address !== null) this.port = address.port;
    this.broker = broker;
    this.server = server;
    this.closing = null;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const { broker, server } = this;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await serverClosed;
  }

  async restart(): Promise<void> {
    await this.close();
    await this.start();
  }
}

/** Starts an embedded aedes broker on 127.0.0.1 (a free port unless `port` is given). */
export async function startAedes(options: AedesStartOptions = {}): Promise<AedesBroker> {
  const broker = new EmbeddedAedes(options);
  await broker.start();
  return broker;
}
