/**
 * umqtt.simple's byte-exact wire vectors (reference/umqtt-behaviour.md §3.3–3.5), sent through
 * the client on the in-memory transport.
 */
import { hex, ScriptedBroker, type ScriptedLink, text } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { MQTTClient } from "../src/client.js";
import { connected, opening } from "./session.js";

/** The bytes of the CONNECT a client with these arguments writes. */
async function connectBytes(
  make: (broker: ScriptedBroker) => MQTTClient,
  cleanSession = true,
): Promise<string> {
  const broker = new ScriptedBroker();
  const client = make(broker);
  const next = broker.nextLink();
  const connecting = client.connect(cleanSession);
  const link = await next;
  await link.next("connect");
  const wire = hex(link.bytes());
  link.connack();
  await connecting;
  return wire;
}

/** Runs `act` and returns the hex of everything the client wrote once `type` shows up. */
async function sent(
  link: ScriptedLink,
  act: () => void,
  type: "publish" | "subscribe" | "unsubscribe",
): Promise<string> {
  const mark = link.bytesWritten;
  act();
  await link.next(type);
  return hex(link.bytes(mark));
}

describe("CONNECT vectors", () => {
  test('MQTTClient("cid","h") with keepalive 0 → 10 0f … 63 69 64', async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("cid", "h", { keepalive: 0, transport: s.factory }),
    );
    expect(wire).toBe("10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64");
  });

  test("connect(false) clears the clean-session flag (flags 0x00)", async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("cid", "h", { keepalive: 0, transport: s.factory }),
      false,
    );
    expect(wire).toBe("10 0f 00 04 4d 51 54 54 04 00 00 00 00 03 63 69 64");
  });

  test("user, password, keepalive 60 and a retained QoS 1 will → 10 21 … flags ee", async () => {
    const wire = await connectBytes((s) => {
      const client = new MQTTClient("cid", "h", {
        user: "u",
        password: "pw",
        keepalive: 60,
        transport: s.factory,
      });
      client.setLastWill("lw/t", "bye", true, 1);
      return client;
    });
    expect(wire).toBe(
      "10 21 00 04 4d 51 54 54 04 ee 00 3c 00 03 63 69 64 00 04 6c 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77",
    );
  });

  test("the default keepalive is 60 s", async () => {
    const wire = await connectBytes((s) => new MQTTClient("cid", "h", { transport: s.factory }));
    expect(wire).toBe("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 63 69 64");
  });

  test("an empty user name sends no credentials, as umqtt", async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("cid", "h", { user: "", keepalive: 0, transport: s.factory }),
    );
    expect(wire).toBe("10 0f 00 04 4d 51 54 54 04 02 00 00 00 03 63 69 64");
  });

  test("a user without password sets only the user-name flag", async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("cid", "h", { user: "u", keepalive: 0, transport: s.factory }),
    );
    expect(wire).toBe("10 12 00 04 4d 51 54 54 04 82 00 00 00 03 63 69 64 00 01 75");
  });

  test("a 200-byte client id gets a two-byte remaining length (10 d4 01)", async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("x".repeat(200), "h", { keepalive: 0, transport: s.factory }),
    );
    expect(wire.startsWith("10 d4 01 00 04 4d 51 54 54")).toBe(true);
    expect(wire.split(" ")).toHaveLength(3 + 212);
  });

  test("a non-ASCII client id is length-prefixed in bytes", async () => {
    const wire = await connectBytes(
      (s) => new MQTTClient("é", "h", { keepalive: 0, transport: s.factory }),
    );
    expect(wire).toBe("10 0e 00 04 4d 51 54 54 04 02 00 00 00 02 c3 a9");
  });
});

