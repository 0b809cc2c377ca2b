/**
 * MQTT over WebSocket: @umqtt/simple (with the `ws` package's WebSocket, as on Node 20) against
 * MQTT.js 5 (which uses `ws` itself) on the same broker in the same run: aedes served over
 * `ws` in another process (ws-broker.ts). Publish: QoS 0 each awaited, and QoS 1 with 64 in
 * flight. Receive: QoS 0 and QoS 1 floods from a raw TCP publisher in a third process
 * (flood.ts) through aedes to the subscriber under test. Each number is the median of several
 * rounds after two calibration rounds; the libraries alternate who goes first; ratios are
 * ours / MQTT.js per round, median.
 *
 *   pnpm bench:ws [--json] [--only=qos0,qos1w64,recv0,recv1] [--lib=ours|mqttjs]
 *
 * Env: UMQTT_BENCH_SCALE, UMQTT_BENCH_ROUNDS (default 5), UMQTT_BENCH_PAYLOAD (default 16).
 */
import { gc } from "@umqtt/testkit";
import { WebSocket } from "ws";
import { flag, JSON_OUT } from "./args.ts";
import { assertUntransformed, bundled, ensureBuilt } from "./built.ts";
import { calibrate } from "./calibrate.ts";
import { Child } from "./child.ts";
import { countIterated, countMessages } from "./count-messages.ts";
import { floodRound, startFlood } from "./flood-round.ts";
import { connectMqttjs } from "./mqttjs.ts";
import { printFooter, printJson } from "./report.ts";
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

const ROUNDS = rounds(5);
const PAYLOAD = Buffer.alloc(Number(process.env.UMQTT_BENCH_PAYLOAD ?? 16), 0x61);
const WARMUP = { qos0: 10_000, qos1w64: 5_000, recv0: 10_000, recv1: 5_000 };

const ONLY = flag("only");
const LIBS = (["ours", "mqttjs"] as const).filter((l) => !flag("lib") || flag("lib")?.includes(l));
type LibName = (typeof LIBS)[number];
const log = (s: string) => process.stderr.write(`${s}\n`);

let MQTTClient: typeof import("@umqtt/simple")["MQTTClient"];
let ids = 0;
const clientId = (lib: LibName) => `bench-ws-${lib}-${process.pid}-${++ids}`;
let wsUrl = "";

interface Runner {
  round(n: number): Promise<number>;
  close(): Promise<void>;
}

interface Result {
  key: string;
  metric: string;
  ours?: Summary;
  theirs?: Summary;
  ratio: number;
  counts: Partial<Record<LibName, number>>;
}
const results: Result[] = [];

