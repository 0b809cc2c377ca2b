/**
 * Design: the smoke suite, written once as a plain ES module against the public API, so the
 * same file runs unchanged in Node, Bun, Deno and (bundled) in a browser page. It only needs
 * `fetch` (to ask the harness to drop the broker's connections) and a server address. Each
 * step asserts, and reports `{ step, ok, ms, detail | error }` through `report` as it ends;
 * the first failing step stops the suite. Every client it opens it disconnects.
 */
import { MQTTClient as RobustClient } from "@umqtt/robust";
import { MQTTClient as SimpleClient } from "@umqtt/simple";

const STEP_TIMEOUT_MS = 10_000;
const decoder = new TextDecoder();

/**
 * Runs the suite. `server` and `options` go to both clients' constructors as a user would
 * pass them; `control` is the harness's HTTP base URL; `prefix` keeps topics of parallel runs
 * apart. Resolves to `{ ok, steps }`; never rejects.
 *
 * @param {{ server: string, options?: object, control: string, prefix: string,
 *   report?: (step: object) => void }} config
 */
export async function runSmoke({ server, options = {}, control, prefix, report = () => {} }) {
  const steps = [];
  const clients = [];
  const open = (Client, name, extra = {}) => {
    const client = new Client(`${prefix.replaceAll("/", "-")}-${name}`, server, {
      ...options,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const step = async (name, fn) => {
    const started = Date.now();
    let result;
    try {
      const detail = await withTimeout(fn(), STEP_TIMEOUT_MS, name);
      result = { step: name, ok: true, ms: Date.now() - started, detail };
    } catch (err) {
      result = { step: name, ok: false, ms: Date.now() - started, error: describe(err) };
    }
    steps.push(result);
    report(result);
    return result.ok;
  };

  const topicS = `${prefix}/to-simple`;
  const topicR = `${prefix}/to-robust`;
  let simple;
  let robust;
  let simpleInbox;
  let robustInbox;

  const ok =
    (await step("connect", async () => {
      simple = open(SimpleClient, "simple");
      robust = open(RobustClient, "robust", { reconnectDelay: 100, maxReconnectDelay: 500 });
      const present = [await simple.connect(true), await robust.connect(false)];
      check(present[0] === false, `simple: session present on a clean session`);
      check(simple.isConnected() && robust.isConnected(), "isConnected() after connect()");
      simpleInbox = inbox(simple);
      robustInbox = inbox(robust);
      return { sessionPresent: present };
    })) &&
    (await step("qos0", () => exchange(0))) &&
    (await step("qos1", () => exchange(1))) &&
    (await step("reconnect", async () => {
      // A second robust client publishes; both lose their connection under the broker.
      const publisher = open(RobustClient, "publisher", {
        reconnectDelay: 100,
        maxReconnectDelay: 500,
      });
      await publisher.connect(false);
      const dropped = await post(`${control}/drop`);
      check(dropped.closed >= 2, `the harness closed ${dropped.closed} connections, expected ≥ 2`);
      const payload = `across the drop ${Date.now()}`;
      await publisher.publish(topicR, payload, false, 1);
      const m = await robustInbox.next((m) => decoder.decode(m.payload) === payload);
      check(m.qos === 1, `robust received QoS ${m.qos}, expected 1`);
      check(robust.isConnected() && publisher.isConnected(), "both reconnected");
      return { dropped: dropped.closed };
    }));

  for (const client of clients) await client.disconnect().catch(() => {});
  return { ok, steps };

  /** One QoS both ways: robust → simple and simple → robust. */
  async function exchange(qos) {
    const granted = [await simple.subscribe(topicS, qos), await robust.subscribe(topicR, qos)];
    check(granted[0] === qos && granted[1] === qos, `granted ${granted}, expected ${qos}`);
    const payloads = [`to simple q${qos}`, `to robust q${qos}`];
    await robust.publish(topicS, payloads[0], false, qos);
    await simple.publish(topicR, payloads[1], false, qos);
    const got = [await simpleInbox.next(), await robustInbox.next()];
    for (const [i, m] of got.entries()) {
      check(decoder.decode(m.topic) === [topicS, topicR][i], `topic ${decoder.decode(m.topic)}`);
      check(decoder.decode(m.payload) === payloads[i], `payload ${decoder.decode(m.payload)}`);
      check(m.qos === qos, `received QoS ${m.qos}, expected ${qos}`);
      check(m.retain === false, "retain flag set on a live message");
    }
    return { granted };
  }
}

/** Reads a client's messages() in the background; next() takes the first that matches. */
function inbox(client) {
  const queue = [];
  let waiter = null;
  let ended = null;
  (async () => {
    try {
      for await (const m of client.messages()) {
        // Copy: the views point into receive buffers the client may reuse.
        queue.push({ ...m, topic: m.topic.slice(), payload: m.payload.slice() });
        waiter?.();
      }
      ended = new Error("messages() ended");
    } catch (err) {
      ended = err;
    }
    waiter?.();
  })();
  return {
    async next(match = () => true) {
      for (;;) {
        const i = queue.findIndex(match);
        if (i >= 0) return queue.splice(i, 1)[0];
        if (ended) throw ended;
        await new Promise((resolve) => {
          waiter = resolve;
        });
        waiter = null;
      }
    },
  };
}

async function post(url) {
  const response = await fetch(url, { method: "POST" });
  check(response.ok, `POST ${url}: HTTP ${response.status}`);
  return response.json();
}

function check(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const code = err.code === undefined ? "" : ` [${err.code}]`;
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : "";
  return `${err.name}${code}: ${err.message}${cause}`;
}
