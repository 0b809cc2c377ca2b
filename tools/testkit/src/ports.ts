import net from "node:net";

/** Asks the OS for a free TCP port on 127.0.0.1 (listen on :0, read it, close). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (port === 0) throw new Error("freePort: could not read the bound port");
  return port;
}

/** Resolves once a TCP connection to host:port succeeds, polling until timeoutMs. */
export async function waitForPort(
  port: number,
  host = "127.0.0.1",
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`waitForPort: ${host}:${port} not accepting after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
