/** The end every bench's report shares: the closing timing line and the `--json` document. */
import type { machine } from "./stats.ts";

type Machine = ReturnType<typeof machine>;

/**
 * Prints "(N s; node …; N CPUs; date)" after the tables; returns the seconds since `started`
 * (a `performance.now()` mark).
 */
export function printFooter(started: number, m: Machine): number {
  const secs = (performance.now() - started) / 1000;
  console.log(
    `\n(${secs.toFixed(0)} s; node ${m.node}; ${m.cpus} CPUs; ${new Date().toISOString()})`,
  );
  return secs;
}

/**
 * Prints the `--json` document: `bench`, `date`, `machine` and `rounds` first, then `rest`'s
 * keys in their order.
 */
export function printJson(
  bench: string,
  m: Machine,
  rounds: number,
  rest: Record<string, unknown>,
): void {
  console.log(
    JSON.stringify({ bench, date: new Date().toISOString(), machine: m, rounds, ...rest }, null, 2),
  );
}
