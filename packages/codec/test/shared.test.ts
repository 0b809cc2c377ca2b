// Shared subscription filters (MQTT 5, 4.8.2): $share/{ShareName}/{filter}.
import { describe, expect, it } from "vitest";
import { isShared } from "../src/shared.js";

const te = new TextEncoder();

describe("isShared", () => {
  it("recognises a shared subscription, as a string or bytes", () => {
    for (const f of ["$share/g/t", "$share/group-1/a/+/#", "$share/é/#", "$share/g//"])
      for (const v of [f, te.encode(f)]) expect(isShared(v)).toBe(true);
  });

  it("leaves other filters alone, $-prefixed ones included", () => {
    for (const f of ["t", "$SYS/#", "$shareg/t", "share/g/t", "$Share/g/t", "#", "+/share/g"])
      expect(isShared(f)).toBe(false);
  });

  it("refuses a malformed ShareName or a missing filter [MQTT-4.8.2-1/2]", () => {
    for (const f of [
      "$share/",
      "$share//t",
      "$share/g",
      "$share/g/",
      "$share/+/t",
      "$share/#/t",
      "$share/a+b/t",
    ])
      expect(() => isShared(f)).toThrow(expect.objectContaining({ code: "ERR_BAD_FILTER" }));
  });
});