describe("PUBLISH vectors", () => {
  test('publish("t/a", "hello") → 30 0a 00 03 74 2f 61 68 65 6c 6c 6f', async () => {
    const { client, link } = await connected();
    const wire = await sent(link, () => void client.publish("t/a", "hello"), "publish");
    expect(wire).toBe("30 0a 00 03 74 2f 61 68 65 6c 6c 6f");
  });

  test("retain sets the first byte to 31", async () => {
    const { client, link } = await connected();
    const wire = await sent(link, () => void client.publish("t/a", "hello", true), "publish");
    expect(wire).toBe("31 0a 00 03 74 2f 61 68 65 6c 6c 6f");
  });

  test("bytes and strings encode alike", async () => {
    const { client, link } = await connected();
    const wire = await sent(
      link,
      () => void client.publish(Uint8Array.of(0x74, 0x2f, 0x61), Uint8Array.of(0x68, 0x69)),
      "publish",
    );
    expect(wire).toBe("30 07 00 03 74 2f 61 68 69");
  });

  test("the first QoS 1 publish carries pid 1 → 32 09 00 03 74 2f 61 00 01 68 69", async () => {
    const { client, link } = await connected();
    let published = false;
    const wire = await sent(
      link,
      () =>
        void client.publish("t/a", "hi", false, 1).then(() => {
          published = true;
        }),
      "publish",
    );
    expect(wire).toBe("32 09 00 03 74 2f 61 00 01 68 69");
    expect(published).toBe(false);
  });

  test('non-ASCII strings are length-prefixed in bytes: publish("t", "°C") → 30 06 … c2 b0 43', async () => {
    const { client, link } = await connected();
    const wire = await sent(link, () => void client.publish("t", "°C"), "publish");
    expect(wire).toBe("30 06 00 01 74 c2 b0 43");
  });

  test("a non-ASCII topic is length-prefixed in bytes", async () => {
    const { client, link } = await connected();
    const wire = await sent(link, () => void client.publish("°", "x"), "publish");
    expect(wire).toBe("30 05 00 02 c2 b0 78");
  });
});

describe("SUBSCRIBE and UNSUBSCRIBE vectors", () => {
  test('subscribe("t/#", 1) → 82 08 <pid> 00 03 74 2f 23 01', async () => {
    const { client, link } = await connected();
    const mark = link.bytesWritten;
    const granted = client.subscribe("t/#", 1);
    const packet = await link.next("subscribe");
    const pid = packet.pid;
    expect(pid).toBe(1);
    expect(hex(link.bytes(mark))).toBe(
      `82 08 ${hex(Uint8Array.of(pid >> 8, pid & 0xff))} 00 03 74 2f 23 01`,
    );
    link.suback(pid, 1);
    await expect(granted).resolves.toBe(1);
  });

  test('unsubscribe("t/#") → a2 07 <pid> 00 03 74 2f 23', async () => {
    const { client, link } = await connected();
    const mark = link.bytesWritten;
    const done = client.unsubscribe("t/#");
    const packet = await link.next("unsubscribe");
    const pid = packet.pid;
    expect(hex(link.bytes(mark))).toBe(
      `a2 07 ${hex(Uint8Array.of(pid >> 8, pid & 0xff))} 00 03 74 2f 23`,
    );
    link.unsuback(pid);
    await expect(done).resolves.toBeUndefined();
  });

  test("a 123-byte filter gets a two-byte remaining length (82 80 01), unlike M5's copy", async () => {
    const { client, link } = await connected();
    const mark = link.bytesWritten;
    void client.subscribe("a".repeat(123), 0).catch(() => {});
    const packet = await link.next("subscribe");
    expect(packet.filters).toEqual([{ filter: "a".repeat(123), qos: 0 }]);
    expect(hex(link.bytes(mark, mark + 3))).toBe("82 80 01");
  });
});

describe("QoS 1 publish while an incoming QoS 1 message arrives", () => {
  test("the incoming message is acknowledged (40 02 00 07) only after its callback ran; the publish resolves on its own PUBACK", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    client.setCallback((topic, msg) => {
      seen.push(`${text(topic)}=${text(msg)}`);
      // the PUBACK for pid 7 has not been written yet
      expect(link.packets.some((p) => p.type === "puback")).toBe(false);
    });
    const mark = link.bytesWritten;
    const publishing = client.publish("t/a", "hi", false, 1);
    const publish = await link.next("publish");
    link.publish("in/x", "m", 1, 7);
    link.puback(publish.pid!);
    await publishing;
    expect(seen).toEqual([]);
    await expect(client.waitMsg()).resolves.toBe(0x32);
    expect(seen).toEqual(["in/x=m"]);
    const puback = await link.next("puback");
    expect(puback.pid).toBe(7);
    expect(hex(link.bytes(mark))).toBe("32 09 00 03 74 2f 61 00 01 68 69 40 02 00 07");
  });
});

describe("the session-present flag", () => {
  test("connect() resolves to the CONNACK's session-present flag", async () => {
    const session = await opening({}, "cid", false);
    await session.link.next("connect");
    session.link.connack(true);
    await expect(session.connected).resolves.toBe(true);
  });
});
