/**
 * Design: the constructor's options, checked once and turned into the settings the client
 * runs on. Every rule fails with an InvalidArgumentError naming `MQTTClient(options.<name>)`;
 * an option nobody knows (a misspelt `keepAlive`) is refused with the list of known ones.
 */
import type { SecureContext, ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { type ConnectProperties, MAX_REMAINING_LENGTH } from "@umqtt/codec";
import type { TransportFactory } from "./transport.js";
import { checkBytes, checkDuration, checkInteger, fail, mustBe } from "./validate.js";
import type { WebSocketConstructor } from "./websocket.js";

/** Options of {@link MQTTClient}; all optional. Durations in milliseconds except `keepalive`. */
export interface MQTTClientOptions {
  /** 0 or absent: the URL's port, else 1883, or 8883 when `ssl` is set (80/443 for ws/wss). */
  port?: number;
  /** User name; credentials are sent only when it is a non-empty string. */
  user?: string;
  /** Password; needs `user` [MQTT-3.1.2-22]. */
  password?: string | Uint8Array;
  /** Seconds, 0–65535; default 60; 0 turns keepalive (and dead-link detection) off. */
  keepalive?: number;
  /** `true` for TLS with Node's defaults (server certificate verified), or a SecureContext. */
  ssl?: boolean | SecureContext;
  /** Extra `tls.connect` options (ca, cert, key, servername, rejectUnauthorized, …). */
  sslParams?: TlsConnectionOptions;
  /** Largest packet accepted from the broker, in bytes (a larger one closes the connection). */
  maxPacketSize?: number;
  /** QoS 1 and 2 publishes awaiting their acknowledgement at once; default 20. */
  maxInflight?: number;
  /** Time allowed for TCP/TLS connect plus CONNACK; default 30 000 ms. */
  connectTimeout?: number;
  /** Received messages held until the application takes them; default 1000 (soft limit). */
  maxQueuedMessages?: number;
  /** Received bytes held until the application takes them; default 1 MiB (soft limit). */
  maxQueuedBytes?: number;
  /**
   * A WHATWG WebSocket constructor for ws:// and wss:// (e.g. `WebSocket` from the `ws`
   * package, for Node 20, which has no global one); default: the runtime's global WebSocket.
   * With it, `ssl`/`sslParams` go to its constructor's third argument (the `ws` package's).
   */
  webSocket?: WebSocketConstructor;
  /** 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). */
  protocolVersion?: 4 | 5;
  /** (MQTT 5) CONNECT properties: sessionExpiryInterval, receiveMaximum, topicAliasMaximum, … */
  properties?: ConnectProperties;
  /** Opens the byte stream instead of TCP/TLS (in-memory tests, a custom transport, …). */
  transport?: TransportFactory;
}

/** The settings the client runs on, after the checks. */
export interface Settings {
  /** As given (0: the URL's or the scheme's default). */
  port: number;
  keepalive: number;
  maxPacketSize: number;
  maxInflight: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  connectTimeout: number;
  /** The CONNECT credentials: present only with a non-empty user name, as umqtt. */
  credentials: { username?: string; password?: string | Uint8Array };
  transport: TransportFactory | undefined;
  protocolVersion: 4 | 5;
  properties: ConnectProperties | undefined;
}

/** The largest packet MQTT can frame: a 5-byte fixed header and the longest remaining length. */
const MAX_PACKET = MAX_REMAINING_LENGTH + 5;

/** Where a constructor option's error points. */
export const option = (name: string): string => `MQTTClient(options.${name})`;

type IntegerOption =
  | "port"
  | "keepalive"
  | "maxPacketSize"
  | "maxInflight"
  | "maxQueuedMessages"
  | "maxQueuedBytes";

/** The integer options, checked in this order: default, min, max. */
const INTEGER_OPTIONS: [name: IntegerOption, fallback: number, min: number, max: number][] = [
  ["port", 0, 0, 65535],
  ["keepalive", 60, 0, 65535],
  // The default is the largest packet MQTT can frame (the decoder's own default).
  ["maxPacketSize", MAX_PACKET, 2, MAX_PACKET],
  // 20: mosquitto's default max_inflight_messages; past it mosquitto 2.0 drops QoS 2 publishes
  // of an MQTT 3.1.1 client that cannot see its "quota exceeded".
  ["maxInflight", 20, 1, 65535],
  ["maxQueuedMessages", 1000, 1, 1 << 24],
  ["maxQueuedBytes", 1 << 20, 1024, 1 << 30],
];

/** Options that, when given, only need the right `typeof`: the type and the rule's wording. */
const TYPED_OPTIONS: [
  name: "user" | "sslParams" | "transport" | "properties",
  type: string,
  what: string,
][] = [
  ["user", "string", "a string"],
  ["sslParams", "object", "an object of tls.connect options"],
  ["transport", "function", "a transport factory function"],
  ["properties", "object", "an object of MQTT 5 CONNECT properties"],
];

/** Every option this layer reads. */
export const OPTION_KEYS: readonly string[] = [
  ...INTEGER_OPTIONS.map(([name]) => name),
  ...TYPED_OPTIONS.map(([name]) => name),
  "password",
  "ssl",
  "connectTimeout",
  "webSocket",
  "protocolVersion",
];

/**
 * Refuses an options object with a key outside `known` (this layer's and the layers above it).
 * @example
 * checkOptionKeys({ keepAlive: 30 }, OPTION_KEYS); // throws: unknown option "keepAlive"
 */
export function checkOptionKeys(options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      fail(
        "MQTTClient(options)",
        `unknown option ${JSON.stringify(key)}; the known options are ${[...known].sort().join(", ")}`,
      );
    }
  }
}

