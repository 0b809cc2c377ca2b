// The reason-code table (MQTT 5, 2.4) checked both ways for every packet that carries one.
import { describe, expect, it } from "vitest";
import { decode, encode, MqttCodecError, type PacketInput5, reasonName } from "../src/index.js";
import { hex } from "./gen.js";
import { REASONS } from "./gen5.js";

/** The packet `type` with reason code `code`, as encode takes it. */
function withCode(type: string, code: number): PacketInput5 {
  switch (type) {
    case "connack":
      return { type, sessionPresent: false, reasonCode: code };
    case "suback":
    case "unsuback":
      return { type, packetId: 1, reasonCodes: [code] };
    case "disconnect":
    case "auth":
      return { type, reasonCode: code };
    default:
      return { type, packetId: 1, reasonCode: code } as PacketInput5;
  }
}

/** The same packet as bytes, written by hand. */
function bytes(type: string, code: number): Uint8Array {
  const c = code.toString(16).padStart(2, "0");
  const first = {
    connack: "20",
    suback: "90",
    unsuback: "b0",
    disconnect: "e0",
    auth: "f0",
    puback: "40",
    pubrec: "50",
    pubrel: "62",
    pubcomp: "70",
  }[type];
  const body =
    type === "connack"
      ? `00 ${c} 00`
      : type === "suback" || type === "unsuback"
        ? `00 01 00 ${c}`
        : type === "disconnect" || type === "auth"
          ? `${c} 00`
          : `00 01 ${c} 00`;
  return hex(`${first} ${hex(body).length.toString(16).padStart(2, "0")} ${body}`);
}

describe("reason codes", () => {
  for (const [type, allowed] of Object.entries(REASONS)) {
    it(`${type}: exactly its ${allowed.length} reason codes pass, both ways, out of 0..255`, () => {
      for (let code = 0; code < 256; code++) {
        const ok = allowed.includes(code);
        if (ok) {
          expect(decode(encode(withCode(type, code), 5), 5)).toMatchObject(
            type === "suback" || type === "unsuback"
              ? { reasonCodes: [code] }
              : { reasonCode: code },
          );
          expect(decode(bytes(type, code), 5)).toMatchObject({ type });
        } else {
          expect(() => encode(withCode(type, code), 5)).toThrow(
            expect.objectContaining({ code: "ERR_BAD_REASON_CODE" }),
          );
          let err: unknown;
          try {
            decode(bytes(type, code), 5);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(MqttCodecError);
          expect((err as MqttCodecError).code).toBe("ERR_BAD_REASON_CODE");
        }
      }
    });
  }

  it("encode refuses a reason code that is not a number", () => {
    for (const bad of ["0", 0.5, -1, 256, null, true])
      expect(() => encode({ type: "puback", packetId: 1, reasonCode: bad as never }, 5)).toThrow(
        expect.objectContaining({ code: "ERR_BAD_REASON_CODE" }),
      );
  });

  it("reasonName names every code, per packet where code 0 differs", () => {
    expect(reasonName(0)).toBe("Success");
    expect(reasonName(0, "disconnect")).toBe("Normal disconnection");
    expect(reasonName(0, "suback")).toBe("Granted QoS 0");
    expect(reasonName(1, "suback")).toBe("Granted QoS 1");
    expect(reasonName(0x87)).toBe("Not authorized");
    expect(reasonName(0x8e, "disconnect")).toBe("Session taken over");
    expect(reasonName(0x10, "pubcomp")).toBeUndefined();
    expect(reasonName(0x03)).toBeUndefined();
    for (const [type, allowed] of Object.entries(REASONS))
      for (const code of allowed) expect(reasonName(code, type as "puback")).toMatch(/^[A-Z]/);
  });
});
