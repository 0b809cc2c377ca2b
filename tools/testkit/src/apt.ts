/**
 * Installing a missing Debian package for a test broker: apt-get as root, or through
 * `sudo -n` (never prompting). Used by ensureMosquitto() and ensureRabbitMQ().
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** The first of `files` that exists and is executable, or null. */
export function firstExecutable(files: readonly string[]): string | null {
  for (const file of files) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** `find()`'s path, installing Debian package `pkg` first when it finds nothing. */
export function ensureInstalled(pkg: string, find: () => string | null): string {
  const found = find();
  if (found) return found;
  aptInstall(pkg);
  const installed = find();
  if (!installed) throw new Error(`apt-get install ${pkg} finished but it was not found`);
  return installed;
}

export function isRoot(): boolean {
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
