// Size budget: bundles what a user imports from the package's built ESM entry — the names in
// `umqttSize.imports` (default: everything) — together with the @umqtt layers below it, as a
// user's bundler would; minifies, gzips, and fails when over `umqttSize.budget` bytes.
// That bundle is for Node (TCP/TLS; node:* left to the runtime). `umqttSize.browser`
// ({ budget, imports? }) adds a browser bundle: platform browser with no externals, so any
// node:* import fails it, and `#tcp` resolves to its stub (WebSocket only).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
// `budget` fails the lint; `target` (where set) is the design goal, reported until it is met.
const { budget, imports, target, browser } = pkg.umqttSize ?? {};

async function measure(names, platform) {
  const contents = names
    ? `export { ${names.join(", ")} } from "./dist/index.js";`
    : `export * from "./dist/index.js";`;
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    write: false,
    logLevel: "silent",
    external: platform === "node" ? ["node:*"] : [],
  });
  const bytes = result.outputFiles[0].contents;
  return { bytes: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
}

let failed = false;
function report(label, names, { bytes, gz }, limit, goal) {
  const what = names ? `{ ${names.join(", ")} }` : "everything";
  const shown = typeof limit === "number" ? ` (budget ${limit} B)` : "";
  const line = `${pkg.name} ${what}${label}: ${bytes} B minified, ${gz} B gzipped${shown}`;
  if (typeof limit === "number" && gz > limit) {
    console.error(`size budget exceeded: ${line}`);
    failed = true;
    return;
  }
  console.log(line);
  if (typeof goal === "number" && gz > goal) {
    console.log(`  note: over the design target of ${goal} B by ${gz - goal} B`);
  }
}

report("", imports, await measure(imports, "node"), budget, target);
if (browser) {
  const names = browser.imports ?? imports;
  let size;
  try {
    size = await measure(names, "browser");
  } catch (err) {
    console.error(`${pkg.name}: the browser bundle failed (a node:* import?): ${err.message}`);
    process.exit(1);
  }
  report(" [browser]", names, size, browser.budget, undefined);
}
if (failed) process.exit(1);
