/**
 * aedes in its own process, on a TCP port and behind a WebSocket server (the `ws` package,
 * subprotocol mqtt) on one broker, so the WebSocket bench measures the clients, not a broker
 * sharing their event loop. Control over IPC: → { type: "ready", tcpPort, wsPort };
 * ← { cmd: "exit" }.
 */
import http from "node:http";
import net from "node:net";
import { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";

const broker = await Aedes.createBroker();
const tcp = net.createServer(broker.handle);
const web = http.createServer();
new WebSocketServer({
  server: web,
  path: "/mqtt",
  handleProtocols: (offered) => (offered.has("mqtt") ? "mqtt" : false),
}).on("connection", (ws) => broker.handle(createWebSocketStream(ws)));
const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
const tcpPort = await listen(tcp);
const wsPort = await listen(web);
process.on("message", (m: { cmd: string }) => {
  if (m.cmd === "exit") process.exit(0);
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", tcpPort, wsPort });
