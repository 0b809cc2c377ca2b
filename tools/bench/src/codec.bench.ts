/**
 * @umqtt/codec against mqtt-packet, in the same process, on the same inputs.
 *
 * Each case is a pair of functions doing one operation each (ours, mqtt-packet). Both are
 * warmed up, then measured in alternating order for several rounds of a fixed duration; the
 * table shows the median ops/s of each side, their spread over the rounds, and the ratio.
 *
 *   pnpm bench:codec              # table
 *   pnpm bench:codec --json       # also a JSON document on stdout (after the table)
 *
 * The ratio is the median of the per-round ratios (both sides of a round run back to back,
 * under the same background load).
 *
 * Env: UMQTT_BENCH_ROUNDS (default 9), UMQTT_BENCH_SAMPLE_MS (default 100 ms per round and side).
 */
import type { QoS } from "@umqtt/codec";
import mqttPacket from "mqtt-packet";
import { JSON_OUT } from "./args.ts";
import { assertUntransformed, bundled, ensureBuilt } from "./built.ts";
import { printJson } from "./report.ts";
import {
  machine,
  pairedRatio,
  ratio,
  rounds,
  type Summary,
  si,
  spread,
  summarize,
  table,
} from "./stats.ts";

// The codec as built (dist, bundled), not the sources under tsx: see built.ts.
ensureBuilt((s) => console.error(s));
const codec = (await import(await bundled("codec"))) as typeof import("@umqtt/codec");
const { decode, Decoder, encode, encodePublish, encodePublishV5 } = codec;
assertUntransformed(codec.encode, "@umqtt/codec");

const ROUNDS = rounds(9);
const SAMPLE_MS = Number(process.env.UMQTT_BENCH_SAMPLE_MS ?? 100);

/** Keeps results alive so the JIT cannot drop the work. */
let blackhole = 0;

/** One operation; returns a number derived from its result. `unit` ops are done per call. */
type Op = () => number;

interface Case {
  name: string;
  kind: "encode" | "decode";
  /** An MQTT 5 case: reported apart, outside the 3.1.1 geometric means and their targets. */
  v5?: boolean;
  /** Operations per call of `ours`/`theirs` (packets per pass for the stream case). */
  unit: number;
  ours: Op;
  theirs: Op;
}

const TOPIC = "sensors/building-7/floor-3/room-12/temperature";

