import { afterEach, expect, it } from "vitest";
import { type SmokeBroker, startSmokeBroker } from "../src/harness.ts";
import { assertPassed, runSuite } from "../src/run-suite.ts";
import { serverRuntimes, versionOf } from "../src/runtimes.ts";
import { describeRuntime } from "../src/vitest.ts";

const LABEL = { tcp: "TCP", tls: "TLS", ws: "WebSocket", wss: "WebSocket over TLS" } as const;

let broker: SmokeBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

for (const runtime of serverRuntimes()) {
  const label = runtime.bin ? `${runtime.name} (${versionOf(runtime.bin)})` : runtime.name;
  describeRuntime(label, runtime.bin, () => {
    // No CA given: the runtime's own trust store must refuse the test certificate.
    it.each(["tls", "wss"] as const)("refuses a %s server it does not trust", async (transport) => {
      broker = await startSmokeBroker(transport);
      const run = await runSuite(runtime, {
        server: broker.server,
        options: {},
        control: broker.control,
        prefix: `umqtt/refuse/${runtime.id}-${transport}`,
        webSocketPackage: transport === "wss" && runtime.webSocketPackage,
        mode: "refuse",
      });
      assertPassed(`${runtime.name} refusing ${transport}`, run, ["refused"]);
      expect(broker.connects.size).toBe(0);
    });

    for (const transport of runtime.transports) {
      it(`smoke suite over ${LABEL[transport]}`, async () => {
        broker = await startSmokeBroker(transport);
        const prefix = `umqtt/smoke/${runtime.id}-${transport}`;
        const webSocketPackage = transport.startsWith("ws") && runtime.webSocketPackage;
        // wss://: the `ws` package takes the test CA as sslParams; a global WebSocket trusts
        // what the runtime trusts, so the CA goes into its trust store through the environment.
        const viaPackage = transport === "wss" && webSocketPackage;
        const trust = transport === "wss" && !webSocketPackage;
        const run = await runSuite(
          runtime,
          {
            server: broker.server,
            options: viaPackage ? { sslParams: { ca: broker.ca!.pem } } : broker.options,
            control: broker.control,
            prefix,
            webSocketPackage,
          },
          { env: trust ? { [runtime.caEnv]: broker.ca!.file } : {} },
        );
        assertPassed(`${runtime.name} over ${transport}`, run);
        // The robust clients really reconnected: each CONNECTed twice.
        const id = (name: string) => `${prefix.replaceAll("/", "-")}-${name}`;
        expect(broker.dropped).toBeGreaterThanOrEqual(3);
        expect(broker.connects.get(id("robust"))).toBeGreaterThanOrEqual(2);
        expect(broker.connects.get(id("publisher"))).toBeGreaterThanOrEqual(2);
        // Node 22+, Bun and Deno have a global WebSocket; Node 20 has none.
        expect(run.done?.globalWebSocket).toBe(!runtime.webSocketPackage);
      });
    }
  });
}
