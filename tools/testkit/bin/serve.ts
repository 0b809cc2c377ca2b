/**
 * The tail every by-hand broker script shares: keep running until Ctrl-C or SIGTERM, then stop
 * what it started; a failure to start prints and exits 1.
 */
export function serveUntilSignal(stop: () => Promise<void>): void {
  const shutdown = async () => {
    await stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  // Keep the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

/** Runs `main`, exiting 1 with the error printed when it fails. */
export function run(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
