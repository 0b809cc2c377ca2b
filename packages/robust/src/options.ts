/**
 * The robust client's own options, checked once (the simple client checks the rest, and
 * refuses keys neither layer knows).
 */
import {
  checkBoolean,
  checkInteger,
  mustBe,
  type MQTTClientOptions as SimpleOptions,
} from "@umqtt/simple";
import { MAX_TIMER_MS } from "./backoff.js";
import type { OfflinePolicy } from "./offline-queue.js";

/** Options of the robust client: the simple client's, plus reconnect and offline settings. */
export interface MQTTClientOptions extends SimpleOptions {
  /** Print reconnect activity through `log()` (umqtt.robust's DEBUG). Default false. */
  debug?: boolean;
  /** Backoff base in ms: the first retry waits up to this long (full jitter). Default 2000. */
  reconnectDelay?: number;
  /** Backoff cap in ms. Default 60 000. */
  maxReconnectDelay?: number;
  /** Failed attempts after which reconnecting gives up and pending work rejects. Default: never. */
  maxReconnectAttempts?: number;
  /** Publishes that may wait while disconnected. Default 1000. */
  maxOfflineQueue?: number;
  /**
   * Brokers to try in turn (cluster nodes): `"host:port"` or a server URL (`mqtt://`,
   * `mqtts://`, `ws://`, `wss://`). Replaces `server`/`port`; see the README's "Several servers".
   */
  servers?: string[];
  /** What a full offline queue does: drop the oldest QoS 0 publish (default) or reject the new one. QoS 1 and 2 are never dropped. */
  offlinePolicy?: OfflinePolicy;
}

export const OPTION_KEYS = [
  "servers",
  "debug",
  "reconnectDelay",
  "maxReconnectDelay",
  "maxReconnectAttempts",
  "maxOfflineQueue",
  "offlinePolicy",
];

const option = (name: string): string => `MQTTClient(options.${name})`;

function delayOption(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value > 0) || value > MAX_TIMER_MS) {
    mustBe(option(name), `a number of milliseconds from 1 to ${MAX_TIMER_MS}`, value);
  }
  return value;
}

/** The robust options with their defaults, after the checks. */
export function settingsOf(o: MQTTClientOptions) {
  const debug = o.debug ?? false;
  checkBoolean(debug, option("debug"));
  const maxReconnectAttempts = o.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
  if (maxReconnectAttempts !== Number.POSITIVE_INFINITY) {
    checkInteger(maxReconnectAttempts, option("maxReconnectAttempts"), 1, Number.MAX_SAFE_INTEGER);
  }
  const offlinePolicy = o.offlinePolicy ?? "drop-oldest";
  if (offlinePolicy !== "drop-oldest" && offlinePolicy !== "reject") {
    mustBe(option("offlinePolicy"), '"drop-oldest" or "reject"', offlinePolicy);
  }
  return {
    debug,
    reconnectDelay: delayOption(o.reconnectDelay ?? 2000, "reconnectDelay"),
    maxReconnectDelay: delayOption(o.maxReconnectDelay ?? 60_000, "maxReconnectDelay"),
    maxReconnectAttempts,
    maxOfflineQueue: checkInteger(o.maxOfflineQueue ?? 1000, option("maxOfflineQueue"), 0, 1 << 24),
    offlinePolicy,
  };
}
