// Size budget: bundles what a user imports from the package's built ESM entry — the names in
// `umqttSize.imports` (default: everything) — together with the @umqtt layers below it, as a
// user's bundler would; minifies, gzips, and fails when over `umqttSize.budget` bytes.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
// `budget` fails the lint; `target` (where set) is the design goal, reported until it is met.
const { budget, imports, target } = pkg.umqttSize ?? {};
const contents = imports
  ? `export { ${imports.join(", ")} } from "./dist/index.js";`
  : `export * from "./dist/index.js";`;
const result = await build({
  stdin: { contents, resolveDir: process.cwd(), loader: "js" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "silent",
  external: ["node:*"],
});
const bytes = result.outputFiles[0].contents;
const gz = gzipSync(bytes, { level: 9 }).length;
const what = imports ? `{ ${imports.join(", ")} }` : "everything";
const limit = typeof budget === "number" ? ` (budget ${budget} B)` : "";
const line = `${pkg.name} ${what}: ${bytes.length} B minified, ${gz} B gzipped${limit}`;
if (typeof budget === "number" && gz > budget) {
  console.error(`size budget exceeded: ${line}`);
  process.exit(1);
}
console.log(line);
if (typeof target === "number" && gz > target) {
  console.log(`  note: over the design target of ${target} B by ${gz - target} B`);
}
