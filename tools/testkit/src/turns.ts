/**
 * Lets pending I/O run: `n` macrotask turns. The clients coalesce writes per setImmediate and
 * the memory transport delivers on microtasks, so a few turns let every queued write and
 * delivery happen. Use it to assert that something did NOT happen; to wait for something
 * that does happen, await its event (a packet, a promise) instead.
 *
 * @example
 * await turns();
 * expect(link.unread).toEqual([]); // nothing more was written
 */
export async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