function payload(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** mqtt-packet parser with a 'packet' listener that counts; `parse` returns the count delta. */
function mqttPacketParser(protocolVersion: 4 | 5 = 4): { parse(chunk: Buffer): number } {
  const p = mqttPacket.parser({ protocolVersion });
  let n = 0;
  p.on("packet", () => {
    n++;
  });
  p.on("error", (err: Error) => {
    throw err;
  });
  return {
    parse(chunk) {
      const before = n;
      p.parse(chunk);
      return n - before;
    },
  };
}

function publishCases(size: number, qos: QoS): Case[] {
  const body = payload(size);
  const packetId = qos ? 4242 : undefined;
  const theirsPacket = {
    cmd: "publish" as const,
    topic: TOPIC,
    payload: body,
    qos,
    retain: false,
    dup: false,
    ...(qos ? { messageId: packetId } : {}),
  };
  const wire = Buffer.from(encodePublish(TOPIC, body, qos, false, false, packetId));
  // Differential sanity check: both sides must produce the same bytes.
  if (!wire.equals(mqttPacket.generate(theirsPacket)))
    throw new Error(`encode mismatch for PUBLISH ${size} B QoS ${qos}`);
  const parser = mqttPacketParser();
  const label = `PUBLISH ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} QoS ${qos}`;
  // mqtt-packet hands out the topic as a string; ours as bytes. This row adds the UTF-8 decode.
  const utf8 = new TextDecoder();
  const withString: Case[] =
    size === 16 && qos === 0
      ? [
          {
            name: `decode ${label} + topic to string`,
            kind: "decode",
            unit: 1,
            ours: () => utf8.decode((decode(wire) as { topic: Uint8Array }).topic).length,
            theirs: () => parser.parse(wire),
          },
        ]
      : [];
  return [
    {
      name: `encode ${label}`,
      kind: "encode",
      unit: 1,
      ours: () => encodePublish(TOPIC, body, qos, false, false, packetId).length,
      theirs: () => mqttPacket.generate(theirsPacket).length,
    },
    {
      name: `decode ${label}`,
      kind: "decode",
      unit: 1,
      ours: () => (decode(wire) as { payload: Uint8Array }).payload.length,
      theirs: () => parser.parse(wire),
    },
    ...withString,
  ];
}

function controlCases(): Case[] {
  const pubackOurs = { type: "puback" as const, packetId: 4242 };
  const pubackTheirs = { cmd: "puback" as const, messageId: 4242 };
  const subOurs = {
    type: "subscribe" as const,
    packetId: 17,
    subscriptions: [
      { topicFilter: "sensors/+/floor-3/#", qos: 1 as const },
      { topicFilter: "cmd/device-42", qos: 0 as const },
    ],
  };
  const subTheirs = {
    cmd: "subscribe" as const,
    messageId: 17,
    subscriptions: [
      { topic: "sensors/+/floor-3/#", qos: 1 as const },
      { topic: "cmd/device-42", qos: 0 as const },
    ],
  };
  const puback = Buffer.from(encode(pubackOurs));
  const sub = Buffer.from(encode(subOurs));
  if (!puback.equals(mqttPacket.generate(pubackTheirs))) throw new Error("PUBACK mismatch");
  if (!sub.equals(mqttPacket.generate(subTheirs))) throw new Error("SUBSCRIBE mismatch");
  const parser = mqttPacketParser();
  return [
    {
      name: "encode PUBACK",
      kind: "encode",
      unit: 1,
      ours: () => encode(pubackOurs).length,
      theirs: () => mqttPacket.generate(pubackTheirs).length,
    },
    {
      name: "decode PUBACK",
      kind: "decode",
      unit: 1,
      ours: () => (decode(puback) as { packetId: number }).packetId,
      theirs: () => parser.parse(puback),
    },
    {
      name: "encode SUBSCRIBE (2 filters)",
      kind: "encode",
      unit: 1,
      ours: () => encode(subOurs).length,
      theirs: () => mqttPacket.generate(subTheirs).length,
    },
    {
      name: "decode SUBSCRIBE (2 filters)",
      kind: "decode",
      unit: 1,
      ours: () => (decode(sub) as { packetId: number }).packetId,
      theirs: () => parser.parse(sub),
    },
  ];
}

/**
 * MQTT 5: PUBLISH without properties (the client's common case), with a topic alias and a user
 * property, and a PUBACK with a reason code, both ways.
 */
function v5Cases(): Case[] {
  const body = payload(16);
  const props = { topicAlias: 7, userProperties: { trace: "a1b2c3" } };
  const plain = {
    cmd: "publish" as const,
    topic: TOPIC,
    payload: body,
    qos: 1 as const,
    retain: false,
    dup: false,
    messageId: 4242,
  };
  const withProps = { ...plain, properties: props };
  const opts = { protocolVersion: 5 };
  const wirePlain = Buffer.from(encodePublishV5(TOPIC, body, 1, false, false, 4242));
  const wireProps = Buffer.from(encodePublishV5(TOPIC, body, 1, false, false, 4242, props));
  const pubackOurs = { type: "puback" as const, packetId: 4242, reasonCode: 0x10 };
  const pubackTheirs = {
    cmd: "puback" as const,
    messageId: 4242,
    reasonCode: 0x10,
    properties: { reasonString: "none" },
  };
  const pubackOursProps = { ...pubackOurs, properties: { reasonString: "none" } };
  const puback = Buffer.from(encode(pubackOursProps, 5));
  // Differential sanity check (mqtt-packet writes the same bytes for these three)
  if (!wirePlain.equals(mqttPacket.generate(plain, opts))) throw new Error("v5 PUBLISH mismatch");
  if (!wireProps.equals(mqttPacket.generate(withProps, opts)))
    throw new Error("v5 PUBLISH+props mismatch");
  if (!puback.equals(mqttPacket.generate(pubackTheirs, opts)))
    throw new Error("v5 PUBACK mismatch");
  const parser = mqttPacketParser(5);
  return [
    {
      name: "MQTT 5 encode PUBLISH 16 B QoS 1",
      kind: "encode",
      v5: true,
      unit: 1,
      ours: () => encodePublishV5(TOPIC, body, 1, false, false, 4242).length,
      theirs: () => mqttPacket.generate(plain, opts).length,
    },
    {
      name: "MQTT 5 decode PUBLISH 16 B QoS 1",
      kind: "decode",
      v5: true,
      unit: 1,
      ours: () => (decode(wirePlain, 5) as { payload: Uint8Array }).payload.length,
      theirs: () => parser.parse(wirePlain),
    },
    {
      name: "MQTT 5 encode PUBLISH 16 B QoS 1 + topic alias, user property",
      kind: "encode",
      v5: true,
      unit: 1,
      ours: () => encodePublishV5(TOPIC, body, 1, false, false, 4242, props).length,
      theirs: () => mqttPacket.generate(withProps, opts).length,
    },
    {
      name: "MQTT 5 decode PUBLISH 16 B QoS 1 + topic alias, user property",
      kind: "decode",
      v5: true,
      unit: 1,
      ours: () => (decode(wireProps, 5) as { payload: Uint8Array }).payload.length,
      theirs: () => parser.parse(wireProps),
    },
    {
      name: "MQTT 5 encode PUBACK + reason string",
      kind: "encode",
      v5: true,
      unit: 1,
      ours: () => encode(pubackOursProps, 5).length,
      theirs: () => mqttPacket.generate(pubackTheirs, opts).length,
    },
    {
      name: "MQTT 5 decode PUBACK + reason string",
      kind: "decode",
      v5: true,
      unit: 1,
      ours: () => (decode(puback, 5) as { packetId: number }).packetId,
      theirs: () => parser.parse(puback),
    },
  ];
}

/**
 * A client's inbound stream: per 100 packets 70 PUBLISH QoS 0 (16 B), 20 PUBLISH QoS 1 (1 KiB),
 * 1 PUBLISH QoS 1 (64 KiB), 5 PUBACK, 2 SUBACK, 2 PINGRESP; 1000 packets cut into 1500-byte
 * chunks (an Ethernet MTU), so packets straddle chunk boundaries.
 */
function streamCase(): Case {
  const small = payload(16);
  const kib = payload(1024);
  const big = payload(64 * 1024);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const k = i % 100;
    const id = (i % 65535) + 1;
    if (k < 70) frames.push(encodePublish(TOPIC, small, 0, false, false));
    else if (k < 90) frames.push(encodePublish(TOPIC, kib, 1, false, false, id));
    else if (k < 91) frames.push(encodePublish(TOPIC, big, 1, false, false, id));
    else if (k < 96) frames.push(encode({ type: "puback", packetId: id }));
    else if (k < 98) frames.push(encode({ type: "suback", packetId: id, returnCodes: [1, 0] }));
    else frames.push(encode({ type: "pingresp" }));
  }
  const all = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 1500) chunks.push(all.subarray(at, at + 1500));
  const decoder = new Decoder();
  const parser = mqttPacketParser();
  const count = (f: (c: Buffer) => number) => {
    let n = 0;
    for (const c of chunks) n += f(c);
    if (n !== frames.length) throw new Error(`stream: decoded ${n} of ${frames.length} packets`);
    return n;
  };
  return {
    name: `decode stream (${frames.length} mixed packets, ${(all.length / 1024).toFixed(0)} KiB, 1500 B chunks) [packets/s]`,
    kind: "decode",
    unit: frames.length,
    ours: () => count((c) => decoder.push(c).length),
    theirs: () => count((c) => parser.parse(c)),
  };
}

