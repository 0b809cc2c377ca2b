/**
 * Bad input gets a clear error and nothing is sent (DESIGN §2.5): every refused argument
 * rejects with InvalidArgumentError naming it, writes no byte, and leaves the connection usable.
 */
import { ScriptedBroker, type ScriptedLink, turns } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { MQTTClient, type MQTTClientOptions } from "../src/client.js";
import { ErrorCode, InvalidArgumentError, MqttClientError } from "../src/errors.js";
import { connected, opening } from "./session.js";

/** The error `run` throws or rejects with (fails the test if it succeeds). */
async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to be refused");
}

// biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
type Any = any;

/** A valid QoS 1 publish still goes through (and the broker sees it). */
async function stillUsable(client: MQTTClient, link: ScriptedLink): Promise<void> {
  const publishing = client.publish("ok", "fine", false, 1);
  const packet = await link.next("publish");
  expect(packet.topic).toBe("ok");
  link.puback(packet.pid!);
  await publishing;
  expect(client.isConnected()).toBe(true);
}

const cases: [name: string, argument: string, call: (c: MQTTClient) => unknown][] = [
  ["publish topic with +", "publish(topic", (c) => c.publish("a/+/b", "m")],
  ["publish topic with #", "publish(topic", (c) => c.publish("a/#", "m")],
  ["publish empty topic", "publish(topic", (c) => c.publish("", "m")],
  ["publish topic with U+0000", "publish(topic", (c) => c.publish("a\u0000b", "m")],
  ["publish topic with a lone surrogate", "publish(topic", (c) => c.publish("a\ud800", "m")],
  ["publish topic over 65535 bytes", "publish(topic", (c) => c.publish("x".repeat(65536), "m")],
  [
    "publish topic of 21846 three-byte characters",
    "publish(topic",
    (c) => c.publish("€".repeat(21846), "m"),
  ],
  ["publish wildcard topic as bytes", "publish(topic", (c) => c.publish(Uint8Array.of(0x23), "m")],
  ["publish numeric topic", "publish(topic)", (c) => c.publish(42 as Any, "m")],
  ["publish null topic", "publish(topic)", (c) => c.publish(null as Any, "m")],
  ["publish numeric msg", "publish(msg)", (c) => c.publish("t", 42 as Any)],
  ["publish object msg", "publish(msg)", (c) => c.publish("t", {} as Any)],
  ["publish undefined msg", "publish(msg)", (c) => c.publish("t", undefined as Any)],
  ["publish retain 1", "publish(retain)", (c) => c.publish("t", "m", 1 as Any)],
  ["publish retain 'true'", "publish(retain)", (c) => c.publish("t", "m", "true" as Any)],
  ["publish qos 3", "publish(qos)", (c) => c.publish("t", "m", false, 3 as Any)],
  ["publish qos '1'", "publish(qos)", (c) => c.publish("t", "m", false, "1" as Any)],
  ["publish qos -1", "publish(qos)", (c) => c.publish("t", "m", false, -1 as Any)],
  ["subscribe a/#/b", "subscribe(topic)", (c) => c.subscribe("a/#/b", 0)],
  ["subscribe a+", "subscribe(topic)", (c) => c.subscribe("a+", 0)],
  ["subscribe a#", "subscribe(topic)", (c) => c.subscribe("a#", 0)],
  ["subscribe empty filter", "subscribe(topic)", (c) => c.subscribe("", 0)],
  ["subscribe filter with U+0000", "subscribe(topic)", (c) => c.subscribe("a\u0000", 0)],
  ["subscribe numeric filter", "subscribe(topic)", (c) => c.subscribe(1 as Any, 0)],
  ["subscribe qos 3", "subscribe(qos)", (c) => c.subscribe("t", 3 as Any)],
  ["subscribe qos '0'", "subscribe(qos)", (c) => c.subscribe("t", "0" as Any)],
  ["unsubscribe a/#/b", "unsubscribe(topic)", (c) => c.unsubscribe("a/#/b")],
  ["unsubscribe empty filter", "unsubscribe(topic)", (c) => c.unsubscribe("")],
  ["unsubscribe a+b", "unsubscribe(topic)", (c) => c.unsubscribe("a+b")],
  ["unsubscribe numeric filter", "unsubscribe(topic)", (c) => c.unsubscribe(7 as Any)],
  ["setLastWill topic with +", "setLastWill(topic)", (c) => c.setLastWill("a/+", "bye")],
  ["setLastWill empty topic", "setLastWill(topic)", (c) => c.setLastWill("", "bye")],
  ["setLastWill numeric msg", "setLastWill(msg)", (c) => c.setLastWill("t", 5 as Any)],
  ["setLastWill retain 'no'", "setLastWill(retain)", (c) => c.setLastWill("t", "bye", "no" as Any)],
  ["setLastWill qos 3", "setLastWill(qos)", (c) => c.setLastWill("t", "bye", false, 3 as Any)],
  ["setCallback with a non-function", "setCallback(cb)", (c) => c.setCallback("cb" as Any)],
  ["connect with cleanSession 'yes'", "connect(cleanSession)", (c) => c.connect("yes" as Any)],
  ["connect timeout 0", "connect(timeout)", (c) => c.connect(true, 0)],
  ["connect timeout -5", "connect(timeout)", (c) => c.connect(true, -5)],
  ["connect timeout NaN", "connect(timeout)", (c) => c.connect(true, Number.NaN)],
];

describe("refused arguments on a connected client", () => {
  test.each(cases)(
    "%s → InvalidArgumentError naming %s, nothing written, still usable",
    async (_name, argument, call) => {
      const { client, link, broker } = await connected();
      const before = link.bytesWritten;
      const err = await caught(() => call(client));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((err as Error).message).toContain(argument);
      await turns();
      expect(link.bytesWritten).toBe(before);
      expect(broker.links).toHaveLength(1);
      await stillUsable(client, link);
    },
  );
});

