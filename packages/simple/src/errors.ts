/**
 * Errors of the client. Two families, as in umqtt:
 * - {@link MQTTException}: the broker refused something (CONNACK return code 1–5, SUBACK 0x80;
 *   on MQTT 5 any reason code ≥ 0x80 of CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK).
 * - {@link MqttClientError}: everything else, with a stable string `code`. Its subclass
 *   {@link ConnectionError} is a failure of the connection; `retryable` says whether a
 *   reconnect can cure it (robust retries those and only those). A server's MQTT 5 DISCONNECT
 *   is a {@link ServerDisconnectError}.
 */
import { errorCodes } from "@umqtt/codec";

/**
 * The {@link ErrorCode} table as a type, documented per code. The values never change; match
 * on them rather than on messages.
 */
export interface ErrorCodes {
  /** An argument broke a rule; nothing was sent and the connection stays usable. */
  readonly INVALID_ARGUMENT: "ERR_INVALID_ARGUMENT";
  /** The call needs a connection and there is none (call `connect()` first). */
  readonly NOT_CONNECTED: "ERR_NOT_CONNECTED";
  /** The connection closed (socket error, peer close) before the operation completed. */
  readonly CONNECTION_CLOSED: "ERR_CONNECTION_CLOSED";
  /** No CONNACK (or no TCP/TLS connection) within the connect timeout. */
  readonly CONNECT_TIMEOUT: "ERR_CONNECT_TIMEOUT";
  /** No PINGRESP in time: the link is dead (half-open or black-holed). */
  readonly KEEPALIVE_TIMEOUT: "ERR_KEEPALIVE_TIMEOUT";
  /** The broker broke MQTT 3.1.1 (malformed packet, QoS 2 delivery, unexpected packet). */
  readonly PROTOCOL: "ERR_PROTOCOL";
  /** Messages piled up past the hard cap while nobody could take them (not retryable: the broker would resend the same flood). */
  readonly INBOX_OVERFLOW: "ERR_INBOX_OVERFLOW";
  /** `disconnect()` was called while the operation was pending. */
  readonly CLIENT_CLOSED: "ERR_CLIENT_CLOSED";
  /** No message receiver: `waitMsg()`/`checkMsg()` need a `setCallback()` callback. */
  readonly NO_CALLBACK: "ERR_NO_CALLBACK";
  /** (robust) The offline queue was full: this publish was refused or dropped, never sent. */
  readonly OFFLINE_QUEUE_FULL: "ERR_OFFLINE_QUEUE_FULL";
  /** (robust) Reconnecting gave up (attempt limit reached): pending work is failed. */
  readonly RECONNECT_FAILED: "ERR_RECONNECT_FAILED";
  /** (MQTT 5) The server closed the connection with a DISCONNECT; see its `reasonCode`. */
  readonly SERVER_DISCONNECT: "ERR_SERVER_DISCONNECT";
}

/** The code names, in table order; each code is "ERR_" + its name. */
const NAMES = [
  "INVALID_ARGUMENT",
  "NOT_CONNECTED",
  "CONNECTION_CLOSED",
  "CONNECT_TIMEOUT",
  "KEEPALIVE_TIMEOUT",
  "PROTOCOL",
  "INBOX_OVERFLOW",
  "CLIENT_CLOSED",
  "NO_CALLBACK",
  "OFFLINE_QUEUE_FULL",
  "RECONNECT_FAILED",
  "SERVER_DISCONNECT",
] as const satisfies readonly (keyof ErrorCodes)[];

/**
 * Stable machine-readable codes of {@link MqttClientError}, e.g.
 * `ErrorCode.NOT_CONNECTED === "ERR_NOT_CONNECTED"`.
 */
export const ErrorCode: ErrorCodes = errorCodes(NAMES);

/** One of the {@link ErrorCode} values. */
export type ErrorCode = ErrorCodes[keyof ErrorCodes];

