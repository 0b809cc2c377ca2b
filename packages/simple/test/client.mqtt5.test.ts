/**
 * MQTT 5 through the client on the scripted broker (DESIGN §11). The broker's answers are built
 * with the codec's MQTT 5 encoder; what the client wrote is read back with its MQTT 5 decoder.
 */
import {
  type ConnackProperties,
  Decoder,
  encode,
  type Packet5,
  type PacketInput5,
} from "@umqtt/codec";
import { type MemoryConnection, ScriptedBroker, text, turns } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { MQTTClient, type MQTTClientOptions } from "../src/client.js";
import {
  ConnectionError,
  ErrorCode,
  InvalidArgumentError,
  MQTTException,
  ServerDisconnectError,
} from "../src/errors.js";

/** Everything the client wrote on `conn`, decoded as MQTT 5. */
function written(conn: MemoryConnection): Packet5[] {
  const decoder = new Decoder({ protocolVersion: 5 });
  return conn.written.flatMap((chunk) => decoder.push(chunk));
}

const send = (conn: MemoryConnection, packet: PacketInput5): void => conn.send(encode(packet, 5));

async function v5(options: MQTTClientOptions = {}, connack: ConnackProperties = {}) {
  const broker = new ScriptedBroker();
  const client = new MQTTClient("c5", "memory", {
    keepalive: 0,
    protocolVersion: 5,
    ...options,
    transport: broker.factory,
  });
  const next = broker.nextLink();
  const up = client.connect();
  const link = await next;
  await link.next("connect");
  send(link.conn, { type: "connack", sessionPresent: false, reasonCode: 0, properties: connack });
  await up;
  return { client, broker, link, conn: link.conn };
}

async function refusedWith(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected a refusal");
}

describe("MQTT 5 CONNECT and CONNACK", () => {
  test("the CONNECT is level 5 and carries the connect properties", async () => {
    const { conn } = await v5({
      properties: { sessionExpiryInterval: 60, userProperties: { a: "1" } },
    });
    const [connect] = written(conn);
    expect(connect).toMatchObject({
      type: "connect",
      clientId: "c5",
      properties: { sessionExpiryInterval: 60, userProperties: { a: "1" } },
    });
  });

  /** A v5 client's connect() answered with `answer` (the broker's bytes): its outcome. */
  async function answered(answer: Uint8Array) {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("c5", "memory", {
      protocolVersion: 5,
      transport: broker.factory,
    });
    const next = broker.nextLink();
    const up = client.connect().catch((e: unknown) => e);
    const link = await next;
    await link.next("connect");
    link.conn.send(answer);
    return { err: await up, client, link };
  }

  test("a refused CONNACK rejects with MQTTException carrying the reason code and string", async () => {
    const { err } = await answered(
      encode(
        {
          type: "connack",
          sessionPresent: false,
          reasonCode: 0x87,
          properties: { reasonString: "no entry" },
        },
        5,
      ),
    );
    expect(err).toBeInstanceOf(MQTTException);
    expect((err as MQTTException).code).toBe(0x87);
    expect((err as MQTTException).reasonString).toBe("no entry");
  });

  test("a server without MQTT 5 answering with the 3.1.1 CONNACK 20 02 00 01 rejects with the MQTTException of that return code", async () => {
    for (const code of [1, 5]) {
      const { err, client, link } = await answered(Uint8Array.of(0x20, 0x02, 0x00, code));
      expect(err).toBeInstanceOf(MQTTException);
      expect(err).toMatchObject({ code, message: expect.stringContaining(`CONNACK ${code}: `) });
      expect(link.conn.closed).toBe(true);
      expect(client.isConnected()).toBe(false);
    }
  });

  test("after the first packet, a 3.1.1-shaped CONNACK is malformed MQTT 5 (ERR_PROTOCOL)", async () => {
    const { link, client } = await v5();
    const closed = client.ping().catch((e: unknown) => e);
    link.conn.send(Uint8Array.of(0x20, 0x02, 0x00, 0x01));
    expect(await closed).toMatchObject({ code: ErrorCode.PROTOCOL });
  });

  test("server keepalive, assigned client id and the CONNACK properties are applied", async () => {
    const broker = new ScriptedBroker();
    const client = new MQTTClient("", "memory", {
      protocolVersion: 5,
      keepalive: 60,
      transport: broker.factory,
    });
    const next = broker.nextLink();
    const up = client.connect();
    const link = await next;
    await link.next("connect");
    send(link.conn, {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        serverKeepAlive: 5,
        assignedClientIdentifier: "auto-7",
        retainAvailable: false,
      },
    });
    await up;
    expect([client.keepalive, client.clientId]).toEqual([5, "auto-7"]);
    expect(client.connackProperties?.retainAvailable).toBe(false);
    await client.disconnect();
  });
});

