import { describe, expect, it } from "vitest";
import { CodecErrorCode, encode, MqttCodecError, validateString } from "../src/index.js";

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (err) {
    if (err instanceof MqttCodecError) return err.code;
    throw err;
  }
  return undefined;
};

describe("validateString", () => {
  it("accepts what encode accepts and refuses what it refuses, with the same code", () => {
    const cases: [value: string | Uint8Array, binary: boolean][] = [
      ["client-1", false],
      ["", false],
      ["x".repeat(65_535), false],
      ["x".repeat(65_536), false],
      ["a\u0000b", false],
      ["\ud800", false],
      [Uint8Array.of(0xff), false],
      [Uint8Array.of(0xff), true],
      [new Uint8Array(65_536), true],
    ];
    for (const [value, binary] of cases) {
      const viaEncode = codeOf(() =>
        encode(
          binary
            ? {
                type: "connect",
                clientId: "c",
                cleanSession: true,
                keepalive: 0,
                username: "u",
                password: value,
              }
            : { type: "connect", clientId: value, cleanSession: true, keepalive: 0 },
        ),
      );
      expect(codeOf(() => validateString(value, "field", binary))).toBe(viaEncode);
    }
    expect(codeOf(() => validateString("x".repeat(65_536)))).toBe(CodecErrorCode.STRING_TOO_LONG);
  });
});
