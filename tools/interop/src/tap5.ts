/**
 * A pass-through TCP proxy that decodes what the client sends as MQTT 5 (testkit's fault proxy
 * decodes MQTT 3.1.1 only, and an MQTT 5 PUBLISH with an empty topic is no 3.1.1 packet).
 * Design: one broker connection per client connection, bytes forwarded unchanged both ways;
 * the client's bytes also go through one MQTT 5 decoder per connection into `sent`.
 */
import net from "node:net";
import { Decoder, type Packet5 } from "@umqtt/codec";

export interface Tap5 {
  host: string;
  port: number;
  /** Every packet the client sent, in order, over all connections. */
  readonly sent: Packet5[];
  close(): Promise<void>;
}

/** Starts the tap in front of `target` on a free 127.0.0.1 port. */
export async function startTap5(target: { host: string; port: number }): Promise<Tap5> {
  const sent: Packet5[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const broker = net.connect(target);
    const decoder = new Decoder({ protocolVersion: 5 });
    for (const s of [client, broker]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (chunk: Buffer) => {
      sent.push(...decoder.push(new Uint8Array(chunk)));
      broker.write(chunk);
    });
    broker.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => broker.destroy());
    broker.on("close", () => client.destroy());
    client.on("error", () => broker.destroy());
    broker.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