/** Calls that fit in about `ms` milliseconds. */
function calibrate(fn: Op, ms: number): number {
  let iters = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < iters; i++) blackhole += fn();
    const dt = performance.now() - t;
    if (dt >= 20) return Math.max(1, Math.round((iters * ms) / dt));
    iters *= dt < 2 ? 10 : 2;
  }
}

/** ops/s of one timed batch of `iters` calls. */
function sample(fn: Op, iters: number, unit: number): number {
  const t = performance.now();
  for (let i = 0; i < iters; i++) blackhole += fn();
  const dt = performance.now() - t;
  return (iters * unit * 1000) / dt;
}

interface Result {
  name: string;
  kind: "encode" | "decode";
  v5?: boolean;
  ours: Summary;
  theirs: Summary;
  ratio: number;
}

function run(c: Case): Result {
  // warm-up (and JIT) of both sides, then calibration to SAMPLE_MS per batch
  calibrate(c.ours, SAMPLE_MS);
  calibrate(c.theirs, SAMPLE_MS);
  const itOurs = calibrate(c.ours, SAMPLE_MS);
  const itTheirs = calibrate(c.theirs, SAMPLE_MS);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate who goes first, so neither always runs right after the other's garbage
    if (r % 2 === 0) {
      ours.push(sample(c.ours, itOurs, c.unit));
      theirs.push(sample(c.theirs, itTheirs, c.unit));
    } else {
      theirs.push(sample(c.theirs, itTheirs, c.unit));
      ours.push(sample(c.ours, itOurs, c.unit));
    }
  }
  const so = summarize(ours);
  const st = summarize(theirs);
  return {
    name: c.name,
    kind: c.kind,
    v5: c.v5,
    ours: so,
    theirs: st,
    ratio: pairedRatio(ours, theirs),
  };
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