/** Base class of the client's own errors; `code` is one of {@link ErrorCode}. */
export class MqttClientError extends Error {
  // `declare`: assigned in the constructor only, so no class field is emitted as well
  declare readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    (this as { code: ErrorCode }).code = code;
    this.name = "MqttClientError";
  }

  /**
   * Whether a new connection may cure it — decided here, once: a {@link ConnectionError}, but
   * not an inbox overflow (the broker would resend the same flood). robust retries exactly these.
   */
  get retryable(): boolean {
    return this instanceof ConnectionError && this.code !== ErrorCode.INBOX_OVERFLOW;
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
 * protocol violation. Reconnecting may cure it: this class is what makes an error retryable
 * (robust retries these and only these).
 */
export class ConnectionError extends MqttClientError {
  override name = "ConnectionError";
}

/**
 * The broker refused: `code` is the CONNACK return code (1 unacceptable protocol version,
 * 2 identifier rejected, 3 server unavailable, 4 bad user name or password, 5 not authorized)
 * or 0x80 (128) for a refused subscription — as umqtt's `MQTTException(code)`. On MQTT 5 it
 * is the reason code (≥ 0x80) of the CONNACK, PUBACK, PUBREC, SUBACK or UNSUBACK that refused,
 * with the server's `reasonString` when it sent one.
 */
export class MQTTException extends Error {
  declare readonly code: number;
  /** (MQTT 5) The server's Reason String, when it sent one. */
  declare readonly reasonString?: string;
  constructor(code: number, message?: string, reasonString?: string) {
    super(message ?? describeRefusal(code));
    (this as { code: number }).code = code;
    if (reasonString !== undefined) (this as { reasonString?: string }).reasonString = reasonString;
    this.name = "MQTTException";
  }
}

/**
 * (MQTT 5) A refusal carried by a reason code ≥ 0x80: `what` names the packet it came in.
 * @example
 * throw refusal(0x87, "SUBACK", "not allowed"); // MQTTException 135: … SUBACK 0x87 …
 */
export function refusal(
  code: number,
  what: string,
  reasonString?: string,
  name?: string,
): MQTTException {
  const hex = `0x${code.toString(16).padStart(2, "0")}`;
  return new MQTTException(
    code,
    `MQTTException ${code}: the broker refused (${what} ${hex}${name ? `: ${name}` : ""})${reasonString ? `: ${reasonString}` : ""}`,
    reasonString,
  );
}

/** DISCONNECT reason codes after which reconnecting makes sense (the rest: a reconnect repeats it). */
const PASSING = [0x00, 0x04, 0x80, 0x89, 0x8b, 0x8d, 0x97, 0x98, 0x9c, 0x9d, 0x9f];

/**
 * (MQTT 5) The server ended the connection with a DISCONNECT: `reasonCode` says why (0x8E
 * session taken over, 0x8B server shutting down, …). Retryable only for reasons a new
 * connection may cure.
 */
export class ServerDisconnectError extends ConnectionError {
  override name = "ServerDisconnectError";
  declare readonly reasonCode: number;
  declare readonly reasonString?: string;
  constructor(reasonCode: number, reasonString?: string, name?: string) {
    super(
      ErrorCode.SERVER_DISCONNECT,
      `the server disconnected (DISCONNECT 0x${reasonCode.toString(16).padStart(2, "0")}${name ? `: ${name}` : ""})${reasonString ? `: ${reasonString}` : ""}`,
    );
    (this as { reasonCode: number }).reasonCode = reasonCode;
    if (reasonString !== undefined) (this as { reasonString?: string }).reasonString = reasonString;
  }

  override get retryable(): boolean {
    return PASSING.includes(this.reasonCode);
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

/** True for the connection's failures (see {@link MqttClientError.retryable} for what a reconnect cures). */
export function isConnectionError(err: unknown): err is ConnectionError {
  return err instanceof ConnectionError;
}

/** True for the errors that a reconnect can cure. */
export function isRetryable(err: unknown): err is ConnectionError {
  return err instanceof MqttClientError && err.retryable;
}

/**
 * The error of a call that needs a connection: `cause` is why the last one ended, if any.
 * @example
 * throw notConnected("publish()", lastClose); // publish(): not connected (connection closed by the peer)
 */
export function notConnected(where: string, cause?: Error): ConnectionError {
  return new ConnectionError(
    ErrorCode.NOT_CONNECTED,
    `${where}: not connected${cause ? ` (${cause.message})` : "; call connect() first"}`,
    { cause },
  );
}
