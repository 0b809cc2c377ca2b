/**
 * Run throwaway RabbitMQ nodes by hand, configured exactly as the tests do.
 *   tsx bin/rabbitmq.ts start [--nodes N] [--classic] [--verbose]
 *   tsx bin/rabbitmq.ts install
 * `start` prints one JSON line (per node: name, MQTT / Web MQTT / AMQP / dist ports, pid; the
 * dir; boot timings) and runs until SIGINT/SIGTERM, then stops every process it started.
 */
import { ensureRabbitMQ, startRabbitMQ } from "../src/rabbitmq.ts";
import { run, serveUntilSignal } from "./serve.ts";

const [command = "start", ...flags] = process.argv.slice(2);
const has = (flag: string) => flags.includes(flag);
const value = (flag: string) => {
  const at = flags.indexOf(flag);
  return at >= 0 ? flags[at + 1] : undefined;
};

async function main(): Promise<void> {
  if (command === "install") {
    console.log(ensureRabbitMQ());
    return;
  }
  if (command !== "start") {
    console.error("usage: tsx bin/rabbitmq.ts start [--nodes N] [--classic] [--verbose] | install");
    process.exitCode = 2;
    return;
  }
  const rabbit = await startRabbitMQ({
    nodes: Number(value("--nodes") ?? 1),
    durableQueueType: has("--classic") ? "classic" : "quorum",
    verbose: has("--verbose"),
  });
  console.log(
    JSON.stringify({
      url: rabbit.url,
      dir: rabbit.dir,
      timings: rabbit.timings,
      nodes: rabbit.nodes.map((n) => ({
        name: n.name,
        url: n.url,
        wsUrl: n.wsUrl,
        amqpPort: n.amqpPort,
        distPort: n.distPort,
        pid: n.pid,
      })),
    }),
  );
  serveUntilSignal(() => rabbit.close());
}

run(main);
