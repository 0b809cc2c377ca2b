/**
 * Argument checks: each failure is an {@link InvalidArgumentError} naming the call, the
 * argument and the rule, thrown before anything is written. Shared with the layers above
 * (part of the layer contract), so every layer words a rule the same way.
 */
import {
  MqttCodecError,
  type QoS,
  validateString,
  validateTopicFilter,
  validateTopicName,
} from "@umqtt/codec";
import { InvalidArgumentError } from "./errors.js";

export function fail(where: string, rule: string): never {
  throw new InvalidArgumentError(`${where}: ${rule}`);
}

/** Fails with "must be <what>, got <the value>", the common shape of a type or range rule. */
export function mustBe(where: string, what: string, value: unknown): never {
  fail(where, `must be ${what}, got ${describe(value)}`);
}

/** Re-labels a codec refusal with the caller's argument name. */
export function codecRule<T>(where: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof MqttCodecError) {
      throw new InvalidArgumentError(`${where}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export function checkBytes(value: unknown, where: string): asserts value is string | Uint8Array {
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    mustBe(where, "a string or a Uint8Array", value);
  }
}

export function checkTopic(topic: unknown, where: string): asserts topic is string | Uint8Array {
  checkBytes(topic, where);
  codecRule(where, () => validateTopicName(topic));
}

export function checkFilter(filter: unknown, where: string): asserts filter is string {
  if (typeof filter !== "string") mustBe(where, "a string", filter);
  codecRule(where, () => validateTopicFilter(filter));
}

/** A QoS level: 0, 1 or 2. */
export function checkQos(qos: unknown, where: string): asserts qos is QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) mustBe(where, "0, 1 or 2", qos);
}

export function checkBoolean(value: unknown, where: string): asserts value is boolean {
  if (typeof value !== "boolean") mustBe(where, "a boolean", value);
}

export function checkInteger(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    mustBe(where, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function checkDuration(value: unknown, where: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    mustBe(where, "a positive number of milliseconds", value);
  }
  return value;
}

/** Checks publish() arguments without encoding anything. */
export function checkPublish(topic: unknown, msg: unknown, retain: unknown, qos: unknown): void {
  checkTopic(topic, "publish(topic)");
  checkBytes(msg, "publish(msg)");
  checkBoolean(retain, "publish(retain)");
  checkQos(qos, "publish(qos)");
}

/** Checks subscribe() arguments. */
export function checkSubscribe(topic: unknown, qos: unknown): void {
  checkFilter(topic, "subscribe(topic)");
  checkQos(qos, "subscribe(qos)");
}

/** Checks an MQTT string field (client id, user name: UTF-8, ≤ 65535 bytes) or binary (`binary`). */
export function checkString(value: unknown, where: string, binary = false): void {
  checkBytes(value, where);
  codecRule(where, () => validateString(value, "the value", binary));
}

/**
 * A value as an error message shows it: strings quoted (so "5" and 5 differ) and cut at 40
 * characters, bytes by their length, objects by their class.
 * @example
 * mustBe("publish(qos)", "0 or 1", "1"); // publish(qos): must be 0 or 1, got "1"
 */
export function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value instanceof Uint8Array) return `a Uint8Array(${value.length})`;
  if (value === null || typeof value !== "object") return String(value);
  return `a ${value.constructor?.name ?? "object"}`;
}