/** Two calibration rounds, then ROUNDS measured rounds per library, alternating who goes first. */
async function pair(
  key: string,
  metric: string,
  first: number,
  setup: (lib: LibName) => Promise<Runner>,
): Promise<void> {
  if (ONLY && !ONLY.includes(key)) return;
  const runners = new Map<LibName, Runner>();
  const sizes = new Map<LibName, number>();
  for (const lib of LIBS) {
    const runner = await setup(lib);
    runners.set(lib, runner);
    sizes.set(lib, await calibrate((k) => runner.round(k), first));
  }
  const samples = new Map<LibName, number[]>(LIBS.map((l) => [l, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const lib of r % 2 === 0 ? LIBS : [...LIBS].reverse()) {
      gc();
      samples.get(lib)!.push(await runners.get(lib)!.round(sizes.get(lib)!));
    }
  }
  for (const runner of runners.values()) await runner.close();
  const ours = samples.get("ours")?.length ? summarize(samples.get("ours")!) : undefined;
  const theirs = samples.get("mqttjs")?.length ? summarize(samples.get("mqttjs")!) : undefined;
  const paired = pairedRatio(samples.get("ours") ?? [], samples.get("mqttjs") ?? []);
  results.push({ key, metric, ours, theirs, ratio: paired, counts: Object.fromEntries(sizes) });
  log(
    `  ${metric}: ours ${ours ? `${si(ours.median)} ${spread(ours)}` : "-"}, MQTT.js ${theirs ? `${si(theirs.median)} ${spread(theirs)}` : "-"}, ratio ${ratio(paired, 1)}`,
  );
}

interface Client {
  publish(topic: string, qos: 0 | 1): Promise<unknown>;
  /** Resolves after `n` messages on `topic` (subscribed at `qos`). */
  receiver(topic: string, qos: 0 | 1): Promise<(n: number) => Promise<void>>;
  close(): Promise<void>;
}

async function connect(lib: LibName): Promise<Client> {
  if (lib === "ours") {
    const c = new MQTTClient(clientId(lib), wsUrl, {
      webSocket: WebSocket,
      keepalive: 60,
      maxInflight: 64,
    });
    await c.connect();
    return {
      publish: (topic, qos) => c.publish(topic, PAYLOAD, false, qos),
      async receiver(topic, qos) {
        await c.subscribe(topic, qos);
        return countIterated(c);
      },
      close: () => c.disconnect(),
    };
  }
  const c = await connectMqttjs(wsUrl, clientId(lib), 4);
  const consume = countMessages(c);
  return {
    publish: (topic, qos) => c.publishAsync(topic, PAYLOAD, { qos }),
    async receiver(topic, qos) {
      await c.subscribeAsync(topic, { qos });
      return consume;
    },
    close: () => c.endAsync(),
  };
}

async function publishMetrics(): Promise<void> {
  const topic = `bench/ws/pub/${process.pid}`;
  const setup = (qos: 0 | 1, window: number) => async (lib: LibName) => {
    const c = await connect(lib);
    return {
      async round(n: number) {
        const t0 = performance.now();
        let next = 0;
        const worker = async () => {
          while (next < n) {
            next++;
            await c.publish(topic, qos);
          }
        };
        await Promise.all(Array.from({ length: window }, worker));
        // QoS 0: the broker has read everything once it acknowledges a QoS 1 publish behind it
        if (qos === 0) await c.publish(topic, 1);
        return (n * 1000) / (performance.now() - t0);
      },
      close: () => c.close(),
    };
  };
  await pair("qos0", "QoS 0 publish, each awaited", WARMUP.qos0, setup(0, 1));
  await pair("qos1w64", "QoS 1 publish, 64 in flight", WARMUP.qos1w64, setup(1, 64));
}

async function receiveMetrics(tcpPort: number): Promise<void> {
  if (ONLY && !ONLY.includes("recv0") && !ONLY.includes("recv1")) return;
  const flood = await startFlood(tcpPort);
  for (const qos of [0, 1] as const) {
    const key = `recv${qos}` as const;
    await pair(key, `receive QoS ${qos} (flood via aedes)`, WARMUP[key], async (lib) => {
      const topic = `bench/ws/rx/${lib}/${qos}/${process.pid}`;
      const c = await connect(lib);
      const consume = await c.receiver(topic, qos);
      return {
        round: floodRound(flood, { topic, size: PAYLOAD.length, qos }, consume, lib),
        close: () => c.close(),
      };
    });
  }
  await flood.stop();
}

async function main(): Promise<void> {
  const started = performance.now();
  const m = machine();
  log(
    `WebSocket bench: @umqtt/simple vs MQTT.js 5.16.0 over ws — node ${m.node}, ${m.cpus} CPUs (${m.model}); ${ROUNDS} rounds, payload ${PAYLOAD.length} B`,
  );
  ensureBuilt(log);
  ({ MQTTClient } = (await import(await bundled("simple"))) as typeof import("@umqtt/simple"));
  assertUntransformed(MQTTClient.prototype.connect, "@umqtt/simple");
  const { child: broker, ready } = await Child.start("ws-broker.ts");
  wsUrl = `ws://127.0.0.1:${ready.wsPort}/mqtt`;
  log(`aedes on ${wsUrl} and tcp ${ready.tcpPort} (pid ${broker.proc.pid})`);
  await publishMetrics();
  await receiveMetrics(ready.tcpPort as number);
  await broker.stop();

  const rows = results.map((r) => [
    r.metric,
    r.ours ? `${si(r.ours.median)} ${spread(r.ours)}` : "-",
    r.theirs ? `${si(r.theirs.median)} ${spread(r.theirs)}` : "-",
    r.ours && r.theirs ? ratio(r.ratio, 1) : "-",
  ]);
  console.log(
    `\n@umqtt/simple vs MQTT.js 5.16.0 over WebSocket, aedes + ws (msg/s, median of ${ROUNDS} rounds ± half the min–max range)\n`,
  );
  console.log(table(["metric", "ours", "MQTT.js", "ours / MQTT.js"], rows));
  printFooter(started, m);
  if (JSON_OUT) printJson("ws", m, ROUNDS, { results });
}

await main();
process.exit(0);