describe("what the CONNACK says the server cannot do is refused before sending", () => {
  test("Receive Maximum caps the publishes in flight", async () => {
    const { client, link, conn } = await v5({ maxInflight: 10 }, { receiveMaximum: 2 });
    const pubs = [1, 2, 3].map((i) => client.publish("t", `${i}`, false, 1));
    await link.next("publish");
    await link.next("publish");
    await turns();
    expect(written(conn).filter((p) => p.type === "publish")).toHaveLength(2);
    send(conn, { type: "puback", packetId: 1, reasonCode: 0 });
    expect((await link.next("publish")).pid).toBe(3);
    send(conn, { type: "puback", packetId: 2, reasonCode: 0 });
    send(conn, { type: "puback", packetId: 3, reasonCode: 0 });
    await Promise.all(pubs);
  });

  test.each([
    [
      "Maximum Packet Size",
      { maximumPacketSize: 20 },
      (c: MQTTClient) => c.publish("t", "x".repeat(30)),
      "publish(msg)",
    ],
    [
      "Retain Available 0",
      { retainAvailable: false },
      (c: MQTTClient) => c.publish("t", "x", true),
      "publish(retain)",
    ],
    [
      "Maximum QoS 1",
      { maximumQoS: 1 },
      (c: MQTTClient) => c.publish("t", "x", false, 2),
      "publish(qos)",
    ],
    [
      "no wildcard subscriptions",
      { wildcardSubscriptionAvailable: false },
      (c: MQTTClient) => c.subscribe("a/#"),
      "subscribe(topic)",
    ],
    [
      "no shared subscriptions",
      { sharedSubscriptionAvailable: false },
      (c: MQTTClient) => c.subscribe("$share/g/a"),
      "subscribe(topic)",
    ],
    [
      "no subscription identifiers",
      { subscriptionIdentifiersAvailable: false },
      (c: MQTTClient) => c.subscribe("a", 0, { subscriptionIdentifier: 3 }),
      "subscribe(options.subscriptionIdentifier)",
    ],
  ] as [string, ConnackProperties, (c: MQTTClient) => Promise<unknown>, string][])(
    "%s",
    async (_name, connack, call, argument) => {
      const { client, conn } = await v5({}, connack);
      const before = conn.written.length;
      const err = await refusedWith(() => call(client));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(argument);
      await turns();
      expect(conn.written.length).toBe(before);
      expect(client.isConnected()).toBe(true);
    },
  );
});

describe("topic aliases", () => {
  test("outbound: a repeated topic goes as its alias, up to the server's maximum; a new connection starts over", async () => {
    const { client, conn } = await v5({}, { topicAliasMaximum: 2 });
    for (const topic of ["a", "a", "b", "b", "c", "c"]) await client.publish(topic, "m");
    await turns();
    const sent = written(conn).filter((p) => p.type === "publish");
    expect(sent.map((p) => [text(p.topic), p.properties?.topicAlias])).toEqual([
      ["a", 1],
      ["", 1],
      ["b", 2],
      ["", 2],
      ["c", undefined],
      ["c", undefined],
    ]);
  });

  test("inbound: an alias is resolved to its topic; an unknown one closes with ERR_PROTOCOL", async () => {
    const { client, conn } = await v5({ properties: { topicAliasMaximum: 3 } });
    const got: string[] = [];
    client.setCallback((topic, msg, info) => {
      got.push(`${text(topic)}=${text(msg)} ${JSON.stringify(info.properties ?? {})}`);
    });
    send(conn, {
      type: "publish",
      topic: "x/y",
      payload: "1",
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2, contentType: "t" },
    });
    send(conn, {
      type: "publish",
      topic: "",
      payload: "2",
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 2 },
    });
    await client.waitMsg();
    await client.waitMsg();
    expect(got).toEqual(['x/y=1 {"contentType":"t"}', "x/y=2 {}"]);
    const waiting = client.waitMsg().catch((e: unknown) => e);
    send(conn, {
      type: "publish",
      topic: "",
      payload: "3",
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 3 },
    });
    const err = await waiting;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
  });
});

