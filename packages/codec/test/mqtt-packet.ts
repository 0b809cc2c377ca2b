// mqtt-packet, the independent implementation the differential tests use as an oracle, and the
// conversions both versions' tests need between its Buffers and our Uint8Arrays.
import mqttPacket from "mqtt-packet";

// biome-ignore lint/suspicious/noExplicitAny: mqtt-packet's own loose packet shape
export type MP = any;

export const td = new TextDecoder("utf-8", { ignoreBOM: true });
export const te = new TextEncoder();
/** Our bytes as a Buffer view (no copy), as mqtt-packet wants them. */
export const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length);
/** mqtt-packet's Buffer or string as our bytes. */
export const u8 = (b: Buffer | string) =>
  typeof b === "string" ? te.encode(b) : new Uint8Array(b);

/** Parses bytes with mqtt-packet at `protocolVersion`; returns its packets or throws its error. */
export function mqttParse(bytes: Uint8Array, protocolVersion: 4 | 5): MP[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const out: MP[] = [];
  let error: Error | undefined;
  parser.on("packet", (p: MP) => out.push(p));
  parser.on("error", (e: Error) => {
    error = e;
  });
  parser.parse(buf(bytes));
  if (error) throw error;
  return out;
}
