/**
 * The web demo's page script: @umqtt/robust over the broker's ws:// URL (from /config.json).
 * Subscriptions and publishes come from the forms; every received message is appended to the
 * list, read with messages() as any application would.
 */
import { MQTTClient } from "@umqtt/robust";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const text = new TextDecoder();

function status(message: string, kind: "" | "connected" | "error" = ""): void {
  const el = $("status");
  el.textContent = message;
  el.className = kind;
}

function item(list: string, ...parts: (string | Node)[]): HTMLLIElement {
  const li = document.createElement("li");
  li.append(...parts);
  $(list).append(li);
  return li;
}

function tag(label: string, kind = ""): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = `tag ${kind}`;
  span.textContent = label;
  return span;
}

const { broker } = (await (await fetch("/config.json")).json()) as { broker: string };
const client = new MQTTClient(`web-demo-${Math.random().toString(36).slice(2, 8)}`, broker, {
  keepalive: 30,
  reconnectDelay: 500,
});

$("subscribe").addEventListener("submit", async (event) => {
  event.preventDefault();
  const filter = $<HTMLInputElement>("filter").value;
  const qos = Number($<HTMLSelectElement>("sub-qos").value) as 0 | 1;
  try {
    const granted = await client.subscribe(filter, qos);
    item("subscriptions", `${filter} `, tag(`granted QoS ${granted}`));
  } catch (err) {
    status(`subscribe failed: ${(err as Error).message}`, "error");
  }
});

$("publish").addEventListener("submit", async (event) => {
  event.preventDefault();
  const topic = $<HTMLInputElement>("topic").value;
  const message = $<HTMLInputElement>("message").value;
  const qos = Number($<HTMLSelectElement>("pub-qos").value) as 0 | 1;
  const retain = $<HTMLInputElement>("retain").checked;
  try {
    await client.publish(topic, message, retain, qos);
    status(`published to ${topic} (QoS ${qos}${retain ? ", retained" : ""})`, "connected");
  } catch (err) {
    status(`publish failed: ${(err as Error).message}`, "error");
  }
});

try {
  status(`connecting to ${broker}…`);
  await client.connect();
  status(`connected to ${broker}`, "connected");
  document.body.dataset.connected = "true";
  for await (const m of client.messages()) {
    const li = item(
      "messages",
      tag(`QoS ${m.qos}`),
      ...(m.retain ? [tag("retained", "retain")] : []),
    );
    li.append(`${text.decode(m.topic)}: ${text.decode(m.payload)}`);
    li.dataset.topic = text.decode(m.topic);
  }
} catch (err) {
  status(`connection failed: ${(err as Error).message}`, "error");
}
