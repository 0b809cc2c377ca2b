import { chromiumPath, launchChromium, versionOf } from "@umqtt/runtimes";
import { describeRuntime } from "@umqtt/runtimes/vitest";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startWebDemo, type WebDemo } from "../src/web-demo.ts";

const bin = chromiumPath();

/** What a person does: open the page and wait until it says it is connected. */
async function openDemo(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(url);
  await page
    .locator("#status.connected")
    .waitFor({ timeout: 10_000 })
    .catch(() => {
      throw new Error(`the page never connected: ${errors.join("; ")}`);
    });
  return page;
}

async function subscribe(page: Page, filter: string, qos: "0" | "1"): Promise<void> {
  await page.fill("#filter", filter);
  await page.selectOption("#sub-qos", qos);
  await page.click("#subscribe button");
  await page.locator("#subscriptions li", { hasText: filter }).waitFor();
}

describeRuntime(bin ? versionOf(bin) : "Chromium", bin, () => {
  let demo: WebDemo;
  let browser: Browser;
  beforeAll(async () => {
    demo = await startWebDemo();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it("shows a published message in the page's list, with its QoS", async () => {
    const page = await openDemo(browser, demo.url);
    await subscribe(page, "demo/test/#", "1");
    await expect(page.locator("#subscriptions li").last().textContent()).resolves.toContain(
      "granted QoS 1",
    );
    await page.fill("#topic", "demo/test/greeting");
    await page.fill("#message", "hello, person");
    await page.selectOption("#pub-qos", "1");
    await page.click("#publish button");
    const received = page.locator("#messages li", { hasText: "hello, person" });
    await received.waitFor();
    expect(await received.textContent()).toBe("QoS 1demo/test/greeting: hello, person");
    await page.close();
  });

  it("a retained message reaches a second page that subscribes later, marked retained", async () => {
    const first = await openDemo(browser, demo.url);
    await first.fill("#topic", "demo/retained/state");
    await first.fill("#message", "kept by the broker");
    await first.selectOption("#pub-qos", "0");
    await first.check("#retain");
    await first.click("#publish button");
    await first.locator("#status", { hasText: "retained" }).waitFor();

    const second = await openDemo(browser, demo.url);
    await subscribe(second, "demo/retained/+", "0");
    const received = second.locator("#messages li", { hasText: "kept by the broker" });
    await received.waitFor();
    expect(await received.textContent()).toBe(
      "QoS 0retaineddemo/retained/state: kept by the broker",
    );
    if (process.env.UMQTT_DEMO_SCREENSHOT) {
      await second.screenshot({ path: process.env.UMQTT_DEMO_SCREENSHOT, fullPage: true });
    }
    await first.close();
    await second.close();
  });
});
