/**
 * QoS 2 through connection faults against a real mosquitto (the QoS 2 counterpart of R1): a
 * robust publisher sends 2000 numbered QoS 2 messages through a fault proxy, a robust QoS 2
 * subscriber receives them through its own proxy, both with persistent sessions. Both proxies
 * cut connections at seeded moments: a chunk swallowed whole, a cut in the middle of a PUBLISH
 * or of a PUBREC (testkit's cutMidPacket), and drops just after a PUBREC or a PUBREL passed.
 * QoS 2 promises exactly once: the subscriber must see every number once, in order, with no
 * duplicate at all. The publisher's tap checks, after each reconnect, that every PUBLISH whose
 * PUBREC the client had not seen is re-sent with DUP = 1 and its original packet id, and that
 * every PUBREL still awaiting its PUBCOMP is re-sent (and its PUBLISH is not).
 *
 * mosquitto 2.0.11 discards QoS 2 publishes beyond 20 awaiting their PUBREL per client (see
 * simple's integration/qos2.test.ts): the publisher keeps maxInflight at 20.
 */

import type { TapRecord } from "@umqtt/testkit";
import {
  type FaultProxy,
  type Mosquitto,
  prng,
  startFaultProxy,
  startMosquitto,
  text,
  withTimeout,
} from "@umqtt/testkit";
import { describeMosquitto } from "@umqtt/testkit/vitest";
import { afterEach, expect, it } from "vitest";
import { clientPool, collect, FAST, Recorder } from "./helpers.js";

type DropKind = "swallow" | "mid-publish" | "after-pubrec" | "after-pubrel" | "mid-pubrec";

/**
 * Arms drops on a proxy: after a seeded number of trigger packets, the next drop of the
 * rotation fires on the next packet it names. One drop per connection.
 */
function chaos(
  proxy: FaultProxy,
  random: () => number,
  plan: { kinds: readonly DropKind[]; every: [number, number]; side: "publisher" | "subscriber" },
) {
  const counts: Record<string, number> = {};
  let on = true;
  let droppedConn = 0;
  let seen = 0;
  let turn = 0;
  const gap = () => plan.every[0] + Math.floor(random() * (plan.every[1] - plan.every[0]));
  let nextAt = gap();
  // The publisher's PUBLISHes and PUBRELs go up, the broker's PUBRECs down; the subscriber's
  // are the other way round.
  const pubDir = plan.side === "publisher" ? "up" : "down";
  const ackDir = plan.side === "publisher" ? "down" : "up";
  const wants = (kind: DropKind, rec: TapRecord): boolean => {
    const t = rec.packet.type;
    switch (kind) {
      case "swallow":
      case "mid-publish":
        return t === "publish" && rec.dir === pubDir;
      case "after-pubrec":
      case "mid-pubrec":
        return t === "pubrec" && rec.dir === ackDir;
      case "after-pubrel":
        return t === "pubrel" && rec.dir === pubDir;
    }
  };
  proxy.onPacket((rec) => {
    if (!on || rec.conn <= droppedConn) return;
    if (rec.packet.type === "publish" && rec.dir === pubDir) seen++;
    if (seen < nextAt) return;
    const kind = plan.kinds[turn % plan.kinds.length]!;
    if (!wants(kind, rec)) return;
    turn++;
    seen = 0;
    nextAt = gap();
    droppedConn = rec.conn;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (kind === "swallow")
      proxy.dropAll(); // the chunk in hand is lost
    else if (kind === "mid-publish" || kind === "mid-pubrec") proxy.cutMidPacket(rec.dir);
    else setTimeout(() => proxy.dropAll(), 0); // the packet went through; its answer may not
  });
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    stop() {
      on = false;
    },
  };
}

/**
 * Checks the publisher's re-sends connection by connection. At each CONNECT the client has
 * processed everything of the previous connection (proxy and client share one event loop), so
 * its unfinished publishes are exactly those not yet resolved. Each must come back first on
 * the next connection that got its CONNACK: as a PUBLISH with DUP = 1 and its original pid
 * while its PUBREC had not reached the client, else as a PUBREL. A PUBREL the tap saw proves
 * the PUBREC arrived (the PUBLISH must not come again); one written into a socket already cut
 * may never reach the tap, so an unseen PUBREL allows either form.
 */
function resendAudit(proxy: FaultProxy, resolved: Set<number>) {
  const violations: string[] = [];
  const firstSight = new Map<number, { pid: number; conn: number }>();
  const numberOf = new Map<number, number>(); // pid → message number, current use
  const recd = new Set<number>(); // numbers whose PUBREC passed the proxy
  const released = new Set<number>(); // numbers whose PUBREL the tap saw
  let expected = new Set<number>();
  let acked = false; // the current connection got its CONNACK
  let resentPublishes = 0;
  let resentPubrels = 0;
  const settle = () => {
    if (!acked) return; // cut before the CONNACK: the re-sends move to the next connection
    for (const n of expected) violations.push(`#${n}: neither PUBLISH nor PUBREL re-sent`);
    expected = new Set();
  };
  proxy.onPacket((rec) => {
    const p = rec.packet;
    if (rec.dir === "down") {
      if (p.type === "connack") acked = true;
      if (p.type === "pubrec") recd.add(numberOf.get(p.packetId)!);
      return;
    }
    if (p.type === "connect") {
      settle();
      acked = false;
      for (const [n] of firstSight) if (!resolved.has(n)) expected.add(n);
      return;
    }
    if (p.type === "publish") {
      const n = Number(text(p.payload));
      numberOf.set(p.packetId!, n);
      const earlier = firstSight.get(n);
      if (!earlier) {
        firstSight.set(n, { pid: p.packetId!, conn: rec.conn });
        return;
      }
      resentPublishes++;
      if (!p.dup) violations.push(`#${n} re-sent on conn ${rec.conn} without DUP`);
      if (p.packetId !== earlier.pid)
        violations.push(`#${n} re-sent with pid ${p.packetId}, was ${earlier.pid}`);
      if (released.has(n)) violations.push(`#${n} PUBLISH re-sent after its PUBREL`);
      if (!expected.delete(n))
        violations.push(`#${n} re-sent twice or unasked on conn ${rec.conn}`);
    } else if (p.type === "pubrel") {
      const n = numberOf.get(p.packetId)!;
      if (!recd.has(n)) violations.push(`#${n} PUBREL before any PUBREC`);
      if (expected.delete(n)) resentPubrels++;
      released.add(n);
    }
  });
  return {
    violations,
    finish: settle,
    stats: () => ({ resentPublishes, resentPubrels }),
  };
}

