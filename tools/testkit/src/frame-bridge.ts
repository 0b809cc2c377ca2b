/**
 * Design: a WebSocket front for a TCP broker that re-frames what the broker sends, to test a
 * client's handling of WebSocket framing. Each client connection gets its own TCP connection
 * to the broker; client → broker bytes pass through unchanged. Broker → client bytes are cut
 * into whole MQTT packets (fixed header + remaining length) and framed by the current shape:
 * - "as-is": one frame per TCP chunk, as a plain bridge would;
 * - "split": each packet in frames of at most `size` bytes (a packet spans frames);
 * - "pack": `count` packets per frame (flushed early after `flushMs` so nothing waits forever).
 * `sendText()` sends a text frame, which MQTT forbids [MQTT-6.0.0-1]. `frames` records each
 * frame sent: its bytes and how many packets end in it.
 */
import http from "node:http";
import net from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/** How broker → client bytes are framed. */
export type FrameShape =
  | { kind: "as-is" }
  | { kind: "split"; size: number }
  | { kind: "pack"; count: number; flushMs?: number };

/** One frame the bridge sent to a client. */
export interface FrameRecord {
  conn: number;
  bytes: number;
  /** MQTT packets that end in this frame. */
  packets: number;
  text: boolean;
}

export interface FrameBridgeOptions {
  /** The TCP broker behind the bridge. */
  target: { host: string; port: number };
  shape?: FrameShape;
}

export interface FrameBridge {
  /** ws://127.0.0.1:port/mqtt */
  readonly url: string;
  readonly port: number;
  /** Frames sent so far, oldest first. */
  readonly frames: FrameRecord[];
  /** Changes the framing of everything sent from now on. */
  shape(shape: FrameShape): void;
  /** Sends a text frame to every connected client. */
  sendText(text: string): void;
  /** Open client connections. */
  connections(): number;
  close(): Promise<void>;
}

/** Cuts a byte stream into whole MQTT packets. */
class PacketCutter {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const packets: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      let length = 0;
      let shift = 0;
      let i = at + 1;
      let complete = false;
      while (i < joined.length && i < at + 5) {
        const byte = joined[i++]!;
        length += (byte & 0x7f) << shift;
        shift += 7;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || i + length > joined.length) break;
      packets.push(joined.subarray(at, i + length));
      at = i + length;
    }
    this.#buffer = joined.slice(at);
    return packets;
  }
}

/**
 * Starts the bridge on a free 127.0.0.1 port.
 * @example
 * const bridge = await startFrameBridge({ target: broker, shape: { kind: "split", size: 3 } });
 * const client = new MQTTClient("id", bridge.url, { webSocket: WebSocket });
 */
export async function startFrameBridge(options: FrameBridgeOptions): Promise<FrameBridge> {
  let shape: FrameShape = options.shape ?? { kind: "as-is" };
  const frames: FrameRecord[] = [];
  const clients = new Map<WebSocket, number>();
  const server = http.createServer();
  const wss = new WebSocketServer({
    server,
    path: "/mqtt",
    handleProtocols: (offered) => (offered.has("mqtt") ? "mqtt" : false),
  });
  let next = 0;
  wss.on("connection", (ws) => {
    const conn = next++;
    clients.set(ws, conn);
    const tcp = net.connect(options.target.port, options.target.host);
    const cutter = new PacketCutter();
    let held: Uint8Array[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const send = (bytes: Uint8Array, packets: number): void => {
      if (ws.readyState !== ws.OPEN) return;
      frames.push({ conn, bytes: bytes.length, packets, text: false });
      ws.send(bytes, { binary: true });
    };
    const flush = (): void => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      if (held.length === 0) return;
      send(Buffer.concat(held), held.length);
      held = [];
    };
    tcp.on("data", (chunk: Buffer) => {
      if (shape.kind === "as-is") {
        flush();
        // as-is frames are the TCP chunks themselves; count packets only for the record
        const ended = cutter.push(chunk).length;
        return send(chunk, ended);
      }
      for (const packet of cutter.push(chunk)) {
        if (shape.kind === "split") {
          for (let at = 0; at < packet.length; at += shape.size) {
            const end = Math.min(packet.length, at + shape.size);
            send(packet.subarray(at, end), end === packet.length ? 1 : 0);
          }
        } else {
          held.push(packet);
          if (held.length >= shape.count) flush();
          else flushTimer ??= setTimeout(flush, shape.flushMs ?? 50);
        }
      }
    });
    ws.on("message", (data: Buffer) => tcp.write(data));
    const end = (): void => {
      clearTimeout(flushTimer);
      clients.delete(ws);
      tcp.destroy();
      ws.terminate();
    };
    ws.on("close", end);
    ws.on("error", end);
    tcp.on("close", end);
    tcp.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/mqtt`,
    port,
    frames,
    shape(s) {
      shape = s;
    },
    sendText(text) {
      for (const [ws, conn] of clients) {
        frames.push({ conn, bytes: text.length, packets: 0, text: true });
        ws.send(text, { binary: false });
      }
    },
    connections: () => clients.size,
    async close() {
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
