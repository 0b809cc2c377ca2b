/** The benches' command line: `--json` and `--name=a,b` lists. */
const argv = process.argv.slice(2);

/** `--json`: print the JSON document after the tables. */
export const JSON_OUT = argv.includes("--json");

/**
 * The comma-separated values of `--name=…`, or undefined when it is not given.
 * @example
 * const ONLY = flag("only"); // --only=qos0,recv → ["qos0", "recv"]
 */
export function flag(name: string): string[] | undefined {
  return argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(",");
}