async function main(): Promise<void> {
  const cases: Case[] = [
    ...publishCases(16, 0),
    ...publishCases(16, 1),
    ...publishCases(1024, 0),
    ...publishCases(1024, 1),
    ...publishCases(64 * 1024, 0),
    ...publishCases(64 * 1024, 1),
    ...controlCases(),
    streamCase(),
    ...v5Cases(),
  ];
  const m = machine();
  console.error(
    `codec bench: @umqtt/codec vs mqtt-packet 9.0.2 — node ${m.node}, ${m.cpus} CPUs (${m.model}); ${ROUNDS} rounds × ${SAMPLE_MS} ms per side, medians`,
  );
  const results: Result[] = [];
  for (const c of cases) {
    const r = run(c);
    results.push(r);
    console.error(`  ${r.name}: ${ratio(r.ratio, 1)}`);
  }
  const mean = (kind: string, v5: boolean) =>
    geomean(results.filter((r) => r.kind === kind && !r.v5 === !v5).map((r) => r.ratio));
  const enc = mean("encode", false);
  const dec = mean("decode", false);
  const rows = results.map((r) => [
    r.name,
    `${si(r.ours.median)} ${spread(r.ours)}`,
    `${si(r.theirs.median)} ${spread(r.theirs)}`,
    ratio(r.ratio, 1),
  ]);
  rows.push(["geometric mean, encode (target ≥ 3×)", "", "", ratio(enc, 1)]);
  rows.push(["geometric mean, decode (target ≥ 5×)", "", "", ratio(dec, 1)]);
  rows.push(["geometric mean, MQTT 5 encode", "", "", ratio(mean("encode", true), 1)]);
  rows.push(["geometric mean, MQTT 5 decode", "", "", ratio(mean("decode", true), 1)]);
  console.log(table(["case", "ours ops/s", "mqtt-packet ops/s", "ours / mqtt-packet"], rows));
  if (blackhole === 0.5) console.log(""); // never true; keeps `blackhole` observable
  if (JSON_OUT) {
    printJson("codec", m, ROUNDS, {
      sampleMs: SAMPLE_MS,
      geomean: { encode: enc, decode: dec },
      geomean5: { encode: mean("encode", true), decode: mean("decode", true) },
      results,
    });
  }
}

await main();
