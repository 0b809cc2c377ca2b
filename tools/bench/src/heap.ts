/**
 * Heap per idle connection, in a fresh process (run with --expose-gc): connects one warm-up
 * client, takes a baseline after a full GC, connects N more clients to the broker, settles,
 * GCs again and prints one JSON line with the deltas per connection.
 *
 *   UMQTT_BENCH_OURS=file:///…/simple.mjs \
 *   node --expose-gc --import tsx --conditions=@umqtt/source src/heap.ts <ours|mqttjs> <port> <n>
 */
import { connectMqttjs } from "./mqttjs.ts";

// the built client (bundled dist) from the parent; the sources under tsx would carry keepNames wrappers
const { MQTTClient } = (await import(
  process.env.UMQTT_BENCH_OURS ?? "@umqtt/simple"
)) as typeof import("@umqtt/simple");

const [lib, portArg, nArg] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("heap.ts needs --expose-gc");

type Closer = () => Promise<unknown>;

async function open(id: string): Promise<Closer> {
  if (lib === "ours") {
    const c = new MQTTClient(id, "127.0.0.1", { port, keepalive: 60 });
    await c.connect();
    return () => c.disconnect();
  }
  const c = await connectMqttjs(`mqtt://127.0.0.1:${port}`, id, 4);
  return () => c.endAsync();
}

function snapshot() {
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external, rss: m.rss };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

const closers: Closer[] = [await open(`heap-${lib}-warm-${process.pid}`)];
await settle(100);
const before = snapshot();
const BATCH = 50;
for (let i = 0; i < n; i += BATCH) {
  const k = Math.min(BATCH, n - i);
  const opened = await Promise.all(
    Array.from({ length: k }, (_, j) => open(`heap-${lib}-${process.pid}-${i + j}`)),
  );
  closers.push(...opened);
}
await settle(300);
const after = snapshot();
const per = (k: keyof typeof before) => (after[k] - before[k]) / n;
console.log(
  JSON.stringify({
    lib,
    n,
    heapUsed: per("heapUsed"),
    arrayBuffers: per("arrayBuffers"),
    external: per("external"),
    rss: per("rss"),
    total: per("heapUsed") + per("arrayBuffers"),
  }),
);
await Promise.all(closers.map((c) => c()));
process.exit(0);
