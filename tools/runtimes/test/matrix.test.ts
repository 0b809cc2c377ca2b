import { afterEach, expect, it } from "vitest";
import { type SmokeBroker, startSmokeBroker } from "../src/harness.ts";
import { assertPassed, runSuite } from "../src/run-suite.ts";
import { serverRuntimes, versionOf } from "../src/runtimes.ts";
import { describeRuntime } from "../src/vitest.ts";

const LABEL = { tcp: "TCP", tls: "TLS", ws: "WebSocket" } as const;

let broker: SmokeBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

for (const runtime of serverRuntimes()) {
  const version = runtime.bin ? versionOf(runtime.bin) : "missing";
  describeRuntime(`${runtime.name} (${version})`, runtime.bin, () => {
    for (const transport of runtime.transports) {
      it(`smoke suite over ${LABEL[transport]}`, async () => {
        broker = await startSmokeBroker(transport);
        const prefix = `umqtt/smoke/${runtime.id}-${transport}`;
        const run = await runSuite(runtime, {
          server: broker.server,
          options: broker.options,
          control: broker.control,
          prefix,
          webSocketPackage: transport === "ws" && runtime.webSocketPackage,
        });
        assertPassed(`${runtime.name} over ${transport}`, run);
        // The robust clients really reconnected: each CONNECTed twice.
        const id = (name: string) => `${prefix.replaceAll("/", "-")}-${name}`;
        expect(broker.dropped).toBeGreaterThanOrEqual(3);
        expect(broker.connects.get(id("robust"))).toBeGreaterThanOrEqual(2);
        expect(broker.connects.get(id("publisher"))).toBeGreaterThanOrEqual(2);
        if (transport === "ws") expect(run.done?.globalWebSocket).toBe(!runtime.webSocketPackage);
      });
    }
  });
}
