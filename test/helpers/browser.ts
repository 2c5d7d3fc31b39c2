/** Debian's chromium for browser tests, driven by playwright-core (no browser download). */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** false when Chromium is there; otherwise the skip message, saying how to get it. */
export const chromiumSkip: string | false = existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (bash .ci/run does) or set CHROMIUM_PATH`;

/** Headless, and with the background networking this closed machine would refuse switched off. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
