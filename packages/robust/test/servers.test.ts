import { type AedesBroker, freePort, startAedes, withTimeout } from "@umqtt/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, MQTTClient } from "../src/index.js";
import { formatServer, parseServers, ServerRotation } from "../src/servers.js";

describe("parseServers", () => {
  it("takes host, host:port, [v6]:port, mqtt:// and mqtts:// URLs", () => {
    expect(
      parseServers(
        [
          "a.local",
          "b:1884",
          "[::1]:1885",
          "mqtt://c:1886",
          "MQTTS://d",
          "mqtt://e:1887/",
          "[fe80::1]",
        ],
        false,
        0,
      ),
    ).toMatchObject([
      { host: "a.local", port: 1883, tls: false },
      { host: "b", port: 1884, tls: false },
      { host: "::1", port: 1885, tls: false },
      { host: "c", port: 1886, tls: false },
      { host: "d", port: 8883, tls: true },
      { host: "e", port: 1887, tls: false },
      { host: "fe80::1", port: 1883, tls: false },
    ]);
  });

  it("entries without a scheme follow ssl and port; a URL's scheme decides for itself", () => {
    expect(parseServers(["ws://a:8080/mqtt", "wss://b/mqtt"], false, 0)).toMatchObject([
      { host: "a", port: 8080, tls: false, webSocket: true, url: "ws://a:8080/mqtt" },
      { host: "b", port: 443, tls: true, webSocket: true, url: "wss://b/mqtt" },
    ]);
    expect(parseServers(["a", "b:2", "mqtt://c"], true, 0)).toMatchObject([
      { host: "a", port: 8883, tls: true },
      { host: "b", port: 2, tls: true },
      { host: "c", port: 1883, tls: false },
    ]);
    expect(parseServers(["a", "mqtts://b"], false, 9000)).toMatchObject([
      { host: "a", port: 9000, tls: false },
      { host: "b", port: 9000, tls: true },
    ]);
  });

  it.each([
    [[], /must be a non-empty array$/],
    ["a:1883", /must be a non-empty array$/],
    [[1883], /entry 0 must be .*, got 1883$/],
    [["ok:1", ""], /entry 1 must be .*, got ""$/],
    [["ws://a:0/mqtt"], /entry 0: MQTTClient\(server\): the URL's port must be 1 to 65535$/],
    [["http://a"], /got "http:\/\/a"$/],
    [["a:0"], /got "a:0"$/],
    [["a:65536"], /got "a:65536"$/],
    [["a:b"], /got "a:b"$/],
    [["a b:1"], /got "a b:1"$/],
    [["mqtt://a:1/path"], /got "mqtt:\/\/a:1\/path"$/],
    [["user@a:1"], /got "user@a:1"$/],
    [["::1"], /got "::1"$/],
  ])("refuses %j", (list, rule) => {
    let thrown: unknown;
    try {
      parseServers(list, false, 0);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message).toMatch(/^MQTTClient\(options\.servers\): /);
    expect((thrown as Error).message).toMatch(rule);
  });

  it("formats a server as host:port, brackets for IPv6", () => {
    expect(formatServer({ host: "a", port: 1, tls: false, webSocket: false, url: "" })).toBe("a:1");
    expect(formatServer({ host: "::1", port: 2, tls: true, webSocket: false, url: "" })).toBe(
      "[::1]:2",
    );
  });
});

describe("ServerRotation.round", () => {
  const rotation = () => new ServerRotation(parseServers(["a:1", "b:2", "c:3"], false, 0), {});
  const refused = new Error("refused");

  it("tries each server in order until one succeeds; the next round starts after it", async () => {
    const r = rotation();
    const tried: string[] = [];
    const up = new Set(["b"]);
    const attempt = async () => {
      tried.push(r.current.host);
      if (!up.has(r.current.host)) throw refused;
      return r.current.host;
    };
    expect(await r.round(attempt, () => true)).toBe("b");
    expect(tried).toEqual(["a", "b"]);
    tried.length = 0;
    up.add("a");
    // b was lost: c is tried first, then a.
    expect(await r.round(attempt, () => true)).toBe("a");
    expect(tried).toEqual(["c", "a"]);
  });

  it("a fully failed round rejects with the last failure and the next round starts at the same place", async () => {
    const r = rotation();
    const tried: string[] = [];
    const accepted: unknown[] = [];
    const attempt = async () => {
      tried.push(r.current.host);
      throw new Error(`down ${r.current.host}`);
    };
    const next = (err: unknown) => {
      accepted.push(err);
      return true;
    };
    await expect(r.round(attempt, next)).rejects.toThrow("down c");
    await expect(r.round(attempt, next)).rejects.toThrow("down c");
    expect(tried).toEqual(["a", "b", "c", "a", "b", "c"]);
    // next() sees every failure but the round's last.
    expect(accepted.map(String)).toEqual([
      "Error: down a",
      "Error: down b",
      "Error: down a",
      "Error: down b",
    ]);
  });

  it("a failure next() refuses ends the round at once", async () => {
    const r = rotation();
    const tried: string[] = [];
    const fatal = new Error("not authorized");
    const attempt = async () => {
      tried.push(r.current.host);
      throw fatal;
    };
    await expect(r.round(attempt, (err) => err !== fatal)).rejects.toBe(fatal);
    expect(tried).toEqual(["a"]);
  });
});

describe("MQTTClient({ servers })", () => {
  const brokers: AedesBroker[] = [];
  const clients: MQTTClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
  });

  class Logged extends MQTTClient {
    readonly lines: string[] = [];
    readonly delays: number[] = [];
    onDelay: ((attempt: number) => void) | undefined;
    override log(inReconnect: boolean, err: unknown): void {
      this.lines.push(`${inReconnect ? "R" : "-"} ${err instanceof Error ? "error" : String(err)}`);
    }
    override delay(attempt: number): Promise<void> {
      this.delays.push(attempt);
      this.onDelay?.(attempt);
      return new Promise((r) => setTimeout(r, 5));
    }
  }

  it("refuses bad entries and servers + transport in the constructor", () => {
    expect(() => new MQTTClient("c", "x", { servers: ["ws://a/mqtt"] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new MQTTClient("c", "x", { servers: [] })).toThrow(
      /MQTTClient\(options\.servers\)/,
    );
    expect(
      () => new MQTTClient("c", "x", { servers: ["a:1"], transport: async () => ({}) as never }),
    ).toThrow(/cannot be combined with options\.transport/);
  });

  it("the first connect() falls over to the next server and logs the one it reached", async () => {
    const dead = await freePort();
    const broker = await startAedes();
    brokers.push(broker);
    const c = new Logged("srv-1", "unused", {
      servers: [`127.0.0.1:${dead}`, `mqtt://127.0.0.1:${broker.port}`],
    });
    clients.push(c);
    expect(await c.connect(false)).toBe(false);
    expect(c.lines).toEqual(["- error", `- connected to 127.0.0.1:${broker.port}`]);
  });

  it("reconnects to another server when its own goes away; backoff only after a full round", async () => {
    const a = await startAedes();
    const b = await startAedes();
    brokers.push(a, b);
    const c = new Logged("srv-2", "unused", {
      servers: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
      keepalive: 2,
    });
    clients.push(c);
    await c.connect(false);
    await c.subscribe("t/#", 1);
    await a.close();
    await c.publish("t/x", "after", false, 1);
    expect(c.lines.at(-1)).toBe(`R connected to 127.0.0.1:${b.port}`);
    expect(c.delays).toEqual([]);
    // Both down: rounds fail, each followed by delay(round); a comes back and is reached.
    const port = a.port;
    await b.close();
    const secondRound = new Promise<void>((resolve) => {
      c.onDelay = (n) => n === 2 && resolve();
    });
    const waiting = c.publish("t/x", "later", false, 1);
    await withTimeout(secondRound, 5000, "delay(2)");
    const again = await startAedes({ port });
    brokers.push(again);
    await waiting;
    expect(c.delays.slice(0, 2)).toEqual([1, 2]);
    expect(c.lines.at(-1)).toBe(`R connected to 127.0.0.1:${port}`);
  });
});
