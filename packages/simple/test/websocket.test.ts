/** The WebSocket transport against a real `ws` server (no broker: raw frames both ways). */
import type { AddressInfo } from "node:net";
import { deferred, withTimeout } from "@umqtt/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { ErrorCode, type TransportEvents } from "../src/index.js";
import { webSocketTransport } from "../src/websocket.js";

let server: WebSocketServer;
let url: string;
const peers: import("ws").WebSocket[] = [];
let nextPeer = deferred<import("ws").WebSocket>();

beforeAll(async () => {
  server = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    handleProtocols: (offered) => (offered.has("mqtt") ? "mqtt" : false),
  });
  await new Promise((resolve) => server.once("listening", resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt`;
  server.on("connection", (ws) => {
    peers.push(ws);
    nextPeer.resolve(ws);
  });
});
afterEach(() => {
  for (const p of peers.splice(0)) p.terminate();
  nextPeer = deferred();
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function recorder() {
  const chunks: Uint8Array[] = [];
  const closed = deferred<Error | undefined>();
  const arrived = deferred<void>();
  const drained = deferred<void>();
  let closes = 0;
  let drains = 0;
  const events: TransportEvents = {
    data: (chunk) => {
      chunks.push(chunk);
      arrived.resolve();
    },
    drain: () => {
      drains++;
      drained.resolve();
    },
    closed: (cause) => {
      closes++;
      closed.resolve(cause);
    },
  };
  return { events, chunks, closed, arrived, drained, closes: () => closes, drains: () => drains };
}

async function open(r = recorder(), signal = new AbortController().signal) {
  const transport = await webSocketTransport({ url, webSocket: WebSocket })(r.events, signal);
  const peer = await withTimeout(nextPeer.promise, 5000, "the server side");
  return { transport, peer, ...r };
}

describe("webSocketTransport", () => {
  test("asks for the mqtt subprotocol and carries bytes both ways as binary frames", async () => {
    const { transport, peer, chunks, arrived } = await open();
    expect(peer.protocol).toBe("mqtt");
    const got = deferred<{ data: Buffer; binary: boolean }>();
    peer.once("message", (data: Buffer, binary) => got.resolve({ data, binary }));
    expect(transport.write(new Uint8Array([0xc0, 0x00]))).toBe(true);
    expect(await got.promise).toEqual({ data: Buffer.from([0xc0, 0x00]), binary: true });
    peer.send(Buffer.from([0xd0, 0x00]));
    await withTimeout(arrived.promise, 5000, "data");
    expect(chunks[0]).toBeInstanceOf(Uint8Array);
    expect([...chunks[0]!]).toEqual([0xd0, 0x00]);
    transport.close();
  });

  test("a text frame ends the transport once, with ERR_PROTOCOL", async () => {
    const { peer, closed, closes } = await open();
    peer.send("not binary");
    const cause = await withTimeout(closed.promise, 5000, "the close");
    expect(cause).toMatchObject({ code: ErrorCode.PROTOCOL });
    expect(cause?.message).toMatch(/text frame/);
    await new Promise((r) => setTimeout(r, 50));
    expect(closes()).toBe(1);
  });

  test("a clean close from the server has no cause; another code says which", async () => {
    const a = await open();
    a.peer.close(1000);
    expect(await withTimeout(a.closed.promise, 5000, "close")).toBeUndefined();
    nextPeer = deferred();
    const b = await open();
    b.peer.close(4000, "going away");
    const cause = await withTimeout(b.closed.promise, 5000, "close");
    expect(cause?.message).toBe("WebSocket closed with code 4000: going away");
  });

  test("close() ends it exactly once", async () => {
    const { transport, closed, closes } = await open();
    transport.close();
    transport.close(true);
    await withTimeout(closed.promise, 5000, "close");
    await new Promise((r) => setTimeout(r, 50));
    expect(closes()).toBe(1);
  });

  test("write() says full past the high-water mark and drain follows once it is flushed", async () => {
    const { transport, peer, drains, drained } = await open();
    peer.pause(); // the server reads nothing: bytes pile up in the client's socket
    const chunk = new Uint8Array(64 * 1024);
    let writes = 0;
    while (transport.write(chunk)) if (++writes > 10_000) throw new Error("never full");
    expect(drains()).toBe(0);
    peer.resume();
    await withTimeout(drained.promise, 10_000, "drain");
    expect(drains()).toBe(1);
    transport.close();
  });

  test("pause() stops reading on a socket that can pause (the ws package's)", async () => {
    const { transport, peer, chunks, arrived } = await open();
    transport.pause();
    peer.send(Buffer.from([0xd0, 0x00]));
    // a while for a frame that must not come (a socket that did not pause delivers it at once)
    await new Promise((r) => setTimeout(r, 100));
    expect(chunks).toHaveLength(0);
    transport.resume();
    await withTimeout(arrived.promise, 5000, "data after resume");
    transport.close();
  });

  test("a refused handshake rejects the open with the cause", async () => {
    const r = recorder();
    const opening = webSocketTransport({
      url: url.replace(/:\d+\//, ":1/"),
      webSocket: WebSocket,
    })(r.events, new AbortController().signal);
    await expect(opening).rejects.toThrow(/ECONNREFUSED/);
    expect(r.closes()).toBe(0);
  });

  test("an abort during the open rejects with the abort reason", async () => {
    const abort = new AbortController();
    const opening = webSocketTransport({ url, webSocket: WebSocket })(
      recorder().events,
      abort.signal,
    );
    abort.abort(new Error("stop"));
    await expect(opening).rejects.toThrow("stop");
  });
});
