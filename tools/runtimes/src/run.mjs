/**
 * The smoke suite's command line for server runtimes (Node, Bun, Deno):
 * `<runtime> run.mjs '<config JSON>'`. Prints one JSON line per step and a last line
 * `{"done":true,...}`; exits 1 when a step failed. With `"webSocketPackage": true` (Node 20)
 * the `ws` package's WebSocket is passed as `options.webSocket`; otherwise a WebSocket server
 * URL uses the runtime's global WebSocket, which must exist. `"mode": "refuse"` runs the
 * untrusted-certificate check (src/refuse.mjs) instead of the smoke suite.
 */
import process from "node:process";
import { runRefusal } from "./refuse.mjs";
import { runSmoke } from "./smoke.mjs";

const config = JSON.parse(process.argv[2] ?? "{}");
const options = { ...config.options };
if (config.webSocketPackage) {
  const { WebSocket } = await import("ws");
  options.webSocket = WebSocket;
}
const globalWebSocket = typeof globalThis.WebSocket === "function";
if (/^wss?:/.test(config.server) && !config.webSocketPackage && !globalWebSocket) {
  console.log(JSON.stringify({ step: "setup", ok: false, error: "no global WebSocket" }));
  process.exit(1);
}
const run = config.mode === "refuse" ? runRefusal : runSmoke;
const result = await run({
  ...config,
  options,
  report: (step) => console.log(JSON.stringify(step)),
});
console.log(JSON.stringify({ done: true, ok: result.ok, globalWebSocket }));
process.exitCode = result.ok ? 0 : 1;
