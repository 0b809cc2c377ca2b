/**
 * Argument checks: each failure is an {@link InvalidArgumentError} naming the call, the
 * argument and the rule, thrown before anything is written.
 */
import { MqttCodecError, validateTopicFilter, validateTopicName } from "@umqtt/codec";
import { InvalidArgumentError } from "./errors.js";

export function fail(where: string, rule: string): never {
  throw new InvalidArgumentError(`${where}: ${rule}`);
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
    fail(where, `must be a string or a Uint8Array, got ${describe(value)}`);
  }
}

export function checkTopic(topic: unknown, where: string): asserts topic is string | Uint8Array {
  checkBytes(topic, where);
  codecRule(where, () => validateTopicName(topic));
}

export function checkFilter(filter: unknown, where: string): asserts filter is string {
  if (typeof filter !== "string") fail(where, `must be a string, got ${describe(filter)}`);
  codecRule(where, () => validateTopicFilter(filter));
}

/** QoS of an operation this client performs itself: 0 or 1 (QoS 2 is refused by design). */
export function checkQos01(qos: unknown, where: string): asserts qos is 0 | 1 {
  if (qos === 0 || qos === 1) return;
  if (qos === 2) fail(where, "QoS 2 is not supported by this client; use 0 or 1");
  fail(where, `must be 0 or 1, got ${describe(qos)}`);
}

export function checkBoolean(value: unknown, where: string): asserts value is boolean {
  if (typeof value !== "boolean") fail(where, `must be a boolean, got ${describe(value)}`);
}

export function checkInteger(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(where, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

export function checkDuration(value: unknown, where: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    fail(where, `must be a positive number of milliseconds, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value instanceof Uint8Array) return `a Uint8Array(${value.length})`;
  if (value === null || typeof value !== "object") return String(value);
  return `a ${value.constructor?.name ?? "object"}`;
}