/**
 * Checks the simple client's options (keys of the layers above are allowed, and checked there)
 * and returns its settings.
 */
export function settingsOf(options: unknown, layerKeys: readonly string[]): Settings {
  if (options === null || typeof options !== "object") {
    mustBe("MQTTClient(options)", "an object", options);
  }
  const o = options as MQTTClientOptions;
  checkOptionKeys(o, layerKeys.length ? [...OPTION_KEYS, ...layerKeys] : OPTION_KEYS);
  const ssl = o.ssl ?? false;
  if (typeof ssl !== "boolean" && (typeof ssl !== "object" || !("context" in ssl))) {
    mustBe(option("ssl"), "a boolean or a tls.SecureContext", ssl);
  }
  const n = {} as Record<IntegerOption, number>;
  for (const [name, fallback, min, max] of INTEGER_OPTIONS) {
    n[name] = checkInteger(o[name] ?? fallback, option(name), min, max);
  }
  for (const [name, type, what] of TYPED_OPTIONS) {
    const value = o[name];
    if (value !== undefined && (typeof value !== type || value === null)) {
      mustBe(option(name), what, value);
    }
  }
  if (o.password !== undefined) {
    checkBytes(o.password, option("password"));
    if (!o.user) fail(option("password"), "a password needs a user name [MQTT-3.1.2-22]");
  }
  const protocolVersion = o.protocolVersion ?? 4;
  if (protocolVersion !== 4 && protocolVersion !== 5) {
    mustBe(option("protocolVersion"), "4 (MQTT 3.1.1) or 5 (MQTT 5.0)", protocolVersion);
  }
  if (o.properties !== undefined && protocolVersion !== 5) {
    fail(option("properties"), "MQTT 5 properties need protocolVersion: 5");
  }
  return {
    ...n,
    protocolVersion,
    properties: o.properties,
    connectTimeout:
      o.connectTimeout === undefined
        ? 30_000
        : checkDuration(o.connectTimeout, option("connectTimeout")),
    // As umqtt: credentials only with a non-empty user name.
    credentials: o.user ? { username: o.user, password: o.password } : {},
    transport: o.transport,
  };
}
