import { defineConfig } from "tsup";

export default defineConfig({
  // tls-files.ts (Node) and no-tls-files.ts (elsewhere) are what `#tls-files` resolves to, per
  // the package.json `imports` conditions; the index imports `#tls-files` and bundles neither.
  entry: ["src/index.ts", "src/tls-files.ts", "src/no-tls-files.ts"],
  external: ["#tls-files"],
  format: ["esm", "cjs"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
});
