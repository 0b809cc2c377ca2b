/**
 * An ack-everything MQTT "broker" that routes nothing, run in its own process so that a
 * benchmark measures the client alone. It answers CONNECT with CONNACK, PUBLISH QoS 1 with
 * PUBACK, PUBLISH QoS 2 with PUBREC and PUBREL with PUBCOMP, SUBSCRIBE with SUBACK, PINGREQ with PINGRESP, and counts the PUBLISH packets it
 * receives. Allocation-light: fixed replies are precomputed, and the replies to one chunk
 * go out in one write.
 *
 * Control over IPC (child_process.fork):
 *   → { type: "ready", port }                     once listening on 127.0.0.1
 *   ← { cmd: "reset" }        → { type: "reset" }   count := 0
 *   ← { cmd: "wait", n }      → { type: "reached", count, t }  once count ≥ n
 *   ← { cmd: "count" }        → { type: "count", count, connections }
 *   ← { cmd: "flood", n, topic, size } → { type: "sent" }: writes n pre-encoded QoS 0
 *        PUBLISHes (64 KiB writes, honouring backpressure) to each connection subscribed to
 *        exactly `topic` — the receive benchmark without a broker in the way
 *   ← { cmd: "exit" }
 */
import net from "node:net";
import { Decoder, encodePublish, type Packet } from "@umqtt/codec";

const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

let count = 0;
let target = -1;
let connections = 0;
/** Exact topic filter → subscribed sockets (no wildcard matching: the sink does not route). */
const subscribers = new Map<string, Set<net.Socket>>();

function send(message: object): void {
  process.send?.(message);
}

function check(): void {
  if (target >= 0 && count >= target) {
    target = -1;
    send({ type: "reached", count });
  }
}

function reply(socket: net.Socket, packets: Packet[]): void {
  // First pass: size of the variable replies (acks, SUBACK), so one buffer holds them all.
  let size = 0;
  for (const p of packets) {
    if (p.type === "publish") {
      count++;
      if (p.qos > 0) size += 4;
    } else if (p.type === "pubrel") size += 4;
    else if (p.type === "subscribe") size += 4 + p.subscriptions.length;
  }
  const out = size > 0 ? Buffer.allocUnsafe(size) : undefined;
  let o = 0;
  for (const p of packets) {
    switch (p.type) {
      case "publish":
        if (p.qos > 0 && out) {
          const id = p.packetId as number;
          out[o++] = p.qos === 1 ? 0x40 : 0x50; // PUBACK : PUBREC
          out[o++] = 0x02;
          out[o++] = id >> 8;
          out[o++] = id & 0xff;
        }
        break;
      case "pubrel":
        if (out) {
          out[o++] = 0x70; // PUBCOMP
          out[o++] = 0x02;
          out[o++] = p.packetId >> 8;
          out[o++] = p.packetId & 0xff;
        }
        break;
      case "connect":
        socket.write(CONNACK);
        break;
      case "subscribe":
        for (const s of p.subscriptions) {
          const set = subscribers.get(s.topicFilter) ?? new Set();
          set.add(socket);
          subscribers.set(s.topicFilter, set);
        }
        if (out) {
          const id = p.packetId;
          out[o++] = 0x90;
          out[o++] = 2 + p.subscriptions.length;
          out[o++] = id >> 8;
          out[o++] = id & 0xff;
          for (const s of p.subscriptions) out[o++] = s.qos;
        }
        break;
      case "unsubscribe":
        socket.write(Buffer.from([0xb0, 0x02, p.packetId >> 8, p.packetId & 0xff]));
        break;
      case "pingreq":
        socket.write(PINGRESP);
        break;
      case "disconnect":
        socket.end();
        return;
      default:
        break;
    }
  }
  if (out) socket.write(out);
}

const server = net.createServer((socket) => {
  connections++;
  socket.setNoDelay(true);
  const decoder = new Decoder();
  socket.on("data", (chunk: Buffer) => {
    let packets: Packet[];
    try {
      packets = decoder.push(chunk);
    } catch (err) {
      console.error(`sink: ${(err as Error).message}`);
      socket.destroy();
      return;
    }
    if (packets.length > 0) {
      reply(socket, packets);
      check();
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    connections--;
    for (const set of subscribers.values()) set.delete(socket);
  });
});
server.maxConnections = 100_000;

function drainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

async function flood(n: number, topic: string, size: number): Promise<void> {
  const one = encodePublish(topic, new Uint8Array(size).fill(0x61), 0, false, false);
  const perBatch = Math.max(1, Math.ceil((64 * 1024) / one.length));
  const batch = Buffer.alloc(perBatch * one.length);
  for (let i = 0; i < perBatch; i++) batch.set(one, i * one.length);
  await Promise.all(
    [...(subscribers.get(topic) ?? [])].map(async (socket) => {
      for (let left = n; left > 0 && !socket.destroyed; ) {
        const k = Math.min(perBatch, left);
        left -= k;
        if (!socket.write(k === perBatch ? batch : batch.subarray(0, k * one.length)))
          await drainOrClose(socket);
      }
    }),
  );
  send({ type: "sent" });
}

process.on("message", (m: { cmd: string; n?: number; topic?: string; size?: number }) => {
  switch (m.cmd) {
    case "reset":
      count = 0;
      target = -1;
      send({ type: "reset" });
      break;
    case "wait":
      target = m.n ?? 0;
      check();
      break;
    case "flood":
      void flood(m.n ?? 0, m.topic ?? "", m.size ?? 16);
      break;
    case "count":
      send({ type: "count", count, connections });
      break;
    case "exit":
      server.close();
      process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));

server.listen(0, "127.0.0.1", () => {
  const address = server.address() as net.AddressInfo;
  send({ type: "ready", port: address.port });
});