describe("reason codes", () => {
  test("a PUBACK, a PUBREC or a SUBACK with a failure reason rejects with MQTTException", async () => {
    const { client, link, conn } = await v5();
    const q1 = client.publish("t", "x", false, 1).catch((e: unknown) => e);
    const q2 = client.publish("t", "x", false, 2).catch((e: unknown) => e);
    const sub = client.subscribe("s", 1).catch((e: unknown) => e);
    await link.next("publish");
    await link.next("publish");
    await link.next("subscribe");
    send(conn, {
      type: "puback",
      packetId: 1,
      reasonCode: 0x87,
      properties: { reasonString: "acl" },
    });
    send(conn, { type: "pubrec", packetId: 2, reasonCode: 0x97 });
    send(conn, { type: "suback", packetId: 3, reasonCodes: [0x87] });
    const [e1, e2, e3] = await Promise.all([q1, q2, sub]);
    expect([e1, e2, e3].map((e) => (e as MQTTException).code)).toEqual([0x87, 0x97, 0x87]);
    expect((e1 as MQTTException).reasonString).toBe("acl");
    await turns();
    // no PUBREL after a refusing PUBREC [MQTT-4.3.3-4]
    expect(written(conn).some((p) => p.type === "pubrel")).toBe(false);
    expect(client.isConnected()).toBe(true);
  });

  test("a server DISCONNECT closes with ServerDisconnectError carrying its reason", async () => {
    const { client, conn } = await v5();
    client.setCallback(() => {});
    const waiting = client.waitMsg().catch((e: unknown) => e);
    send(conn, {
      type: "disconnect",
      reasonCode: 0x8e,
      properties: { reasonString: "taken over" },
    });
    const err = (await waiting) as ServerDisconnectError;
    expect(err).toBeInstanceOf(ServerDisconnectError);
    expect([err.code, err.reasonCode, err.reasonString, err.retryable]).toEqual([
      ErrorCode.SERVER_DISCONNECT,
      0x8e,
      "taken over",
      false,
    ]);
    expect(new ServerDisconnectError(0x8b).retryable).toBe(true);
  });
});

describe("properties both ways", () => {
  test("publish properties and subscribe options go on the wire; received ones reach the callback", async () => {
    const { client, link, conn } = await v5();
    await client.publish("t", "x", false, 0, {
      userProperties: { k: ["1", "2"], z: "3" },
      responseTopic: "reply/1",
      correlationData: Uint8Array.of(7),
      contentType: "text/plain",
      messageExpiryInterval: 9,
    });
    const sub = client.subscribe("s/#", 2, {
      noLocal: true,
      retainHandling: 2,
      subscriptionIdentifier: 12,
    });
    const subscribe = await link.nextOf("subscribe");
    send(conn, { type: "suback", packetId: subscribe.pid, reasonCodes: [2] });
    expect(await sub).toBe(2);
    const [publish, subscribe5] = written(conn).filter((p) => p.type !== "connect");
    expect(publish).toMatchObject({
      properties: {
        userProperties: { k: ["1", "2"], z: "3" },
        responseTopic: "reply/1",
        contentType: "text/plain",
        messageExpiryInterval: 9,
      },
    });
    expect(subscribe5).toMatchObject({
      subscriptions: [{ topicFilter: "s/#", qos: 2, noLocal: true, retainHandling: 2 }],
      properties: { subscriptionIdentifier: 12 },
    });
    const seen: unknown[] = [];
    client.setCallback((_t, _m, info) => {
      seen.push(info.properties);
    });
    send(conn, {
      type: "publish",
      topic: "s/a",
      payload: "p",
      qos: 0,
      retain: false,
      dup: false,
      properties: { userProperties: { a: "b" }, subscriptionIdentifier: 12 },
    });
    await client.waitMsg();
    expect(seen).toEqual([{ userProperties: { a: "b" }, subscriptionIdentifier: 12 }]);
  });

  test("MQTT 5 arguments on an MQTT 3.1.1 client are refused, naming them", async () => {
    expect(() => new MQTTClient("c", "h", { properties: {} })).toThrow(/options\.properties/);
    expect(() => new MQTTClient("c", "h", { protocolVersion: 6 as never })).toThrow(
      /options\.protocolVersion/,
    );
    const c = new MQTTClient("c", "h");
    await expect(c.publish("t", "x", false, 0, {})).rejects.toThrow(/publish\(properties\)/);
    await expect(c.subscribe("t", 0, {})).rejects.toThrow(/subscribe\(options\)/);
    expect(() => c.setLastWill("t", "x", false, 0, {})).toThrow(/setLastWill\(properties\)/);
  });

  test("a topicAlias given by the application is refused (the client manages aliases)", async () => {
    const { client } = await v5();
    await expect(client.publish("t", "x", false, 0, { topicAlias: 1 })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe("a bad publish property", () => {
  test("is refused naming publish(properties)", async () => {
    const { client } = await v5();
    await expect(client.publish("t", "x", false, 0, { messageExpiryInterval: -1 })).rejects.toThrow(
      /^publish\(topic, msg, properties\): /,
    );
  });
});
