import { defineConfig } from "tsup";

export default defineConfig({
  // socket.ts (Node's TCP/TLS) and no-tcp.ts (elsewhere) are what `#tcp` resolves to, per the
  // package.json `imports` conditions; the index imports `#tcp` and never bundles either.
  entry: ["src/index.ts", "src/socket.ts", "src/no-tcp.ts"],
  external: ["#tcp"],
  format: ["esm", "cjs"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20",
});
