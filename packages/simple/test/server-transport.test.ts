import { afterEach, describe, expect, test, vi } from "vitest";
import { ErrorCode, InvalidArgumentError, MQTTClient } from "../src/index.js";

/** A WebSocket constructor that records how it was called and never opens. */
function recordingWebSocket() {
  const calls: unknown[][] = [];
  class Recording {
    binaryType = "blob";
    bufferedAmount = 0;
    protocol = "";
    readyState = 0;
    constructor(...args: unknown[]) {
      calls.push(args);
    }
    send() {}
    close() {}
    addEventListener() {}
    removeEventListener() {}
  }
  return { calls, WebSocket: Recording };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the transport a server URL picks", () => {
  test("ws:// without a global WebSocket (Node 20) and without options.webSocket is refused", () => {
    vi.stubGlobal("WebSocket", undefined);
    const run = () => new MQTTClient("c", "ws://127.0.0.1:8080/mqtt");
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(
      /^MQTTClient\(options\.webSocket\): no global WebSocket here \(Node 20\); pass webSocket: WebSocket from the "ws" package$/,
    );
  });

  test("the runtime's global WebSocket is used when present: subprotocol mqtt, no third argument", async () => {
    const { calls, WebSocket } = recordingWebSocket();
    vi.stubGlobal("WebSocket", WebSocket);
    const client = new MQTTClient("c", "wss://broker.test/mqtt?x=1");
    await expect(client.connect(true, 50)).rejects.toMatchObject({
      code: ErrorCode.CONNECT_TIMEOUT,
    });
    expect(calls).toEqual([["wss://broker.test/mqtt?x=1", "mqtt", undefined]]);
  });

  test("with options.webSocket, sslParams and ssl's context go to its third argument", async () => {
    const { calls, WebSocket } = recordingWebSocket();
    const client = new MQTTClient("c", "wss://broker.test:8884/mqtt", {
      webSocket: WebSocket,
      sslParams: { ca: "CA PEM", servername: "broker.test" },
    });
    await expect(client.connect(true, 50)).rejects.toMatchObject({
      code: ErrorCode.CONNECT_TIMEOUT,
    });
    expect(calls).toEqual([
      ["wss://broker.test:8884/mqtt", "mqtt", { ca: "CA PEM", servername: "broker.test" }],
    ]);
    expect(client.port).toBe(8884);
  });

  test("TLS options with the global WebSocket are refused, not ignored", () => {
    vi.stubGlobal("WebSocket", recordingWebSocket().WebSocket);
    const run = () => new MQTTClient("c", "wss://broker.test/", { sslParams: { ca: "x" } });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(
      /^MQTTClient\(options\.sslParams\): the global WebSocket takes no TLS options/,
    );
  });

  test("options.webSocket with a TCP server, or not a constructor, is refused", () => {
    const { WebSocket } = recordingWebSocket();
    expect(() => new MQTTClient("c", "mqtt://h", { webSocket: WebSocket })).toThrow(
      /^MQTTClient\(options\.webSocket\): only ws:\/\/ and wss:\/\/ servers use it$/,
    );
    expect(
      () => new MQTTClient("c", "ws://h/", { webSocket: "ws" as unknown as typeof WebSocket }),
    ).toThrow(/^MQTTClient\(options\.webSocket\): must be a WebSocket constructor, got "ws"$/);
  });

  test("a URL's port is the client's port", () => {
    expect(new MQTTClient("c", "mqtts://h").port).toBe(8883);
    expect(new MQTTClient("c", "mqtt://[::1]:1999").port).toBe(1999);
    expect(new MQTTClient("c", "h", { port: 1999 }).port).toBe(1999);
  });
});
