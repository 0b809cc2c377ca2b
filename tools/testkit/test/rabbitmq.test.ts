import { existsSync } from "node:fs";
import { connect, connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type RabbitMQ, startRabbitMQ, withTimeout } from "../src/index.ts";
import { alive } from "../src/liveness.ts";
import { describeRabbitMQ } from "../src/vitest.ts";

function nextMessage(c: MqttClient, ms = 10_000): Promise<string> {
  return withTimeout(
    new Promise((resolve) => c.once("message", (_t, payload) => resolve(payload.toString()))),
    ms,
    "message",
  );
}

describeRabbitMQ("startRabbitMQ (one node)", () => {
  let rabbit: RabbitMQ;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    rabbit = await startRabbitMQ();
    console.log(`rabbitmq: one node ready in ${Math.round(rabbit.timings.total)} ms`);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await rabbit?.close();
  }, 60_000);

  it("accepts anonymous MQTT and does QoS 1 both ways", async () => {
    const c = await connectAsync(rabbit.url, { clientId: "tk-1", reconnectPeriod: 0 });
    clients.push(c);
    await c.subscribeAsync("tk/#", { qos: 1 });
    const got = nextMessage(c);
    await c.publishAsync("tk/a", "hello", { qos: 1 });
    expect(await got).toBe("hello");
  });

  it("exposes Web MQTT: MQTT over WebSocket on wsUrl", async () => {
    const node = rabbit.nodes[0]!;
    const c = await connectAsync(node.wsUrl, { clientId: "tk-ws", reconnectPeriod: 0 });
    clients.push(c);
    await c.subscribeAsync("ws/#", { qos: 1 });
    const got = nextMessage(c);
    await c.publishAsync("ws/a", "over websocket", { qos: 1 });
    expect(await got).toBe("over websocket");
  });

  it("stop() and start() keep the node's data: a persistent session survives", async () => {
    const node = rabbit.nodes[0]!;
    const sub = await connectAsync(rabbit.url, {
      clientId: "tk-keep",
      clean: false,
      reconnectPeriod: 0,
    });
    await sub.subscribeAsync("keep/#", { qos: 1 });
    await sub.endAsync();
    const pub = await connectAsync(rabbit.url, { clientId: "tk-pub", reconnectPeriod: 0 });
    await pub.publishAsync("keep/1", "queued", { qos: 1 });
    await pub.endAsync();
    const before = node.pid;
    await rabbit.stop(node);
    expect(node.running).toBe(false);
    expect(alive(before)).toBe(false);
    await rabbit.start(node);
    expect(node.pid).not.toBe(before);
    const again = connect(rabbit.url, { clientId: "tk-keep", clean: false, reconnectPeriod: 0 });
    clients.push(again);
    // Listening before the CONNACK: the queued message may come in the same read. A restarted
    // node recovers its queue after it accepts connections, slowly on a loaded machine.
    const queued = nextMessage(again, 30_000);
    await withTimeout(new Promise((resolve) => again.once("connect", resolve)), 30_000, "CONNACK");
    expect(again.connected).toBe(true);
    expect(await queued).toBe("queued");
  }, 120_000);

  it("kill() ends the VM at once, and close() removes everything it started", async () => {
    const node = rabbit.nodes[0]!;
    const pid = node.pid;
    await rabbit.kill(node);
    expect(alive(pid)).toBe(false);
    await rabbit.start(node);
    const pids = [node.pid];
    const dir = rabbit.dir;
    await rabbit.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});
