// The public entry's types: the protocol version picks the packet types.
import { describe, expectTypeOf, it } from "vitest";
import { Decoder, decode, encode, type Packet, type Packet5, reasonName } from "../src/index.js";

describe("public types", () => {
  it("protocolVersion selects Packet or Packet5", () => {
    const v = 5 as 4 | 5;
    const ping = Uint8Array.of(0xc0, 0);
    expectTypeOf(decode(ping)).toEqualTypeOf<Packet>();
    expectTypeOf(decode(ping, 5)).toEqualTypeOf<Packet5>();
    expectTypeOf(decode(ping, v)).toEqualTypeOf<Packet | Packet5>();
    expectTypeOf(new Decoder().push).returns.toEqualTypeOf<Packet[]>();
    expectTypeOf(new Decoder({ protocolVersion: 5 }).push).returns.toEqualTypeOf<Packet5[]>();
    expectTypeOf(encode).toBeCallableWith({ type: "auth", reasonCode: 0x18 }, 5);
    expectTypeOf(encode).toBeCallableWith({ type: "pingreq" }, v);
    // @ts-expect-error AUTH is MQTT 5 only
    expectTypeOf(encode).toBeCallableWith({ type: "auth", reasonCode: 0 });
    expectTypeOf(reasonName).returns.toEqualTypeOf<string | undefined>();
  });
});
