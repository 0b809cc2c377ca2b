/**
 * The constructor's `server` argument: a bare host name or address (today's form, TCP or TLS
 * by `options.ssl`), or a URL whose scheme picks the transport — mqtt://, mqtts://, ws://,
 * wss://. The URL and the options may say the same thing twice; where they disagree the
 * constructor refuses, so a port or TLS setting is never silently dropped.
 */
import { fail } from "./validate.js";

/** Where to connect, as the transport choice needs it. */
export interface ServerTarget {
  /** MQTT over WebSocket (ws://, wss://) rather than over a TCP socket. */
  webSocket: boolean;
  /** TLS (mqtts://, wss://, or a host with `options.ssl`). */
  tls: boolean;
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** The WebSocket URL to open (with path and query); empty for TCP. */
  url: string;
}

const WHERE = "MQTTClient(server)";
const FORMS = "mqtt://, mqtts://, ws:// or wss://";
// scheme → [WebSocket, TLS, default port]
const SCHEMES: Record<string, [boolean, boolean, number]> = {
  "mqtt:": [false, false, 1883],
  "mqtts:": [false, true, 8883],
  "ws:": [true, false, 80],
  "wss:": [true, true, 443],
};

/**
 * Resolves `server` against the options that can also say where and how: `port` (0: not
 * given), `ssl` (undefined: not given) and whether `sslParams` were given.
 *
 * @example
 * parseServer("wss://broker.local/mqtt", 0, undefined, false)
 * // → { webSocket: true, tls: true, host: "broker.local", port: 443, url: "wss://broker.local/mqtt" }
 */
export function parseServer(
  server: string,
  port: number,
  ssl: unknown,
  sslParams: boolean,
): ServerTarget {
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(server)) {
    const tls = ssl !== undefined && ssl !== false;
    return { webSocket: false, tls, host: server, port: port || (tls ? 8883 : 1883), url: "" };
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail(WHERE, `${JSON.stringify(server)} is not a valid URL`);
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) return fail(WHERE, `unknown scheme "${url.protocol}//"; use ${FORMS}`);
  const [webSocket, tls, defaultPort] = scheme;
  const name = `${url.protocol}//`;
  if (url.username || url.password) {
    fail(WHERE, "no user or password in the URL; pass options.user and options.password");
  }
  // IPv6 literals keep their brackets in `hostname`.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) fail(WHERE, `${JSON.stringify(server)} names no host`);
  if (url.hash) fail(WHERE, "a server URL has no #fragment");
  if (!webSocket && ((url.pathname !== "" && url.pathname !== "/") || url.search)) {
    fail(WHERE, `${name} URLs have no path or query (only ws:// and wss:// do)`);
  }
  // URL drops a port equal to the scheme's default (ws://h:80), so look at the text as well.
  const authority = server.slice(name.length).split(/[/?#]/)[0]!;
  const written = /:\d+$/.test(authority) ? Number(url.port || defaultPort) : 0;
  if (written === 0 && /:\d+$/.test(authority)) fail(WHERE, "the URL's port must be 1 to 65535");
  if (written && port && written !== port) {
    fail(WHERE, `the URL's port ${written} contradicts options.port ${port}`);
  }
  if (ssl !== undefined && (ssl !== false) !== tls) {
    fail(
      WHERE,
      tls
        ? `${name} is TLS, but options.ssl is false`
        : `${name} is not TLS, but options.ssl is set; use ${webSocket ? "wss" : "mqtts"}://`,
    );
  }
  if (sslParams && !tls) {
    fail(
      WHERE,
      `${name} is not TLS, but options.sslParams are set; use ${webSocket ? "wss" : "mqtts"}://`,
    );
  }
  const resolved = written || port || defaultPort;
  if (webSocket && !written && port) url.port = String(port);
  return { webSocket, tls, host, port: resolved, url: webSocket ? url.href : "" };
}
