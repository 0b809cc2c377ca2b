/**
 * Shared helpers of the integration suite: one adapter over the two brokers (embedded aedes,
 * a real mosquitto child) so every scenario runs against both, client bookkeeping for
 * cleanup, and a pull-side receiver that turns waitMsg() into "the next message".
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FaultProxy } from "@umqtt/testkit";
import {
  type CertSet,
  startAedes,
  startFaultProxy,
  startMosquitto,
  text,
  withTimeout,
} from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, afterEach, describe, expect } from "vitest";
import { type MessageInfo, MQTTClient, type MQTTClientOptions } from "../../src/index.js";

export type BrokerName = "aedes" | "mosquitto";

/** What a scenario may ask of a broker when starting it. */
export interface BrokerStartOptions {
  /** Subscriptions to filters starting with this prefix are refused (SUBACK 0x80). */
  refuseSubscribePrefix?: string;
  /** Adds a TLS listener with these certificates. */
  tls?: CertSet;
}

/** A running broker of either kind. */
export interface TestBroker {
  readonly name: BrokerName;
  readonly host: string;
  readonly port: number;
  /** TLS port when started with `tls`. */
  readonly tlsPort?: number;
  /** A crash: aedes closes server and sockets; mosquitto gets SIGKILL. */
  crash(): Promise<void>;
  /** Orderly shutdown; idempotent. */
  stop(): Promise<void>;
}

export interface BrokerKind {
  readonly name: BrokerName;
  start(options?: BrokerStartOptions): Promise<TestBroker>;
  /** describe() for aedes; describeMosquitto() (visible skip locally, failure in CI) for mosquitto. */
  describe(name: string, fn: () => void): void;
}

const aedesKind: BrokerKind = {
  name: "aedes",
  describe: (name, fn) => describe(name, fn),
  async start(options = {}) {
    const prefix = options.refuseSubscribePrefix;
    const b = await startAedes({
      ...(prefix
        ? { authorizeSubscribe: (_id: string, topic: string) => !topic.startsWith(prefix) }
        : {}),
      ...(options.tls
        ? { tls: { key: options.tls.serverKeyPem, cert: options.tls.serverCertPem } }
        : {}),
    });
    return {
      name: "aedes",
      host: b.host,
      port: b.port,
      ...(options.tls ? { tlsPort: b.port } : {}),
      crash: () => b.close(),
      stop: () => b.close(),
    };
  },
};

const mosquittoKind: BrokerKind = {
  name: "mosquitto",
  describe: (name, fn) => describeMosquitto(name, fn),
  async start(options = {}) {
    let aclDir: string | undefined;
    let extraConfig: string | undefined;
    if (options.refuseSubscribePrefix) {
      aclDir = mkdtempSync(path.join(tmpdir(), "umqtt-acl-"));
      const acl = path.join(aclDir, "acl");
      // Lines before any `user` line apply to anonymous clients.
      writeFileSync(acl, `topic deny ${options.refuseSubscribePrefix}#\ntopic readwrite #\n`);
      extraConfig = `acl_file ${acl}`;
    }
    const m = await startMosquitto({
      ...(extraConfig ? { extraConfig } : {}),
      ...(options.tls
        ? {
            tls: {
              caFile: options.tls.caFile,
              certFile: options.tls.serverCertFile,
              keyFile: options.tls.serverKeyFile,
            },
          }
        : {}),
    });
    let stopped: Promise<void> | undefined;
    return {
      name: "mosquitto",
      host: m.host,
      port: m.port,
      ...(m.tlsPort !== undefined ? { tlsPort: m.tlsPort } : {}),
      crash: () => m.kill(),
      stop: () => {
        stopped ??= m.stop().finally(() => {
          if (aclDir) rmSync(aclDir, { recursive: true, force: true });
        });
        return stopped;
      },
    };
  },
};

export const BROKERS: readonly BrokerKind[] = [aedesKind, mosquittoKind];

/** Runs `fn` once per broker inside describe("aedes")/describeMosquitto("mosquitto"). */
export function eachBroker(fn: (kind: BrokerKind) => void): void {
  for (const kind of BROKERS) kind.describe(kind.name, () => fn(kind));
}

/**
 * A broker started in beforeAll-like fashion: `get()` inside tests. Stopped in afterAll.
 * Started lazily on first use so a skipped describe starts nothing.
 */
export function sharedBroker(
  kind: BrokerKind,
  options?: BrokerStartOptions | (() => BrokerStartOptions),
): () => Promise<TestBroker> {
  let started: Promise<TestBroker> | undefined;
  afterAll(async () => {
    if (started) await (await started).stop();
  });
  return () => {
    started ??= kind.start(typeof options === "function" ? options() : options);
    return started;
  };
}

