/**
 * The brokers under test, each started the way testkit starts it, with the version the table
 * shows. aedes runs in the test process; mosquitto and RabbitMQ (one node, the MQTT plugin
 * with quorum subscription queues) are real child processes. Each also serves MQTT over
 * WebSocket: aedes as a second embedded broker behind testkit's WebSocket server, mosquitto on
 * a second `protocol websockets` listener, RabbitMQ through its Web MQTT plugin.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  freePort,
  mosquittoAvailable,
  mosquittoPath,
  rabbitmqAvailable,
  startAedes,
  startMosquitto,
  startRabbitMQ,
} from "@umqtt/testkit";

/** A started broker. */
export interface Running {
  host: string;
  port: number;
  /** The same broker's MQTT-over-WebSocket endpoint (for aedes: a second broker). */
  wsUrl: string;
  close(): Promise<void>;
}

export interface BrokerTarget {
  name: "aedes" | "mosquitto" | "rabbitmq";
  /** False when the broker is not installed here (the suite then skips it, or fails under CI). */
  available(): boolean;
  version(): string;
  start(): Promise<Running>;
}

export const BROKERS: BrokerTarget[] = [
  {
    name: "aedes",
    available: () => true,
    version: () => {
      const require = createRequire(import.meta.url);
      // aedes' exports hide its package.json: read it next to the entry point.
      const dir = path.dirname(require.resolve("aedes"));
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      return String(pkg.version);
    },
    start: async () => {
      const [b, ws] = await Promise.all([startAedes(), startAedes({ webSocket: true })]);
      return {
        host: b.host,
        port: b.port,
        wsUrl: ws.url,
        close: async () => {
          await Promise.all([b.close(), ws.close()]);
        },
      };
    },
  },
  {
    name: "mosquitto",
    available: mosquittoAvailable,
    version: () => {
      let out = "";
      try {
        execFileSync(mosquittoPath() as string, ["-h"], { encoding: "utf8" });
      } catch (err) {
        // mosquitto -h prints its version and exits 3.
        out = String((err as { stdout?: string }).stdout ?? "");
      }
      return /mosquitto version (\S+)/.exec(out)?.[1] ?? "unknown";
    },
    start: async () => {
      // A second listener: mosquitto 2.0.11 refuses to start with a websockets listener alone.
      const wsPort = await freePort();
      const m = await startMosquitto({
        extraConfig: `listener ${wsPort} 127.0.0.1\nprotocol websockets`,
      });
      return {
        host: m.host,
        port: m.port,
        wsUrl: `ws://127.0.0.1:${wsPort}/mqtt`,
        close: () => m.stop(),
      };
    },
  },
  {
    name: "rabbitmq",
    available: rabbitmqAvailable,
    version: () => {
      const dir = readdirSync("/usr/lib/rabbitmq/lib").find((d) =>
        d.startsWith("rabbitmq_server-"),
      );
      return dir?.slice("rabbitmq_server-".length) ?? "unknown";
    },
    start: async () => {
      const r = await startRabbitMQ();
      return {
        host: r.host,
        port: r.port,
        wsUrl: (r.nodes[0] as { wsUrl: string }).wsUrl,
        close: () => r.close(),
      };
    },
  },
];
