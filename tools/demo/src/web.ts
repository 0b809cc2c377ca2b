/**
 * pnpm demo:web — serves the web demo until Ctrl-C. PORT picks the page's port (default 8080).
 */
import { startWebDemo } from "./web-demo.ts";

const demo = await startWebDemo({ port: Number(process.env.PORT ?? 8080) });
console.log(`broker    MQTT over WebSocket at ${demo.broker.url}`);
console.log(`web demo  open ${demo.url} in a browser (Ctrl-C stops)`);
const stop = async (): Promise<void> => {
  await demo.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
