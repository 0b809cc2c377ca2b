/**
 * Headless Chromium (Debian's) driven by playwright-core; no browser download. The flags keep
 * Chromium from opening connections of its own (the machine's network is closed) and let it
 * run as root in a container. playwright gives each launch a fresh user-data dir.
 */
import { type Browser, chromium } from "playwright-core";
import { chromiumPath } from "./runtimes.ts";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium; close the returned browser in `afterAll`.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error("chromium not found; install it with apt-get install chromium");
  return chromium.launch({ executablePath, headless: true, args: ARGS });
}
