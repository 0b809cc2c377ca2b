/**
 * Bundles a module for the browser with esbuild (`platform: "browser"`), as a user's bundler
 * would: `@umqtt/*` resolve through their export conditions to the built `dist`.
 */
import { builtinModules } from "node:module";
import { build } from "esbuild";

const BUILTIN = new RegExp(`^(node:.*|${builtinModules.join("|")})(/.*)?$`);

/** The bundle's text and the Node built-ins it still imports (a browser bundle has none). */
export interface BrowserBundle {
  code: string;
  nodeImports: string[];
}

/**
 * Bundles `entry` as one ES module. `conditions` adds export conditions (the demo bundles
 * from source with "@umqtt/source").
 *
 * @example
 * const { code } = await bundleForBrowser(new URL("./browser-entry.mjs", import.meta.url).pathname);
 */
export async function bundleForBrowser(entry: string, conditions: string[] = []) {
  const nodeImports = new Set<string>();
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    conditions,
    write: false,
    logLevel: "silent",
    plugins: [
      {
        // Record (and keep external) any Node built-in import, so the test can name it
        // instead of esbuild failing with "could not resolve".
        name: "node-imports",
        setup(b) {
          b.onResolve({ filter: BUILTIN }, (args) => {
            nodeImports.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.text;
  return { code, nodeImports: [...nodeImports] } satisfies BrowserBundle;
}
