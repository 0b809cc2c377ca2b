/**
 * Does a broker speak MQTT 5? Sends a minimal protocol-level-5 CONNECT on a raw socket and
 * reports the answer: the CONNACK's return code, or that the broker closed the connection.
 */
import net from "node:net";

// CONNECT, remaining length 13: "MQTT", level 5, clean start, keepalive 60, no properties,
// an empty client id.
const CONNECT_V5 = Uint8Array.from([
  0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 60, 0, 0, 0,
]);

/** "connack 0" (accepted), "connack <code>" (refused), or "closed" (no CONNACK at all). */
export function probeMqtt5(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = Buffer.alloc(0);
    const done = (what: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done(`no answer in ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => socket.write(CONNECT_V5));
    socket.on("data", (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      // CONNACK: type 0x20, then (v5) flags and the reason code; v3.1.1 brokers answer 0x20 0x02.
      if (answer.length >= 4 && answer[0] === 0x20) done(`connack ${answer[3]}`);
    });
    socket.once("close", () => done("closed"));
    socket.once("error", () => done("closed"));
  });
}
