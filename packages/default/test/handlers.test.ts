import { utf8 } from "@umqtt/testkit";
import { describe, expect, it } from "vitest";
import { type Handler, HandlerTable } from "../src/handlers.js";

const noop = (): void => {};

/** A table with one named handler per filter, and a helper listing the names that match. */
function table(...filters: string[]): {
  table: HandlerTable;
  matching(topic: string | Uint8Array): string[];
} {
  const t = new HandlerTable();
  const names = new Map<Handler, string>();
  for (const filter of filters) {
    const handler: Handler = () => {};
    names.set(handler, filter);
    t.set(filter, handler);
  }
  return {
    table: t,
    matching: (topic) =>
      t.match(typeof topic === "string" ? utf8.encode(topic) : topic).map((h) => names.get(h)!),
  };
}

describe("HandlerTable", () => {
  it("matches exact topics byte-wise and case-sensitively", () => {
    const { matching } = table("a/b", "A/b", "a/b/");
    expect(matching("a/b")).toEqual(["a/b"]);
    expect(matching("A/b")).toEqual(["A/b"]);
    expect(matching("a/b/")).toEqual(["a/b/"]);
    expect(matching("a/bc")).toEqual([]);
  });

  it("runs every overlapping filter once per message, in registration order", () => {
    const { matching } = table("home/#", "home/+/temp", "home/kitchen/temp", "#", "+/+/+", "other");
    expect(matching("home/kitchen/temp")).toEqual([
      "home/#",
      "home/+/temp",
      "home/kitchen/temp",
      "#",
      "+/+/+",
    ]);
  });

  it("matches + as exactly one level, including an empty one", () => {
    const { matching } = table("a/+/c", "+", "+/+", "a/+");
    expect(matching("a/b/c")).toEqual(["a/+/c"]);
    expect(matching("a//c")).toEqual(["a/+/c"]);
    expect(matching("a/b/c/d")).toEqual([]);
    expect(matching("a")).toEqual(["+"]);
    expect(matching("/a")).toEqual(["+/+"]);
    expect(matching("a/")).toEqual(["+/+", "a/+"]);
  });

  it("matches # as any number of levels, including the parent level", () => {
    const { matching } = table("a/#", "#", "a/b/#");
    expect(matching("a")).toEqual(["a/#", "#"]);
    expect(matching("a/b")).toEqual(["a/#", "#", "a/b/#"]);
    expect(matching("a/b/c/d")).toEqual(["a/#", "#", "a/b/#"]);
    expect(matching("b")).toEqual(["#"]);
  });

  it("applies the $ rule: wildcards at the first level do not match $ topics [MQTT-4.7.2-1]", () => {
    const { matching } = table(
      "#",
      "+/monitor/Clients",
      "+/#",
      "$SYS/#",
      "$SYS/monitor/+",
      "$SYS/monitor/Clients",
    );
    expect(matching("$SYS/monitor/Clients")).toEqual([
      "$SYS/#",
      "$SYS/monitor/+",
      "$SYS/monitor/Clients",
    ]);
    expect(matching("$SYS/x")).toEqual(["$SYS/#"]);
    expect(matching("a/monitor/Clients")).toEqual(["#", "+/monitor/Clients", "+/#"]);
  });

  it("compares non-ASCII topics by their UTF-8 bytes", () => {
    const { matching } = table("maison/séjour/°C", "maison/+/°C", "天气/#", "maison/sejour/°C");
    expect(matching("maison/séjour/°C")).toEqual(["maison/séjour/°C", "maison/+/°C"]);
    expect(matching(utf8.encode("天气/北京"))).toEqual(["天气/#"]);
    // NFC "é" (c3 a9) and NFD "e" + U+0301 are different topics: no normalisation [MQTT-4.7.3-4].
    expect(matching("maison/se\u0301jour/°C")).toEqual(["maison/+/°C"]);
  });

  it("matches raw bytes that are not valid UTF-8 without throwing", () => {
    const { matching } = table("a/+", "a/#");
    expect(matching(new Uint8Array([0x61, 0x2f, 0xff, 0xfe]))).toEqual(["a/+", "a/#"]);
  });

  it("accepts string topics too", () => {
    const t = new HandlerTable();
    const h: Handler = noop;
    t.set("x/+", h);
    expect(t.match("x/y")).toEqual([h]);
  });

  it("replaces the handler when a filter is registered again, keeping one entry", () => {
    const t = new HandlerTable();
    const first: Handler = () => {};
    const second: Handler = () => {};
    t.set("a/#", first);
    const { previous } = t.set("a/#", second);
    expect(previous?.handler).toBe(first);
    expect(t.size).toBe(1);
    expect(t.match(utf8.encode("a/b"))).toEqual([second]);
  });

  it("removes a filter; other filters stay", () => {
    const { table: t, matching } = table("a/#", "a/b");
    expect(t.delete("a/#")).toBe(true);
    expect(t.delete("a/#")).toBe(false);
    expect(matching("a/b")).toEqual(["a/b"]);
    expect([...t.filters()]).toEqual(["a/b"]);
  });

  it("revert() restores the previous handler, or removes a new filter", () => {
    const t = new HandlerTable();
    const old: Handler = () => {};
    const fresh: Handler = () => {};
    t.confirm(t.set("a", old));
    t.revert(t.set("a", fresh));
    expect(t.get("a")).toBe(old);
    t.revert(t.set("b", fresh));
    expect(t.has("b")).toBe(false);
  });

  it("two refused registrations of one filter leave nothing behind, in either order", () => {
    const t = new HandlerTable();
    const first = t.set("a", noop);
    const second = t.set("a", () => {});
    t.revert(second);
    expect(t.get("a")).toBe(noop); // the first is still pending: it may yet be granted
    t.revert(first);
    expect(t.has("a")).toBe(false);
    const third = t.set("b", noop);
    const fourth = t.set("b", () => {});
    t.revert(third);
    t.revert(fourth);
    expect(t.has("b")).toBe(false);
  });

  it("revert() leaves a later registration of the same filter alone", () => {
    const t = new HandlerTable();
    const first = t.set("a", noop);
    const later: Handler = () => {};
    t.set("a", later);
    t.revert(first);
    expect(t.get("a")).toBe(later);
  });

  it("forget() removes a confirmed handler but leaves one still awaiting its SUBACK", () => {
    const t = new HandlerTable();
    t.confirm(t.set("a", noop));
    t.forget("a");
    expect(t.has("a")).toBe(false);
    const pending = t.set("b", noop);
    t.forget("b");
    expect(t.get("b")).toBe(noop);
    t.confirm(pending);
    t.forget("b");
    expect(t.has("b")).toBe(false);
  });
});

describe("routing by subscription identifier (MQTT 5)", () => {
  it("a message naming subscription identifiers goes to those handlers only; without, by topic", () => {
    const table = new HandlerTable();
    const byId = (): void => {};
    const byTopic = (): void => {};
    table.set("a/#", byId, 7);
    table.set("a/+", byTopic);
    const topic = new TextEncoder().encode("a/b");
    expect(table.match(topic, 7)).toEqual([byId]);
    expect(table.match(topic, [3, 7])).toEqual([byId]);
    expect(table.match(topic)).toEqual([byId, byTopic]);
    // an identifier no handler has: fall back to the topic
    expect(table.match(topic, 99)).toEqual([byId, byTopic]);
  });
});