describeMosquitto("QoS 2 through connection faults against mosquitto", () => {
  let mosquitto: Mosquitto | undefined;
  const proxies: FaultProxy[] = [];
  const own = clientPool();
  afterEach(async () => {
    await Promise.allSettled(proxies.splice(0).map((p) => p.close()));
    await mosquitto?.stop();
    mosquitto = undefined;
  });

  it("2000 numbered QoS 2 messages, ≥ 20 drops on the publisher's link and more on the subscriber's: each exactly once, in order", async () => {
    const TOTAL = 2000;
    const SEED = Number(process.env.UMQTT_QOS2_SEED || 0x2a2a_0002);
    const random = prng(SEED);
    const started = performance.now();
    mosquitto = await startMosquitto();
    const target = { host: mosquitto.host, port: mosquitto.port };
    const pubProxy = await startFaultProxy({ target });
    const subProxy = await startFaultProxy({ target });
    proxies.push(pubProxy, subProxy);

    const sub = own(new Recorder("q2f-sub", subProxy.host, { ...FAST, port: subProxy.port }));
    expect(await sub.connect(false)).toBe(false);
    expect(await sub.subscribe("q2f/n", 2)).toBe(2);
    const got = collect(sub);
    const pub = own(
      new Recorder("q2f-pub", pubProxy.host, { ...FAST, port: pubProxy.port, maxInflight: 20 }),
    );
    expect(await pub.connect(false)).toBe(false);

    const resolved = new Set<number>();
    const audit = resendAudit(pubProxy, resolved);
    const pubChaos = chaos(pubProxy, random, {
      side: "publisher",
      kinds: ["swallow", "after-pubrec", "mid-publish", "after-pubrel", "mid-pubrec"],
      every: [30, 90],
    });
    const subChaos = chaos(subProxy, random, {
      side: "subscriber",
      kinds: ["after-pubrec", "mid-publish", "after-pubrel", "swallow", "mid-pubrec"],
      every: [60, 160],
    });

    // mosquitto's re-deliveries to the subscriber: DUP = 1 and the original pid [MQTT-4.4.0-1].
    const brokerResends: string[] = [];
    const delivered = new Map<number, number>(); // number → pid
    let redelivered = 0;
    subProxy.onPacket((rec) => {
      if (rec.dir !== "down" || rec.packet.type !== "publish") return;
      const n = Number(text(rec.packet.payload));
      const pid = delivered.get(n);
      if (pid === undefined) {
        delivered.set(n, rec.packet.packetId!);
        return;
      }
      redelivered++;
      if (!rec.packet.dup) brokerResends.push(`#${n} re-delivered without DUP`);
      if (rec.packet.packetId !== pid)
        brokerResends.push(`#${n} re-delivered with pid ${rec.packet.packetId}, was ${pid}`);
    });

    const publishes: Promise<void>[] = [];
    for (let n = 0; n < TOTAL; n++) {
      publishes.push(pub.publish("q2f/n", String(n), false, 2).then(() => void resolved.add(n)));
    }
    await withTimeout(Promise.all(publishes), 45_000, "all 2000 PUBCOMPs");
    pubChaos.stop();
    await got.until(TOTAL, 40_000);
    subChaos.stop();
    audit.finish();
    const elapsed = performance.now() - started;
    // A late duplicate would arrive after the last new one: a sentinel flushes the pipe.
    await pub.publish("q2f/n", String(TOTAL), false, 2);
    await got.until(TOTAL + 1, 40_000);

    expect(pubChaos.total()).toBeGreaterThanOrEqual(20);
    expect(audit.violations).toEqual([]);
    expect(brokerResends).toEqual([]);
    // Exactly once, in order: QoS 2 allows no duplicate.
    expect(got.received).toEqual(Array.from({ length: TOTAL + 1 }, (_, i) => i));
    // mosquitto kept both sessions across every reconnect.
    expect(pub.sessions.slice(1).every(Boolean)).toBe(true);
    expect(sub.sessions.slice(1).every(Boolean)).toBe(true);
    const s = audit.stats();
    expect(s.resentPubrels).toBeGreaterThan(0);
    expect(s.resentPublishes).toBeGreaterThan(0);
    console.info(
      `QoS 2 faults: ${TOTAL} msgs, publisher drops ${pubChaos.total()} ${JSON.stringify(pubChaos.counts)} ` +
        `(${pub.sessions.length - 1} reconnects), subscriber drops ${subChaos.total()} ${JSON.stringify(subChaos.counts)} ` +
        `(${sub.sessions.length - 1} reconnects); re-sent at the tap: ${s.resentPublishes} PUBLISH, ${s.resentPubrels} PUBREL; ` +
        `re-delivered by mosquitto: ${redelivered}; ` +
        `0 duplicates delivered, ${Math.round(elapsed)} ms (seed ${SEED})`,
    );
  }, 60_000);
});
