/**
 * Errors of the client. Two families, as in umqtt:
 * - {@link MQTTException}: the broker refused something (CONNACK return code 1–5, SUBACK 0x80).
 * - {@link MqttClientError}: everything else, with a stable string `code`. Its subclass
 *   {@link ConnectionError} marks the failures that a reconnect can cure (robust retries those
 *   and only those).
 */

/** Stable machine-readable codes of {@link MqttClientError}. */
export const ErrorCode = {
  /** An argument broke a rule; nothing was sent and the connection stays usable. */
  INVALID_ARGUMENT: "ERR_INVALID_ARGUMENT",
  /** The call needs a connection and there is none (call `connect()` first). */
  NOT_CONNECTED: "ERR_NOT_CONNECTED",
  /** The connection closed (socket error, peer close) before the operation completed. */
  CONNECTION_CLOSED: "ERR_CONNECTION_CLOSED",
  /** No CONNACK (or no TCP/TLS connection) within the connect timeout. */
  CONNECT_TIMEOUT: "ERR_CONNECT_TIMEOUT",
  /** No PINGRESP in time: the link is dead (half-open or black-holed). */
  KEEPALIVE_TIMEOUT: "ERR_KEEPALIVE_TIMEOUT",
  /** The broker broke MQTT 3.1.1 (malformed packet, QoS 2 delivery, unexpected packet). */
  PROTOCOL: "ERR_PROTOCOL",
  /** Messages piled up past the hard cap while nobody could take them. */
  INBOX_OVERFLOW: "ERR_INBOX_OVERFLOW",
  /** `disconnect()` was called while the operation was pending. */
  CLIENT_CLOSED: "ERR_CLIENT_CLOSED",
  /** No message receiver: `waitMsg()`/`checkMsg()` need a `setCallback()` callback. */
  NO_CALLBACK: "ERR_NO_CALLBACK",
  /** (robust) The offline queue was full: this publish was refused or dropped, never sent. */
  OFFLINE_QUEUE_FULL: "ERR_OFFLINE_QUEUE_FULL",
  /** (robust) Reconnecting gave up (attempt limit reached): pending work is failed. */
  RECONNECT_FAILED: "ERR_RECONNECT_FAILED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of the client's own errors; `code` is one of {@link ErrorCode}. */
export class MqttClientError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MqttClientError";
    this.code = code;
  }
}

/** A bad argument: names the argument and the rule it broke. Nothing was sent. */
export class InvalidArgumentError extends MqttClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INVALID_ARGUMENT, message, options);
    this.name = "InvalidArgumentError";
  }
}

/**
 * The connection failed or is gone: closed, timed out, dead by keepalive, or broken by a
 * protocol violation. Reconnecting may cure it.
 */
export class ConnectionError extends MqttClientError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ConnectionError";
  }
}

/**
 * The broker refused: `code` is the CONNACK return code (1 unacceptable protocol version,
 * 2 identifier rejected, 3 server unavailable, 4 bad user name or password, 5 not authorized)
 * or 0x80 (128) for a refused subscription — as umqtt's `MQTTException(code)`.
 */
export class MQTTException extends Error {
  readonly code: number;
  constructor(code: number, message?: string) {
    super(message ?? describeRefusal(code));
    this.name = "MQTTException";
    this.code = code;
  }
}

const CONNACK_REASONS = [
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

function describeRefusal(code: number): string {
  if (code === 0x80) return "MQTTException 128: the broker refused the subscription (SUBACK 0x80)";
  const reason = CONNACK_REASONS[code] ?? "unknown return code";
  return `MQTTException ${code}: the broker refused the connection (CONNACK ${code}: ${reason})`;
}

/** True for the errors that a reconnect can cure. */
export function isConnectionError(err: unknown): err is ConnectionError {
  return err instanceof ConnectionError;
}
