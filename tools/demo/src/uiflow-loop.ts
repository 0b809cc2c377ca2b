/**
 * A UIFlow2-style program with @umqtt/default: setup() subscribes per-topic handlers, then the
 * main loop is just `while (true) await client.checkMsg()`. An embedded aedes broker is
 * restarted half-way through (it comes back with no sessions); the loop carries on, the client
 * reconnects and re-subscribes by itself, and the handlers receive messages again.
 *
 *   cd tools/demo && npx tsx --conditions=@umqtt/source src/uiflow-loop.ts
 *
 * Exits 0 once the bounded number of messages has arrived (1 on failure or timeout).
 * `runUiflowLoop()` is the same program as a function, exported as `@umqtt/demo/uiflow-loop`
 * for the tests.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MQTTClient } from "@umqtt/default";
import { startAedes } from "@umqtt/testkit";

export interface UiflowLoopOptions {
  /** Messages the handlers must receive before the loop ends. Default 20. */
  messages?: number;
  /** Restart the broker once this many have arrived. Default half of `messages`. */
  restartAfter?: number;
  /** Give up (reject) after this long. Default 20 000 ms. */
  timeoutMs?: number;
  /** Where progress lines go; default: nowhere. */
  log?: (line: string) => void;
}

export interface UiflowLoopResult {
  /** Payloads received by the `m5/+/button` handler, in order. */
  buttons: string[];
  /** Messages the `m5/#` handler saw (it overlaps the button handler). */
  all: number;
  /** Button messages received after the broker restart completed. */
  afterRestart: number;
  /** Loop iterations (checkMsg() calls), including those that found nothing. */
  iterations: number;
  /** Times the loop saw the connection go down, and come back. */
  drops: number;
  reconnects: number;
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the UIFlow2-style loop against an embedded aedes that is restarted mid-way. */
export async function runUiflowLoop(options: UiflowLoopOptions = {}): Promise<UiflowLoopResult> {
  const target = options.messages ?? 20;
  const restartAfter = options.restartAfter ?? Math.floor(target / 2);
  const log = options.log ?? (() => {});
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const broker = await startAedes();
  const fast = { port: broker.port, keepalive: 5, reconnectDelay: 100, maxReconnectDelay: 500 };
  // The "device" (the UIFlow2 program) and an "app" that publishes button presses to it.
  const mqtt_client = new MQTTClient("uiflow-device", broker.host, fast);
  const app = new MQTTClient("uiflow-app", broker.host, fast);

  const result: UiflowLoopResult = {
    buttons: [],
    all: 0,
    afterRestart: 0,
    iterations: 0,
    drops: 0,
    reconnects: 0,
  };
  let restarted: "no" | "restarting" | "yes" | `restart failed: ${string}` = "no";

  // def mqtt_m5_button_event(data): … data[0] is the topic, data[1] the message
  function mqtt_m5_button_event(data: [Uint8Array, Uint8Array]): void {
    result.buttons.push(decode(data[1]));
    if (restarted === "yes") result.afterRestart++;
    log(`button handler: ${decode(data[0])} = ${decode(data[1])}`);
  }
  function mqtt_m5_all_event(_data: [Uint8Array, Uint8Array]): void {
    result.all++;
  }

  let publishing = true;
  let publisher: Promise<void> = Promise.resolve();

  try {
    // def setup():
    await mqtt_client.connect(true);
    await mqtt_client.subscribe("m5/+/button", mqtt_m5_button_event, 1);
    await mqtt_client.subscribe("m5/#", mqtt_m5_all_event, 0);
    await app.connect(true);
    publisher = (async () => {
      // The app presses buttons: QoS 1 publishes that wait out the broker restart.
      for (let n = 1; publishing; n++) {
        await app.publish(`m5/${n % 3}/button`, `press ${n}`, false, 1);
        await sleep(20);
      }
    })();
    log(`connected to aedes on port ${broker.port}; looping`);

    // while True: loop()
    let up = true;
    while (true) {
      await mqtt_client.checkMsg();
      result.iterations++;
      if (up !== mqtt_client.isConnected()) {
        up = !up;
        if (up) result.reconnects++;
        else result.drops++;
        log(
          up
            ? "reconnected (re-subscribed by the client itself)"
            : "connection lost; the loop keeps going",
        );
      }
      if (restarted === "no" && result.buttons.length >= restartAfter) {
        restarted = "restarting";
        log(`${result.buttons.length} messages in: restarting the broker`);
        broker.restart().then(
          () => {
            restarted = "yes";
            log("broker is back (no sessions, no subscriptions)");
          },
          (err: unknown) => {
            // The loop's deadline reports it; the restart state says where it stopped.
            restarted = `restart failed: ${String(err)}`;
          },
        );
      }
      if (result.buttons.length >= target && result.afterRestart > 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out: ${result.buttons.length}/${target} messages, ${result.afterRestart} after the restart (${restarted})`,
        );
      }
    }
    log(
      `done: ${result.buttons.length} button messages (${result.afterRestart} after the restart), ${result.all} on m5/#`,
    );
    return result;
  } finally {
    publishing = false;
    await mqtt_client.disconnect();
    await app.disconnect();
    await publisher.catch(() => {}); // its last publish rejects with ERR_CLIENT_CLOSED
    await broker.close();
  }
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invoked === fileURLToPath(import.meta.url)) {
  runUiflowLoop({ log: (line) => console.log(line) }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
