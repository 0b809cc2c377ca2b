// Size budget: bundles the package's built ESM entry together with the @umqtt layers below it
// (as a user's bundler would), minifies, gzips, and fails when over `umqttSizeBudget` bytes.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const budget = pkg.umqttSizeBudget;
const result = await build({
  entryPoints: ["./dist/index.js"],
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
const line = `${pkg.name}: ${bytes.length} B minified, ${gz} B gzipped (budget ${budget} B)`;
if (typeof budget === "number" && gz > budget) {
  console.error(`size budget exceeded: ${line}`);
  process.exit(1);
}
console.log(line);
