/**
 * Design: the web demo's server. An embedded aedes (testkit) listens for MQTT over WebSocket;
 * a small static server on its own port serves the page, the page script (bundled for the
 * browser with esbuild from the packages' sources when the demo starts) and /config.json,
 * which tells the page the broker's ws:// URL. close() stops both.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { bundleForBrowser } from "@umqtt/runtimes";
import { type AedesBroker, startAedes } from "@umqtt/testkit";

/** A running web demo. */
export interface WebDemo {
  /** The page's address. */
  readonly url: string;
  readonly broker: AedesBroker;
  close(): Promise<void>;
}

/**
 * Starts the broker and the page server on 127.0.0.1 (`port` 0: a free one).
 *
 * @example
 * const demo = await startWebDemo({ port: 8080 });
 * console.log(`open ${demo.url}`);
 */
export async function startWebDemo(options: { port?: number; host?: string } = {}) {
  const host = options.host ?? "127.0.0.1";
  const page = fileURLToPath(new URL("./web/page.ts", import.meta.url));
  const { code, nodeImports } = await bundleForBrowser(page, ["@umqtt/source"]);
  if (nodeImports.length > 0) throw new Error(`the page bundle imports ${nodeImports}`);
  const html = readFileSync(new URL("./web/index.html", import.meta.url), "utf8");
  const broker = await startAedes({ host, webSocket: true });
  const files: Record<string, [type: string, body: string]> = {
    "/": ["text/html; charset=utf-8", html],
    "/page.js": ["text/javascript", code],
    "/config.json": ["application/json", JSON.stringify({ broker: broker.url })],
  };
  const server = http.createServer((req, res) => {
    const [type, body] = files[req.url ?? ""] ?? ["text/plain", ""];
    res.writeHead(body ? 200 : 404, { "content-type": type, "cache-control": "no-store" });
    res.end(body || "not found");
  });
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    broker,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await broker.close();
    },
  } satisfies WebDemo;
}
