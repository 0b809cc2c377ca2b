/**
 * Installing a missing Debian package for a test broker: apt-get as root, or through
 * `sudo -n` (never prompting). Used by ensureMosquitto() and ensureRabbitMQ().
 */
import { execFileSync } from "node:child_process";

function isRoot(): boolean {
  return typeof process.geteuid === "function" && process.geteuid() === 0;
}

/** True when `name` is a command on PATH. */
export function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** apt-get update + install `pkg` (no recommends); throws with a by-hand hint when it cannot. */
export function aptInstall(pkg: string): void {
  if (!hasCommand("apt-get")) {
    throw new Error(`${pkg} not found and apt-get is not available: install ${pkg} by hand`);
  }
  const prefix = isRoot()
    ? []
    : hasCommand("sudo")
      ? ["sudo", "-n", "--preserve-env=DEBIAN_FRONTEND"]
      : null;
  if (prefix === null) throw new Error(`${pkg} not found: run \`apt-get install ${pkg}\` as root`);
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...prefix, ...args];
    execFileSync(cmd as string, rest, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  };
  run(["apt-get", "update"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", pkg]);
}
