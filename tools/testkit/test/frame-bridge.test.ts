import { decode, encode, encodePublish } from "@umqtt/codec";
import { connectAsync } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type AedesBroker,
  deferred,
  type FrameBridge,
  startAedes,
  startFrameBridge,
  withTimeout,
} from "../src/index.ts";

/** A raw WebSocket MQTT client: every frame it receives, as bytes or text. */
async function raw(url: string) {
  const ws = new WebSocket(url, "mqtt");
  const frames: (Buffer | string)[] = [];
  let waiter: (() => void) | undefined;
  ws.on("message", (data: Buffer, binary) => {
    frames.push(binary ? data : data.toString());
    waiter?.();
  });
  await withTimeout(new Promise((r) => ws.once("open", r)), 5000, "open");
  const until = (pred: () => boolean) =>
    withTimeout(
      (async () => {
        while (!pred()) await new Promise<void>((r) => (waiter = r));
      })(),
      5000,
      "frames",
    );
  ws.send(
    encode({ type: "connect", clientId: `raw-${Math.random()}`, cleanSession: true, keepalive: 0 }),
  );
  const bytes = () => Buffer.concat(frames.filter((f) => typeof f !== "string") as Buffer[]);
  // aedes's own WebSocket server writes each field of a packet as a frame of its own
  await until(() => bytes().length >= 4);
  return { ws, frames, until, bytes };
}

describe("startFrameBridge", () => {
  let broker: AedesBroker;
  let bridge: FrameBridge;
  beforeAll(async () => {
    broker = await startAedes();
    bridge = await startFrameBridge({ target: broker });
  });
  afterAll(async () => {
    await bridge.close();
    await broker.close();
  });

  it("passes the broker's packets as they come, and records them", async () => {
    const c = await raw(bridge.url);
    expect(decode(new Uint8Array(c.frames[0] as Buffer))).toMatchObject({ type: "connack" });
    expect(bridge.frames.at(-1)).toMatchObject({ packets: 1, text: false, bytes: 4 });
    expect(bridge.connections()).toBe(1);
    c.ws.terminate();
  });

  it("splits each packet into frames of at most `size` bytes", async () => {
    const c = await raw(bridge.url);
    bridge.shape({ kind: "split", size: 3 });
    const before = c.frames.length;
    c.ws.send(
      encode({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "t", qos: 0 }] }),
    );
    c.ws.send(encodePublish("t", "0123456789", 0, false, false));
    await c.until(() => Buffer.concat(c.frames.slice(before) as Buffer[]).length >= 5 + 15);
    const got = c.frames.slice(before) as Buffer[];
    expect(got.every((f) => f.length <= 3)).toBe(true);
    // SUBACK (5 bytes) and the PUBLISH (15 bytes) reassemble exactly
    const bytes = Buffer.concat(got);
    expect(decode(new Uint8Array(bytes.subarray(0, 5)))).toMatchObject({ type: "suback" });
    expect(decode(new Uint8Array(bytes.subarray(5)))).toMatchObject({ type: "publish" });
    bridge.shape({ kind: "as-is" });
    c.ws.terminate();
  });

  it("packs `count` packets into one frame", async () => {
    const c = await raw(bridge.url);
    c.ws.send(
      encode({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "p", qos: 0 }] }),
    );
    await c.until(() => c.frames.length >= 2);
    bridge.shape({ kind: "pack", count: 3 });
    const before = c.frames.length;
    const pub = await connectAsync(broker.url, { reconnectPeriod: 0 });
    for (const n of [1, 2, 3]) await pub.publishAsync("p", `m${n}`);
    await c.until(() => c.frames.length > before);
    expect(c.frames.length - before).toBe(1);
    expect(bridge.frames.at(-1)).toMatchObject({ packets: 3 });
    await pub.endAsync();
    bridge.shape({ kind: "as-is" });
    c.ws.terminate();
  });

  it("sends a text frame on demand", async () => {
    const c = await raw(bridge.url);
    const got = deferred<void>();
    c.ws.once("message", (_d, binary) => (binary ? undefined : got.resolve()));
    bridge.sendText("hello");
    await withTimeout(got.promise, 5000, "text frame");
    expect(c.frames.at(-1)).toBe("hello");
    expect(bridge.frames.at(-1)).toMatchObject({ text: true, bytes: 5 });
    c.ws.terminate();
  });
});