describe("a refused setLastWill keeps the previous will", () => {
  test("the next CONNECT carries the will set before the refused call", async () => {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("cid", "h", { keepalive: 0, transport: broker.factory });
    client.setLastWill("lw", "bye");
    expect(() => client.setLastWill("lw/#", "x")).toThrow(InvalidArgumentError);
    const next = broker.nextLink();
    void client.connect().catch(() => {});
    const connect = await (await next).next("connect");
    expect(connect.will?.topic).toBe("lw");
  });
});

const constructorCases: [name: string, argument: string, clientId: Any, options: Any][] = [
  ["keepalive 70000", "MQTTClient(options.keepalive)", "cid", { keepalive: 70000 }],
  ["keepalive -1", "MQTTClient(options.keepalive)", "cid", { keepalive: -1 }],
  ["keepalive 1.5", "MQTTClient(options.keepalive)", "cid", { keepalive: 1.5 }],
  ["keepalive '60'", "MQTTClient(options.keepalive)", "cid", { keepalive: "60" }],
  ["port 70000", "MQTTClient(options.port)", "cid", { port: 70000 }],
  ["port -1", "MQTTClient(options.port)", "cid", { port: -1 }],
  ["maxInflight 0", "MQTTClient(options.maxInflight)", "cid", { maxInflight: 0 }],
  ["maxInflight 1.5", "MQTTClient(options.maxInflight)", "cid", { maxInflight: 1.5 }],
  ["password without user", "MQTTClient(options.password)", "cid", { password: "pw" }],
  [
    "password with an empty user",
    "MQTTClient(options.password)",
    "cid",
    { user: "", password: "pw" },
  ],
  ["numeric password", "MQTTClient(options.password)", "cid", { user: "u", password: 5 }],
  ["numeric user", "MQTTClient(options.user)", "cid", { user: 5 }],
  ["ssl 'yes'", "MQTTClient(options.ssl)", "cid", { ssl: "yes" }],
  ["ssl as a plain object", "MQTTClient(options.ssl)", "cid", { ssl: { ca: "x" } }],
  ["sslParams 'x'", "MQTTClient(options.sslParams)", "cid", { sslParams: "x" }],
  ["clientId with U+0000", "clientId", "a\u0000b", {}],
  ["numeric clientId", "MQTTClient(clientId)", 42, {}],
  ["maxPacketSize 1", "MQTTClient(options.maxPacketSize)", "cid", { maxPacketSize: 1 }],
  ["connectTimeout 0", "MQTTClient(options.connectTimeout)", "cid", { connectTimeout: 0 }],
  ["maxQueuedMessages 0", "MQTTClient(options.maxQueuedMessages)", "cid", { maxQueuedMessages: 0 }],
  ["transport 'tcp'", "MQTTClient(options.transport)", "cid", { transport: "tcp" }],
];

describe("refused constructor arguments", () => {
  test.each(constructorCases)(
    "%s → InvalidArgumentError naming %s",
    (_name, argument, clientId, options) => {
      let err: unknown;
      try {
        new MQTTClient(clientId, "h", options as MQTTClientOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((err as Error).message).toContain(argument);
    },
  );

  test("an unknown option is refused, naming it and listing the known ones", () => {
    for (const key of ["keepAlive", "clean", "reconnectDelay"]) {
      let err: unknown;
      try {
        new MQTTClient("cid", "h", { [key]: 1 } as MQTTClientOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(`"${key}"`);
      expect((err as Error).message).toContain("keepalive, maxInflight");
    }
  });

  test("an empty server name is refused", () => {
    expect(() => new MQTTClient("cid", "")).toThrow(InvalidArgumentError);
  });

  test("valid edge values are accepted", () => {
    expect(
      () => new MQTTClient("", "h", { keepalive: 65535, port: 65535, maxInflight: 1 }),
    ).not.toThrow();
    expect(new MQTTClient("c", "h").port).toBe(1883);
    expect(new MQTTClient("c", "h", { ssl: true }).port).toBe(8883);
    expect(new MQTTClient("c", "h", { port: 0, ssl: true }).port).toBe(8883);
  });
});

describe("connect() refusals", () => {
  test("connect(false) with an empty client id is refused before anything is opened [MQTT-3.1.3-7]", async () => {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("", "h", { keepalive: 0, transport: broker.factory });
    const err = await caught(() => client.connect(false));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((err as Error).message).toContain("connect(cleanSession)");
    expect(broker.links).toHaveLength(0);
  });

  test("a refused connect() leaves the open connection alone", async () => {
    const session = await opening({}, "");
    await session.link.next("connect");
    session.link.connack();
    await session.connected;
    const err = await caught(() => session.client.connect(false));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(session.conn.closed).toBe(false);
    expect(session.broker.links).toHaveLength(1);
    await stillUsable(session.client, session.link);
  });
});

describe("pulling messages without a callback", () => {
  test.each([
    ["waitMsg", (c: MQTTClient) => c.waitMsg()],
    ["checkMsg", (c: MQTTClient) => c.checkMsg()],
  ])(
    "%s() without setCallback rejects with ERR_NO_CALLBACK and sends nothing",
    async (name, call) => {
      const { client, link } = await connected();
      const before = link.bytesWritten;
      const err = await caught(() => call(client));
      expect(err).toBeInstanceOf(MqttClientError);
      expect((err as MqttClientError).code).toBe(ErrorCode.NO_CALLBACK);
      expect((err as Error).message).toContain(`${name}()`);
      await turns();
      expect(link.bytesWritten).toBe(before);
      await stillUsable(client, link);
    },
  );
});
