import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BrowserBundle, bundleForBrowser } from "../src/bundle.ts";
import { launchChromium } from "../src/chromium.ts";
import { startSmokeBroker } from "../src/harness.ts";
import { assertPassed, type StepResult } from "../src/run-suite.ts";
import { chromiumPath, versionOf } from "../src/runtimes.ts";
import { describeRuntime } from "../src/vitest.ts";

const PAGE = `<!doctype html><meta charset="utf-8"><title>umqtt smoke</title>
<script type="module" src="/smoke.js"></script>`;

type RunSmoke = (config: object) => Promise<{ ok: boolean; steps: StepResult[] }>;

const bin = chromiumPath();
describeRuntime(bin ? versionOf(bin) : "Chromium", bin, () => {
  let browser: Browser;
  let bundle: BrowserBundle;
  beforeAll(async () => {
    bundle = await bundleForBrowser(
      fileURLToPath(new URL("../src/browser-entry.mjs", import.meta.url)),
    );
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("bundles the packages with no Node built-in import", () => {
    expect(bundle.nodeImports).toEqual([]);
  });

  // wss://: the test CA is not in Chromium's trust store, so that page's context ignores
  // certificate errors; the TLS handshake and the framing over it are still real.
  it.each([
    ["ws", "WebSocket"],
    ["wss", "WebSocket over TLS"],
  ] as const)("smoke suite over %s (%s), from a page", async (transport, label) => {
    const broker = await startSmokeBroker(transport, {
      "/": { type: "text/html", body: PAGE },
      "/smoke.js": { type: "text/javascript", body: bundle.code },
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: transport === "wss" });
    const page = await context.newPage();
    let output = "";
    page.on("console", (m) => {
      output += `${m.text()}\n`;
    });
    page.on("pageerror", (err) => {
      output += `[pageerror] ${err.message}\n`;
    });
    try {
      await page.goto(`${broker.control}/`);
      const prefix = `umqtt/smoke/chromium-${transport}`;
      const config = { ...broker, prefix };
      const result = await page
        .evaluate(
          async ({ server, options, control, prefix }) => {
            const g = globalThis as unknown as { runSmoke?: RunSmoke };
            // The module script has run by the time the load event fired (goto waits for it).
            if (!g.runSmoke) throw new Error("the bundle did not load (see the page's output)");
            return g.runSmoke({
              server,
              options,
              control,
              prefix,
              report: (s: object) => console.log(JSON.stringify(s)),
            });
          },
          { server: config.server, options: config.options, control: config.control, prefix },
        )
        .catch((err: Error) => {
          throw new Error(`${err.message}\n--- page output ---\n${output}`);
        });
      assertPassed(`Chromium over ${label}`, { steps: result.steps, output });
      expect(result.ok).toBe(true);
      const id = (name: string) => `${prefix.replaceAll("/", "-")}-${name}`;
      expect(broker.connects.get(id("robust"))).toBeGreaterThanOrEqual(2);
      expect(broker.connects.get(id("publisher"))).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
      await broker.close();
    }
  });
});
