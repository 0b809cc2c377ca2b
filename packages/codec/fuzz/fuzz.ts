// `pnpm fuzz [iterations] [seed]`: 1,000,000 seeded mutated inputs through decode and Decoder,
// half as MQTT 3.1.1 and half as MQTT 5.
import { runFuzz } from "./mutate.js";

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 0xf022);
const start = performance.now();
const { count, decoded, decoded5, failures } = runFuzz(iterations, seed);
const seconds = (performance.now() - start) / 1000;
console.log(
  `fuzz: ${count} inputs (seed ${seed}), ${decoded} decoded as valid packets (${decoded5} as MQTT 5), ${failures.length} failures, ${seconds.toFixed(1)} s`,
);
for (const f of failures) console.error(f);
process.exit(failures.length === 0 ? 0 : 1);
