import { describe, expect, test } from "vitest";
import { InvalidArgumentError } from "../src/index.js";
import { parseServer } from "../src/server-url.js";

const tcp = (host: string, port: number, tls = false) => ({
  webSocket: false,
  tls,
  host,
  port,
  url: "",
});

describe("parseServer", () => {
  test("a bare host keeps today's meaning: TCP, TLS by options.ssl", () => {
    expect(parseServer("broker.local", 0, undefined, false)).toEqual(tcp("broker.local", 1883));
    expect(parseServer("broker.local", 0, true, false)).toEqual(tcp("broker.local", 8883, true));
    expect(parseServer("10.0.0.1", 1884, false, false)).toEqual(tcp("10.0.0.1", 1884));
    expect(parseServer("::1", 0, undefined, false)).toEqual(tcp("::1", 1883));
  });

  test.each([
    ["mqtt://broker.local", tcp("broker.local", 1883)],
    ["mqtt://broker.local:1884", tcp("broker.local", 1884)],
    ["mqtt://broker.local/", tcp("broker.local", 1883)],
    ["mqtts://broker.local", tcp("broker.local", 8883, true)],
    ["mqtts://broker.local:9883", tcp("broker.local", 9883, true)],
    ["MQTT://Broker.Local", tcp("Broker.Local", 1883)],
    ["mqtt://[::1]:1884", tcp("::1", 1884)],
    ["mqtts://[2001:db8::5]", tcp("2001:db8::5", 8883, true)],
  ])("%s", (server, expected) => {
    expect(parseServer(server, 0, undefined, false)).toEqual(expected);
  });

  test.each([
    ["ws://broker.local:8080/mqtt", false, 8080, "ws://broker.local:8080/mqtt"],
    ["ws://broker.local/mqtt", false, 80, "ws://broker.local/mqtt"],
    ["ws://broker.local", false, 80, "ws://broker.local/"],
    ["wss://broker.local/mqtt", true, 443, "wss://broker.local/mqtt"],
    ["wss://broker.local:8884/a/b?token=x", true, 8884, "wss://broker.local:8884/a/b?token=x"],
    ["ws://[::1]:9001/mqtt", false, 9001, "ws://[::1]:9001/mqtt"],
  ])("%s", (server, tls, port, url) => {
    const target = parseServer(server, 0, undefined, false);
    expect(target).toMatchObject({ webSocket: true, tls, port, url });
  });

  test("options fill in what the URL leaves out, and may repeat what it says", () => {
    expect(parseServer("mqtt://h", 1884, undefined, false).port).toBe(1884);
    expect(parseServer("ws://h/mqtt", 8080, undefined, false)).toMatchObject({
      port: 8080,
      url: "ws://h:8080/mqtt",
    });
    expect(parseServer("mqtt://h:1884", 1884, false, false).port).toBe(1884);
    expect(parseServer("mqtts://h", 0, true, true).tls).toBe(true);
    expect(parseServer("wss://h/", 0, true, true).tls).toBe(true);
  });

  test.each([
    ["mqtt://", /names no host/],
    ["ws://", /not a valid URL/],
    ["mqtt://h:99999", /not a valid URL/],
    ["http://h", /unknown scheme "http:\/\/"; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
    ["tcp://h:1883", /unknown scheme "tcp:\/\/"/],
    ["mqtt://user:pw@h", /options\.user and options\.password/],
    ["mqtt://h/path", /mqtt:\/\/ URLs have no path or query/],
    ["mqtts://h?x=1", /no path or query/],
    ["ws://h/mqtt#frag", /no #fragment/],
    ["mqtt://h:0", /port must be 1 to 65535/],
  ])("refuses %s", (server, rule) => {
    const run = () => parseServer(server, 0, undefined, false);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/^MQTTClient\(server\): /);
    expect(run).toThrow(rule);
  });

  test.each([
    ["mqtt://h:1883", 1884, undefined, false, /the URL's port 1883 contradicts options\.port 1884/],
    ["ws://h:80/mqtt", 8080, undefined, false, /the URL's port 80 contradicts options\.port 8080/],
    ["mqtts://h", 0, false, false, /mqtts:\/\/ is TLS, but options\.ssl is false/],
    ["wss://h/", 0, false, false, /wss:\/\/ is TLS, but options\.ssl is false/],
    ["mqtt://h", 0, true, false, /mqtt:\/\/ is not TLS, but options\.ssl is set; use mqtts:\/\//],
    ["ws://h/", 0, true, false, /use wss:\/\//],
    ["mqtt://h", 0, undefined, true, /options\.sslParams are set; use mqtts:\/\//],
  ] as const)("refuses %s when the options contradict it", (server, port, ssl, params, rule) => {
    const run = () => parseServer(server, port, ssl, params);
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(rule);
  });
});
