/**
 * pnpm demo: an embedded aedes broker, a subscriber and a publisher built with each @umqtt
 * layer, and a broker restart the robust layers ride through. Prints what happens; exits 0.
 */
import { MQTTClient as DefaultClient } from "@umqtt/default";
import { MQTTClient as RobustClient } from "@umqtt/robust";
import { MQTTClient as SimpleClient } from "@umqtt/simple";
import { startAedes } from "@umqtt/testkit";

const text = new TextDecoder();
const say = (who: string, what: string): void => console.log(`${who.padEnd(10)} ${what}`);

const broker = await startAedes();
say("broker", `aedes listening on ${broker.url}`);

// @umqtt/default: per-topic handlers with MQTT wildcards, UIFlow2 style.
const dashboard = new DefaultClient("demo-dashboard", broker.host, {
  port: broker.port,
  keepalive: 5,
});
let readings = 0;
await dashboard.connect(false);
await dashboard.subscribe(
  "sensors/+/temp",
  ([topic, msg]) => {
    readings++;
    say("dashboard", `${text.decode(topic)} = ${text.decode(msg)} °C`);
  },
  1,
);
await dashboard.subscribe("alerts/#", ([topic, msg]) =>
  say("dashboard", `ALERT ${text.decode(topic)}: ${text.decode(msg)}`),
);

// @umqtt/simple: one connection, QoS 1 publish resolves on its PUBACK.
const sensor = new SimpleClient("demo-sensor", broker.host, { port: broker.port });
await sensor.connect();
for (const [room, t] of [
  ["kitchen", "21.5"],
  ["attic", "28.0"],
] as const) {
  await sensor.publish(`sensors/${room}/temp`, t, false, 1);
  say("sensor", `published sensors/${room}/temp = ${t} (QoS 1, acknowledged)`);
}
await sensor.publish("alerts/attic", "too warm");
await sensor.disconnect();

// @umqtt/robust: survives a broker restart; QoS 1 publishes made during the outage arrive.
const gateway = new RobustClient("demo-gateway", broker.host, {
  port: broker.port,
  reconnectDelay: 100,
  keepalive: 5,
});
await gateway.connect(false);
say("broker", "restarting (all sessions lost)");
await broker.restart();
// Retained: the fresh broker keeps it for the dashboard, whichever of the two reconnects first.
const during = gateway.publish("sensors/cellar/temp", "12.0", true, 1);
say("gateway", "published sensors/cellar/temp (retained) during the outage; waiting for PUBACK");

// Pull delivery: messages reach the dashboard's handlers only when it asks.
const deadline = Date.now() + 10_000;
while (readings < 3 && Date.now() < deadline) await dashboard.checkMsg();
await during;
say("gateway", "PUBACK received after reconnect");

await gateway.disconnect();
await dashboard.disconnect();
await broker.close();
if (readings < 3) {
  console.error(`demo failed: the dashboard saw ${readings} of 3 readings`);
  process.exit(1);
}
say("demo", `done: ${readings} readings delivered across a broker restart`);
