import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const [entry, names] = process.argv.slice(2);
const r = await build({
  stdin: {
    contents: `export { ${names} } from "${entry}";`,
    resolveDir: process.cwd(),
    loader: "js",
  },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "node",
  write: false,
  external: ["node:*"],
  metafile: true,
  conditions: ["@umqtt/source"],
  logLevel: "silent",
});
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs)
  .map(([k, v]) => [v.bytesInOutput, k])
  .sort((a, b) => b[0] - a[0]);
for (const [b, k] of rows) console.log(String(b).padStart(6), k.replace(/.*packages\//, ""));
console.log("gz", gzipSync(r.outputFiles[0].contents, { level: 9 }).length);
