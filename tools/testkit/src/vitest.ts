/**
 * Design: the only testkit file that imports vitest, so benches and demos can import the
 * rest of @umqtt/testkit without it. Exported as "@umqtt/testkit/vitest".
 */
import { describe } from "vitest";
import { mosquittoAvailable } from "./mosquitto.ts";
import { rabbitmqAvailable } from "./rabbitmq.ts";

/** describe() that skips with a visible warning when mosquitto is missing, but throws under CI. */
export function describeMosquitto(name: string, fn: () => void): void {
  const available = mosquittoAvailable();
  if (!available) {
    if (process.env.CI) {
      throw new Error(
        `mosquitto not found: CI must run "${name}"; install with apt-get install mosquitto ` +
          "(or `pnpm --filter @umqtt/testkit exec tsx bin/mosquitto.ts install`)",
      );
    }
    console.warn(`mosquitto not found: skipping ${name}; install with apt-get install mosquitto`);
  }
  describe.skipIf(!available)(name, fn);
}

/** describe() that skips with a visible warning when rabbitmq-server is missing, but throws under CI. */
export function describeRabbitMQ(name: string, fn: () => void): void {
  const available = rabbitmqAvailable();
  if (!available) {
    if (process.env.CI) {
      throw new Error(
        `rabbitmq-server not found: CI must run "${name}"; install with apt-get install rabbitmq-server ` +
          "(or `pnpm --filter @umqtt/testkit exec tsx bin/rabbitmq.ts install`)",
      );
    }
    console.warn(
      `rabbitmq-server not found: skipping ${name}; install with apt-get install rabbitmq-server`,
    );
  }
  describe.skipIf(!available)(name, fn);
}
