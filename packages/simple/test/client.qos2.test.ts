/**
 * QoS 2 through the client on the scripted broker: exactly once both ways (DESIGN §10).
 */
import { settle, text, turns } from "@umqtt/testkit";
import { describe, expect, test } from "vitest";
import { ConnectionError, ErrorCode } from "../src/errors.js";
import { connected } from "./session.js";

describe("outbound QoS 2", () => {
  test("PUBLISH → PUBREC → PUBREL → PUBCOMP; publish() resolves on the PUBCOMP only", async () => {
    const { client, link } = await connected();
    const pub = settle(client.publish("t/2", "once", false, 2));
    const packet = await link.next("publish");
    expect([packet.qos, packet.dup, packet.pid, text(packet.payload)]).toEqual([
      2,
      false,
      1,
      "once",
    ]);
    link.pubrec(1);
    expect(await link.next("pubrel")).toMatchObject({ pid: 1 });
    await turns();
    expect(pub.state).toBe("pending");
    link.pubcomp(1);
    await pub.done;
    expect(pub.state).toBe("resolved");
  });

  test("shares the maxInflight window with QoS 1, in call order", async () => {
    const { client, link } = await connected({ maxInflight: 2 });
    const a = settle(client.publish("t", "a", false, 2));
    const b = settle(client.publish("t", "b", false, 1));
    const c = settle(client.publish("t", "c", false, 2));
    const first = await link.next("publish");
    const second = await link.next("publish");
    await turns();
    expect(link.unread).toEqual([]); // "c" waits for a slot
    link.puback(second.pid!);
    const third = await link.next("publish");
    expect(text(third.payload)).toBe("c");
    link.pubrec(first.pid!);
    await link.next("pubrel");
    link.pubcomp(first.pid!);
    link.pubrec(third.pid!);
    await link.next("pubrel");
    link.pubcomp(third.pid!);
    await Promise.all([a.done, b.done, c.done]);
    expect([a.state, b.state, c.state]).toEqual(["resolved", "resolved", "resolved"]);
  });

  test("a PUBCOMP before the PUBREC is a protocol violation: the publish rejects with ERR_PROTOCOL", async () => {
    const { client, link, conn } = await connected();
    const pub = client.publish("t", "m", false, 2).catch((e: unknown) => e);
    await link.next("publish");
    link.pubcomp(1);
    const err = await pub;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe(ErrorCode.PROTOCOL);
    expect(conn.closed).toBe(true);
  });

  test("a duplicate PUBREC gets the PUBREL again", async () => {
    const { client, link } = await connected();
    const pub = client.publish("t", "m", false, 2);
    await link.next("publish");
    link.pubrec(1);
    await link.next("pubrel");
    link.pubrec(1);
    expect(await link.next("pubrel")).toMatchObject({ pid: 1 });
    link.pubcomp(1);
    await pub;
  });
});

describe("inbound QoS 2", () => {
  test("delivered once per packet id until its PUBREL; PUBREC after the callback took it", async () => {
    const { client, link } = await connected();
    const seen: string[] = [];
    let release = (): void => {};
    client.setCallback(async (_topic, msg, info) => {
      seen.push(`${text(msg)} q${info.qos}`);
      await new Promise<void>((r) => {
        release = r;
      });
    });
    link.publish("t", "x", 2, 9);
    const dispatched = client.waitMsg();
    await turns();
    expect(seen).toEqual(["x q2"]);
    // re-sent while the callback runs: not delivered again, no PUBREC yet
    link.publish("t", "x", 2, 9, { dup: true });
    await turns();
    expect(link.unread).toEqual([]);
    release();
    expect(await dispatched).toBe(0x34);
    expect(await link.next("pubrec")).toMatchObject({ pid: 9 });
    // re-sent after the PUBREC: the PUBREC again, still not delivered
    link.publish("t", "x", 2, 9, { dup: true });
    expect(await link.next("pubrec")).toMatchObject({ pid: 9 });
    expect(await client.checkMsg()).toBeNull();
    link.pubrel(9);
    expect(await link.next("pubcomp")).toMatchObject({ pid: 9 });
    expect(seen).toEqual(["x q2"]);
  });

  test("with messages(), the PUBREC goes out when the loop asks for the next message", async () => {
    const { client, link } = await connected();
    const iterator = client.messages();
    link.publish("t", "a", 2, 3);
    const first = await iterator.next();
    expect(first.value).toMatchObject({ qos: 2 });
    await turns();
    expect(link.unread).toEqual([]);
    link.publish("t", "b", 0);
    await iterator.next();
    expect(await link.next("pubrec")).toMatchObject({ pid: 3 });
    await iterator.return?.();
  });

  test("a callback that throws leaves the message unacknowledged (no PUBREC)", async () => {
    const { client, link } = await connected();
    client.setCallback(() => {
      throw new Error("boom");
    });
    link.publish("t", "x", 2, 4);
    await expect(client.waitMsg()).rejects.toThrow("boom");
    await turns();
    expect(link.unread).toEqual([]);
  });

  test("a PUBREL for an unknown packet id is answered with PUBCOMP [MQTT-4.3.3-2]", async () => {
    const { link } = await connected();
    link.pubrel(77);
    expect(await link.next("pubcomp")).toMatchObject({ pid: 77 });
  });
});

describe("inbound QoS 2 whose callback threw", () => {
  test("is delivered again when the broker re-sends it (as QoS 1 would be), then acknowledged", async () => {
    const { client, link } = await connected();
    let calls = 0;
    client.setCallback(() => {
      calls++;
      if (calls === 1) throw new Error("not yet");
    });
    link.publish("t", "x", 2, 6);
    await expect(client.waitMsg()).rejects.toThrow("not yet");
    link.publish("t", "x", 2, 6, { dup: true });
    expect(await client.waitMsg()).toBe(0x3c);
    expect(await link.next("pubrec")).toMatchObject({ pid: 6 });
    expect(calls).toBe(2);
  });
});

describe("a broker that answers QoS 2 with PUBACK (RabbitMQ 3.x downgrades to QoS 1)", () => {
  test("the publish rejects with ERR_PROTOCOL instead of hanging, and the connection stays usable", async () => {
    const { client, link } = await connected();
    const pub = client.publish("t", "m", false, 2).catch((e: unknown) => e);
    const packet = await link.next("publish");
    link.puback(packet.pid!);
    const err = await pub;
    expect(err).toMatchObject({ code: ErrorCode.PROTOCOL });
    expect(err).not.toBeInstanceOf(ConnectionError); // not retried by robust
    expect(client.isConnected()).toBe(true);
  });
});
