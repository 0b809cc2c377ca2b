/**
 * Shared pieces of the robust integration suite: a client class that records what each
 * connect() resolved to, a pull-side collector of numbered messages and client bookkeeping
 * so every test cleans up.
 */
import { withTimeout } from "@umqtt/testkit";
import { afterEach } from "vitest";
import { MQTTClient, type MQTTClientOptions } from "../../src/index.js";

/** Reconnect settings for tests: fast backoff, short keepalive. */
export const FAST: MQTTClientOptions = {
  keepalive: 2,
  reconnectDelay: 20,
  maxReconnectDelay: 200,
  connectTimeout: 2000,
};

/** Records every connect() result (session present) and every log() call. */
export class Recorder extends MQTTClient {
  readonly sessions: boolean[] = [];
  readonly logs: { at: number; inReconnect: boolean; err: unknown }[] = [];
  private logWaiters: ((rec: { at: number; inReconnect: boolean; err: unknown }) => void)[] = [];

  override async connect(cleanSession = true, timeout?: number): Promise<boolean> {
    const present = await super.connect(cleanSession, timeout);
    this.sessions.push(present);
    return present;
  }

  override log(inReconnect: boolean, err: unknown): void {
    const rec = { at: performance.now(), inReconnect, err };
    this.logs.push(rec);
    for (const w of this.logWaiters.splice(0)) w(rec);
    super.log(inReconnect, err);
  }

  /** The first log() record (past or future) matching pred. */
  nextLog(
    pred: (rec: { inReconnect: boolean; err: unknown }) => boolean,
    ms = 5000,
  ): Promise<{ at: number; err: unknown }> {
    const found = this.logs.find(pred);
    if (found) return Promise.resolve(found);
    const wait = new Promise<{ at: number; err: unknown }>((resolve) => {
      const check = (rec: { at: number; inReconnect: boolean; err: unknown }) => {
        if (pred(rec)) resolve(rec);
        else this.logWaiters.push(check);
      };
      this.logWaiters.push(check);
    });
    return withTimeout(wait, ms, "a matching log() call");
  }
}

/** Creates clients that are disconnected after each test. */
export function clientPool(): <C extends MQTTClient>(client: C) => C {
  const clients: MQTTClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
  });
  return (client) => {
    clients.push(client);
    return client;
  };
}

/**
 * Pulls messages with waitMsg() in the background and records payloads as numbers, in
 * arrival order (duplicates included). `until(n)` resolves once n distinct numbers arrived.
 */
export function collect(client: MQTTClient): {
  readonly received: number[];
  readonly distinct: Set<number>;
  until(count: number, ms: number): Promise<void>;
  texts: string[];
} {
  const received: number[] = [];
  const texts: string[] = [];
  const distinct = new Set<number>();
  let waiters: (() => void)[] = [];
  const decoder = new TextDecoder();
  client.setCallback((_topic, msg) => {
    const t = decoder.decode(msg);
    texts.push(t);
    const n = Number(t);
    received.push(n);
    distinct.add(n);
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  });
  void (async () => {
    for (;;) {
      try {
        await client.waitMsg();
      } catch {
        return; // closed (or gave up): the test's assertions tell
      }
    }
  })();
  return {
    received,
    distinct,
    texts,
    until(count, ms) {
      const wait = async () => {
        while (distinct.size < count) await new Promise<void>((r) => waiters.push(r));
      };
      return withTimeout(wait(), ms, `${count} distinct messages (have ${distinct.size})`);
    },
  };
}

/** The numbers in order of first occurrence. */
export function firstOccurrences(received: number[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const n of received) {
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
  }
  return out;
}