/** Creates clients and proxies for one test and tears them all down after each test. */
export class Fixture {
  private readonly ours = new Set<MQTTClient>();
  private readonly theirs = new Set<MqttClient>();
  private readonly proxies = new Set<FaultProxy>();
  private readonly brokers = new Set<TestBroker>();
  private seq = 0;
  /** Unique per test file run, so client ids and topics never collide across tests. */
  readonly run = Math.random().toString(36).slice(2, 8);

  constructor() {
    afterEach(() => this.cleanup());
  }

  /** A unique string for client ids and topic prefixes. */
  id(label: string): string {
    return `${label}-${this.run}-${++this.seq}`;
  }

  client(
    target: { host: string; port: number },
    clientId: string,
    options: MQTTClientOptions = {},
  ): MQTTClient {
    const c = new MQTTClient(clientId, target.host, {
      port: target.port,
      connectTimeout: 5000,
      ...options,
    });
    this.ours.add(c);
    return c;
  }

  /** Connected MQTT.js client (MQTT 3.1.1, no auto-reconnect). */
  async mqttjs(
    target: { host: string; port: number },
    options: IClientOptions = {},
  ): Promise<MqttClient> {
    const c = await connectAsync(`mqtt://${target.host}:${target.port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    this.theirs.add(c);
    return c;
  }

  async proxy(target: { host: string; port: number }): Promise<FaultProxy> {
    const p = await startFaultProxy({ target: { host: target.host, port: target.port } });
    this.proxies.add(p);
    return p;
  }

  /** A broker owned by this one test (stopped after it). */
  async broker(kind: BrokerKind, options?: BrokerStartOptions): Promise<TestBroker> {
    const b = await kind.start(options);
    this.brokers.add(b);
    return b;
  }

  async cleanup(): Promise<void> {
    const ours = [...this.ours];
    const theirs = [...this.theirs];
    this.ours.clear();
    this.theirs.clear();
    await Promise.allSettled(ours.map((c) => c.disconnect()));
    await Promise.allSettled(theirs.map((c) => c.endAsync(true)));
    await Promise.allSettled([...this.proxies].map((p) => p.close()));
    this.proxies.clear();
    await Promise.allSettled([...this.brokers].map((b) => b.stop()));
    this.brokers.clear();
  }
}

/** One message as the callback saw it (copied), plus waitMsg()'s first header byte. */
export interface Received extends MessageInfo {
  topic: string;
  topicBytes: Uint8Array;
  payload: Uint8Array;
  /** waitMsg()'s result; undefined when the message was dispatched while awaiting an ack. */
  first?: number;
}

/** First header byte a message with these flags must have (0x30 | dup<<3 | qos<<1 | retain). */
export const firstByte = (m: MessageInfo): number =>
  0x30 | (m.dup ? 8 : 0) | (m.qos << 1) | (m.retain ? 1 : 0);

/**
 * Installs a recording callback; `next()` resolves to the next dispatched message (via
 * waitMsg(), with a safety-net timeout).
 */
export function receiver(client: MQTTClient): {
  next(ms?: number): Promise<Received>;
  readonly pending: Received[];
} {
  const pending: Received[] = [];
  client.setCallback((topic, payload, info) => {
    // Copies: the views may share a received chunk; plain Uint8Arrays compare cleanly.
    pending.push({
      topic: text(topic),
      topicBytes: new Uint8Array(topic),
      payload: new Uint8Array(payload),
      ...info,
    });
  });
  return {
    pending,
    async next(ms = 5000) {
      const queued = pending.shift();
      if (queued) return queued;
      const first = await withTimeout(client.waitMsg(), ms, "waitMsg()");
      const got = pending.shift();
      if (!got) throw new Error(`waitMsg() resolved ${first} but dispatched nothing`);
      got.first = first ?? undefined;
      return got;
    },
  };
}

/** A promise for the next `message` event of an MQTT.js client. */
export function nextMqttjsMessage(
  c: MqttClient,
  ms = 5000,
): Promise<{ topic: string; payload: Buffer; retain: boolean; qos: number; dup: boolean }> {
  return withTimeout(
    new Promise((resolve) => {
      c.once("message", (topic, payload, packet) =>
        resolve({ topic, payload, retain: packet.retain, qos: packet.qos, dup: packet.dup }),
      );
    }),
    ms,
    "MQTT.js message",
  );
}

/** Byte equality without vitest's slow element-by-element diff of large arrays. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected), "byte contents differ").toBe(0);
}

/** Resolves after ms: only for tests that are about elapsed time. */
export const elapse = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
