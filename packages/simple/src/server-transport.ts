/**
 * Picks the transport for a parsed server: TCP/TLS where the runtime has it, or a WebSocket —
 * the `webSocket` option's constructor, else the runtime's global one. TLS options reach a
 * WebSocket only through the `webSocket` option (the `ws` package takes them as its third
 * argument); a runtime's global WebSocket uses its own trust store and takes none, so giving
 * them there is refused rather than ignored.
 */
import type { SecureContext, ConnectionOptions as TlsConnectionOptions } from "node:tls";
import type { ServerTarget } from "./server-url.js";
import { hasTcp, socketTransport } from "./tcp.js";
import type { TransportFactory } from "./transport.js";
import { fail, mustBe } from "./validate.js";
import { type WebSocketConstructor, webSocketTransport } from "./websocket.js";

/** The options that shape the transport. */
export interface TransportChoice {
  ssl?: boolean | SecureContext;
  sslParams?: TlsConnectionOptions;
  webSocket?: WebSocketConstructor;
}

/**
 * The transport factory for `target`; refuses what this runtime cannot do.
 * @example
 * serverTransport(parseServer("ws://127.0.0.1:8080/mqtt", 0, undefined, false), { webSocket: WebSocket });
 */
export function serverTransport(target: ServerTarget, options: TransportChoice): TransportFactory {
  const { ssl, sslParams, webSocket } = options;
  const tls = target.tls
    ? { ...(typeof ssl === "object" ? { secureContext: ssl } : {}), ...sslParams }
    : undefined;
  if (webSocket !== undefined && typeof webSocket !== "function") {
    mustBe("MQTTClient(options.webSocket)", "a WebSocket constructor", webSocket);
  }
  if (!target.webSocket) {
    if (webSocket) fail("MQTTClient(options.webSocket)", "only ws:// and wss:// servers use it");
    if (!hasTcp) fail("MQTTClient(server)", "TCP needs Node; use ws:// or wss://");
    return socketTransport({ host: target.host, port: target.port, tls });
  }
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  const WebSocket = webSocket ?? global;
  if (!WebSocket) {
    fail(
      "MQTTClient(options.webSocket)",
      'no global WebSocket here (Node 20); pass webSocket: WebSocket from the "ws" package',
    );
  }
  const withTls = tls && Object.keys(tls).length > 0;
  if (withTls && !webSocket) {
    fail(
      "MQTTClient(options.sslParams)",
      'the global WebSocket takes no TLS options (its trust store applies); pass webSocket: WebSocket from "ws"',
    );
  }
  return webSocketTransport({
    url: target.url,
    webSocket: WebSocket,
    ...(withTls ? { options: tls } : {}),
  });
}
