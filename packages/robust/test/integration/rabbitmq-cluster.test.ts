/**
 * Failover on a three-node RabbitMQ cluster (quorum subscription queues, see testkit's
 * README): a robust publisher streams 2000 numbered QoS 1 messages while the node it is
 * connected to is SIGKILLed, and later the node it moved to (which also holds the subscriber)
 * is stopped and started again. Both clients list all three nodes in `servers`.
 *
 * What the client controls is asserted: every publish resolves (on its PUBACK), each client
 * continues on another node, the subscriber finds its session there, and first occurrences
 * arrive in publish order. What the broker loses of what it acknowledged is counted and
 * printed; with quorum queues it was 0 in each of 5 runs (see the README), and the test
 * holds it to that.
 */
import { type RabbitMQ, startRabbitMQ } from "@umqtt/testkit";
import { describeRabbitMQ } from "@umqtt/testkit/vitest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { clientPool, collect, FAST, firstOccurrences, Recorder } from "./helpers.js";

const connectedTo = (rec: { err: unknown }) =>
  typeof rec.err === "string" && rec.err.startsWith("connected to ");

describeRabbitMQ("a RabbitMQ cluster loses a node during a QoS 1 stream", () => {
  let rabbit: RabbitMQ;
  const own = clientPool();

  beforeAll(async () => {
    rabbit = await startRabbitMQ({ nodes: 3 });
    const t = rabbit.timings;
    console.info(
      `rabbitmq cluster: ready in ${Math.round(t.total)} ms (nodes ${t.nodes.map(Math.round).join(", ")} ms)`,
    );
  }, 180_000);
  afterAll(() => rabbit?.close(), 60_000);

  it("the clients continue on other nodes and the subscriber gets every acknowledged message", async () => {
    const [n1, n2, n3] = rabbit.nodes as [
      (typeof rabbit.nodes)[0],
      (typeof rabbit.nodes)[0],
      (typeof rabbit.nodes)[0],
    ];
    const options = { ...FAST, connectTimeout: 5000 };
    // The subscriber starts on n2, the publisher on n1.
    const sub = own(
      new Recorder("fo-sub", "unused", {
        ...options,
        servers: [n2.address, n3.address, n1.address],
      }),
    );
    expect(await sub.connect(false)).toBe(false);
    expect(await sub.subscribe("fo/n", 1)).toBe(1);
    const got = collect(sub);
    const pub = own(
      new Recorder("fo-pub", "unused", {
        ...options,
        servers: [n1.address, n2.address, n3.address],
      }),
    );
    await pub.connect(false);
    expect(pub.logs.filter(connectedTo).map((r) => r.err)).toEqual([`connected to ${n1.address}`]);

    const CHUNK = 100;
    const TOTAL = 2000;
    const started = performance.now();
    const events: string[] = [];
    const at = () => Math.round(performance.now() - started);
    let killThenStart: Promise<void> | undefined;
    let stopThenStart: Promise<void> | undefined;
    let killedAt = 0;
    let stoppedAt = 0;
    for (let c = 0; c < TOTAL / CHUNK; c++) {
      if (c === 4) {
        // SIGKILL the publisher's node while this chunk is in flight; restart it afterwards
        // (two of three nodes must be up for RabbitMQ's MQTT client id registry).
        killedAt = performance.now();
        killThenStart = rabbit.kill(n1).then(async () => {
          events.push(`${at()} ms: n1 killed`);
          await rabbit.start(n1);
          events.push(`${at()} ms: n1 started again`);
        });
      }
      if (c === 8) await killThenStart;
      if (c === 10) {
        stoppedAt = performance.now();
        stopThenStart = rabbit.stop(n2).then(async () => {
          events.push(`${at()} ms: n2 stopped`);
          await rabbit.start(n2);
          events.push(`${at()} ms: n2 started again`);
        });
      }
      if (c === 15) await stopThenStart;
      const chunk: Promise<void>[] = [];
      for (let i = 0; i < CHUNK; i++) {
        chunk.push(pub.publish("fo/n", String(c * CHUNK + i), false, 1));
      }
      // Every publish resolves on its PUBACK, whatever the cluster went through.
      await Promise.all(chunk);
    }
    const published = performance.now();

    const pubHops = pub.logs.filter(connectedTo);
    const subHops = sub.logs.filter(connectedTo);
    // The publisher left n1 when it was killed, and n2 (where it went next) when that stopped.
    expect(pubHops.map((r) => r.err)).toEqual([
      `connected to ${n1.address}`,
      `connected to ${n2.address}`,
      `connected to ${n3.address}`,
    ]);
    // The subscriber left n2 when it stopped, and found its session on n3.
    expect(subHops.map((r) => r.err)).toEqual([
      `connected to ${n2.address}`,
      `connected to ${n3.address}`,
    ]);
    expect(sub.sessions).toEqual([false, true]);

    await got.until(TOTAL, 30_000).catch(() => {});
    const lost = Array.from({ length: TOTAL }, (_, k) => k).filter((k) => !got.distinct.has(k));
    const firsts = firstOccurrences(got.received);
    console.info(
      [
        `rabbitmq failover: ${TOTAL} QoS 1 msgs acknowledged in ${Math.round(published - started)} ms, ` +
          `${lost.length} acknowledged then lost${lost.length ? ` (${lost.slice(0, 10).join(", ")})` : ""}, ` +
          `${got.received.length - got.distinct.size} duplicates`,
        `  publisher on another node ${Math.round((pubHops[1]?.at ?? 0) - killedAt)} ms after the SIGKILL, ` +
          `${Math.round((pubHops[2]?.at ?? 0) - stoppedAt)} ms after the stop began; ` +
          `subscriber ${Math.round((subHops[1]?.at ?? 0) - stoppedAt)} ms after it`,
        ...events.map((e) => `  ${e}`),
      ].join("\n"),
    );
    // Order: what arrived, arrived in publish order (duplicates aside).
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    // Quorum queues committed every acknowledged message to a majority: nothing lost.
    expect(lost).toEqual([]);
  }, 300_000);
});
