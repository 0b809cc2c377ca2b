/**
 * dynsecConfig against a real mosquitto, and the fault proxy's MQTT 5 tap on the same broker
 * (MQTT.js 5 with protocolVersion 5 as the client): a denied subscribe pattern is SUBACK 0x87,
 * `disableClient` sends DISCONNECT 0x98, and the tap shows properties and topic aliases.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Packet5 } from "@umqtt/codec";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  dynsecConfig,
  type FaultProxy,
  type Mosquitto,
  startFaultProxy,
  startMosquitto,
  text,
  withTimeout,
} from "../src/index.ts";
import { describeMosquitto } from "../src/vitest.ts";

describeMosquitto("dynsecConfig and the MQTT 5 tap (mosquitto)", () => {
  let dir: string;
  let sec: ReturnType<typeof dynsecConfig>;
  let broker: Mosquitto;
  let proxy: FaultProxy<Packet5>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "umqtt-dynsec-test-"));
    sec = dynsecConfig({ dir, denySubscribe: ["denied/#"] });
    broker = await startMosquitto({ extraConfig: sec.extraConfig });
    proxy = await startFaultProxy({
      target: { host: broker.host, port: broker.port },
      protocolVersion: 5,
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function client(opts: Record<string, unknown> = {}): Promise<MqttClient> {
    const c = await connectAsync(proxy.url, { protocolVersion: 5, reconnectPeriod: 0, ...opts });
    clients.push(c);
    return c;
  }

  it("a denied subscribe pattern is refused with SUBACK 0x87, for anonymous clients and the user", async () => {
    for (const login of [{}, { username: sec.user.username, password: sec.user.password }]) {
      const c = await client(login);
      const granted = await c.subscribeAsync(["denied/x", "ok/x"], { qos: 1 }).then(
        () => [],
        (e: { packet: { granted: number[] } }) => e.packet.granted,
      );
      expect(granted).toEqual([0x87, 1]);
      const suback = proxy.brokerTap.filter((r) => r.packet.type === "suback").at(-1)?.packet;
      expect(suback?.type === "suback" && suback.reasonCodes).toEqual([0x87, 1]);
    }
  });

  it("the admin's disableClient sends the user DISCONNECT 0x98 (Administrative action)", async () => {
    const victim = await client({ username: sec.user.username, password: sec.user.password });
    const kicked = new Promise<number | undefined>((resolve) =>
      victim.once("disconnect", (p) => resolve(p.reasonCode)),
    );
    const admin = await client({ username: sec.admin.username, password: sec.admin.password });
    await admin.publishAsync(
      "$CONTROL/dynamic-security/v1",
      JSON.stringify({ commands: [{ command: "disableClient", username: sec.user.username }] }),
    );
    expect(await withTimeout(kicked, 5000, "DISCONNECT")).toBe(0x98);
    const down = proxy.brokerTap.find((r) => r.packet.type === "disconnect")?.packet;
    expect(down?.type === "disconnect" && down.reasonCode).toBe(0x98);
    // Enabled again for the other tests.
    await admin.publishAsync(
      "$CONTROL/dynamic-security/v1",
      JSON.stringify({ commands: [{ command: "enableClient", username: sec.user.username }] }),
    );
  });

  it("the MQTT 5 tap decodes properties and topic aliases as sent", async () => {
    const c = await client();
    const from = proxy.tap.length;
    await c.publishAsync("ok/alias", "a", {
      qos: 1,
      properties: { topicAlias: 3, contentType: "t/x" },
    });
    await c.publishAsync("", "b", { qos: 1, properties: { topicAlias: 3 } });
    const pubs = proxy.tap
      .slice(from)
      .map((r) => r.packet)
      .filter((p) => p.type === "publish");
    expect(
      pubs.map((p) => (p.type === "publish" ? [text(p.topic), p.properties?.topicAlias] : [])),
    ).toEqual([
      ["ok/alias", 3],
      ["", 3],
    ]);
    expect(pubs[0]?.type === "publish" && pubs[0].properties?.contentType).toBe("t/x");
  });
});
