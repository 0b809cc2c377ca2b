/**
 * Where the matrix's runtimes are. Node 20 is the Node running the tests; Node 22 and 24, Bun
 * and Deno come from npm into `.runtimes/` at the repository root (install.sh puts them
 * there); Chromium is Debian's. Nothing here installs anything: it only looks.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root (this file is tools/runtimes/src/runtimes.ts). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
/** The folder install.sh fills; ignored by git. */
export const runtimesDir = `${repoRoot}.runtimes`;
/** This package's folder: the runtimes run the suite from here so `@umqtt/*` resolve to dist. */
export const packageDir = fileURLToPath(new URL("../", import.meta.url));

/** How a transport reaches the broker. */
export type TransportName = "tcp" | "tls" | "ws" | "wss";

/** A server-side JavaScript runtime of the matrix. */
export interface Runtime {
  id: "node20" | "node22" | "node24" | "bun" | "deno";
  /** What the runtime is called in test names and messages. */
  name: string;
  /** The executable, or undefined when it is not installed. */
  bin: string | undefined;
  /** Arguments before the script. */
  args: string[];
  transports: TransportName[];
  /** Node 20 has no global WebSocket: the suite passes the `ws` package's instead. */
  webSocketPackage: boolean;
  /** The environment variable that adds a CA to the runtime's trust store (wss:// with a global WebSocket). */
  caEnv: string;
}

/** The server-side runtimes, located (bin undefined where missing). */
export function serverRuntimes(): Runtime[] {
  const node20 = process.versions.node.startsWith("20.") ? process.execPath : undefined;
  return [
    runtime("node20", "Node 20", node20, [], true),
    runtime("node22", "Node 22", installed("node22", "node"), [], false),
    runtime("node24", "Node 24", installed("node24", "node"), [], false),
    runtime("bun", "Bun", installed("bun", "bun"), ["--no-install"], false),
    runtime("deno", "Deno", installed("deno", "deno"), ["run", "-A", "--no-lock"], false),
  ];
}

function runtime(
  id: Runtime["id"],
  name: string,
  bin: string | undefined,
  args: string[],
  webSocketPackage: boolean,
): Runtime {
  const caEnv = id === "deno" ? "DENO_CERT" : "NODE_EXTRA_CA_CERTS";
  return { id, name, bin, args, transports: TRANSPORTS, webSocketPackage, caEnv };
}

/** The transports every server runtime is tested over. */
export const TRANSPORTS: TransportName[] = ["tcp", "tls", "ws", "wss"];

function installed(folder: string, bin: string): string | undefined {
  const path = `${runtimesDir}/${folder}/node_modules/.bin/${bin}`;
  return existsSync(path) ? path : undefined;
}

/** Debian's Chromium, or undefined. */
export function chromiumPath(): string | undefined {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The first line of `<bin> --version` (e.g. "v22.23.5", "1.4.4", "deno 2.9.6 (…)"). */
export function versionOf(bin: string): string {
  const out = execFileSync(bin, ["--version"], {
    encoding: "utf8",
    timeout: 15_000,
    stdio: ["ignore", "pipe", "ignore"],
  });
  return out
    .split("\n")[0]!
    .replace(/ \(.*\)$| built on .*$/, "")
    .trim();
}
