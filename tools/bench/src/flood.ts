/**
 * A raw-socket publisher in its own process: it floods a broker with pre-encoded QoS 0
 * PUBLISH packets (64 KiB+ writes) so the receive benchmark measures the subscriber, not the
 * sender. Control over IPC (child_process.fork):
 *   ← { cmd: "connect", port }                 → { type: "connected" }
 *   ← { cmd: "flood", n, topic, size, qos? }   → { type: "sent" } after the broker answered
 *                                                a PINGREQ sent behind the last PUBLISH
 *                                                (qos 1: ids cycle 1..batch; PUBACKs ignored)
 *   ← { cmd: "exit" }
 */
import net from "node:net";
import { Decoder, encode, encodePublish, PINGREQ } from "@umqtt/codec";

let socket: net.Socket | undefined;
const decoder = new Decoder();
let onPingresp: (() => void) | undefined;

function send(message: object): void {
  process.send?.(message);
}

function connect(port: number): void {
  const s = net.connect({ port, host: "127.0.0.1" }, () => {
    s.setNoDelay(true);
    s.write(
      encode({
        type: "connect",
        clientId: `flood-${process.pid}`,
        cleanSession: true,
        keepalive: 0,
      }),
    );
  });
  s.on("data", (chunk: Buffer) => {
    for (const p of decoder.push(chunk)) {
      if (p.type === "connack") send({ type: "connected" });
      else if (p.type === "pingresp") onPingresp?.();
    }
  });
  s.on("error", (err) => {
    console.error(`flood: ${err.message}`);
    process.exit(1);
  });
  socket = s;
}

async function flood(n: number, topic: string, size: number, qos: 0 | 1): Promise<void> {
  const s = socket as net.Socket;
  const payload = new Uint8Array(size).fill(0x61);
  const packet = (i: number) =>
    encodePublish(topic, payload, qos, false, false, qos ? i + 1 : undefined);
  const one = packet(0);
  const perBatch = Math.max(1, Math.ceil((64 * 1024) / one.length));
  const batch = Buffer.alloc(perBatch * one.length);
  for (let i = 0; i < perBatch; i++) batch.set(packet(i), i * one.length);
  let left = n;
  while (left > 0) {
    const k = Math.min(perBatch, left);
    const ok = s.write(k === perBatch ? batch : batch.subarray(0, k * one.length));
    left -= k;
    if (!ok) await new Promise((resolve) => s.once("drain", resolve));
  }
  await new Promise<void>((resolve) => {
    onPingresp = resolve;
    s.write(PINGREQ);
  });
  send({ type: "sent" });
}

process.on(
  "message",
  (m: { cmd: string; port?: number; n?: number; topic?: string; size?: number; qos?: 0 | 1 }) => {
    if (m.cmd === "connect") connect(m.port as number);
    else if (m.cmd === "flood")
      void flood(m.n as number, m.topic as string, m.size as number, m.qos ?? 0);
    else if (m.cmd === "exit") {
      socket?.destroy();
      process.exit(0);
    }
  },
);
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
