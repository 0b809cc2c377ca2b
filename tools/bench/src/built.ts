/**
 * The code under test is the BUILT packages (what users install), not the TypeScript sources:
 * tsx compiles sources with esbuild's keepNames, which wraps every named closure in a
 * `__name()` call (Object.defineProperty per closure creation) and so adds CPU time and about
 * 4 KB of heap per client. This module builds packages/codec and packages/simple with tsup when
 * their dist is missing or stale, and bundles each dist entry (dependencies inlined, no
 * minification) into one plain .mjs file in the temp dir, which tsx leaves untouched.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/**
 * The checkout whose packages are "ours": this one, or `UMQTT_BENCH_OURS_ROOT` (an older
 * checkout, built and installed), so that one harness measures before and after a change.
 */
export const OURS_ROOT = path.resolve(process.env.UMQTT_BENCH_OURS_ROOT ?? ROOT);
const OUT = path.join(tmpdir(), "umqtt-bench");

/** Newest mtime of the files under `dir` (recursive). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds codec, then simple, with tsup when dist/index.js is missing or older than src/. */
export function ensureBuilt(log: (s: string) => void = () => {}): void {
  if (OURS_ROOT !== ROOT) log(`ours: the packages of ${OURS_ROOT}`);
  for (const pkg of ["codec", "simple"]) {
    const dir = path.join(OURS_ROOT, "packages", pkg);
    const dist = path.join(dir, "dist/index.js");
    if (existsSync(dist) && statSync(dist).mtimeMs >= newest(path.join(dir, "src"))) continue;
    log(`building packages/${pkg} with tsup (dist missing or older than src)…`);
    execFileSync("npx", ["tsup"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  }
}

/** Bundles packages/<pkg>/dist/index.js into one .mjs; returns its file URL. */
export async function bundled(pkg: "codec" | "simple"): Promise<string> {
  const outfile = path.join(OUT, `${pkg}-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(OURS_ROOT, "packages", pkg, "dist/index.js")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    external: ["node:*"],
    logLevel: "warning",
  });
  process.once("exit", () => rmSync(outfile, { force: true }));
  return pathToFileURL(outfile).href;
}

/** Throws if `fn`'s source shows tsx's keepNames wrapping (the bundle must run as built). */
export function assertUntransformed(fn: unknown, what: string): void {
  if (String(fn).includes("__name(")) throw new Error(`${what} was transformed by tsx (__name)`);
}
