/**
 * The package as a browser bundler sees it (esbuild, platform browser, the sources through
 * the @umqtt/source condition): no node:* import, and run where there is no Node — no
 * process, no setImmediate, no Buffer — TCP is a typed error and ws:// works.
 */
import vm from "node:vm";
import { build } from "esbuild";
import { expect, test } from "vitest";

async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
    bundle: true,
    format: "iife",
    globalName: "umqtt",
    platform: "browser",
    conditions: ["@umqtt/source"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

test("the browser bundle imports nothing from Node and runs without Node's globals", async () => {
  const code = await browserBundle();
  expect(code).not.toMatch(/["']node:/);
  expect(code).not.toMatch(/require\(/);
  const opened: unknown[][] = [];
  class FakeWebSocket {
    binaryType = "blob";
    bufferedAmount = 0;
    protocol = "mqtt";
    readyState = 0;
    constructor(...args: unknown[]) {
      opened.push(args);
    }
    send() {}
    close() {}
    addEventListener() {}
    removeEventListener() {}
  }
  // Only what a browser page has (of what the client touches); no process, Buffer or setImmediate.
  const sandbox = vm.createContext({
    TextEncoder,
    TextDecoder,
    URL,
    AbortController,
    MessageChannel,
    performance,
    setTimeout,
    clearTimeout,
    WebSocket: FakeWebSocket,
  });
  vm.runInContext(`${code};globalThis.umqtt = umqtt;`, sandbox);
  const result = vm.runInContext(
    `(() => {
      const { MQTTClient, InvalidArgumentError } = umqtt;
      let tcp;
      try { new MQTTClient("c", "broker.local"); } catch (e) {
        tcp = { message: e.message, typed: e instanceof InvalidArgumentError, code: e.code };
      }
      const client = new MQTTClient("c", "wss://broker.local/mqtt");
      return { tcp, port: client.port };
    })()`,
    sandbox,
  );
  expect(result.tcp).toEqual({
    message: "MQTTClient(server): TCP needs Node; use ws:// or wss://",
    typed: true,
    code: "ERR_INVALID_ARGUMENT",
  });
  expect(result.port).toBe(443);
});
