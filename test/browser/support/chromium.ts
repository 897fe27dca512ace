/**
 * Debian's Chromium driven by playwright-core, which never downloads a browser. CI installs it
 * (`apt-get install -y chromium`, see .ci/run) and sets SPENDCAP_BROWSER_TESTS=required so a missing
 * browser fails there; on a laptop without it the browser tests are skipped with a note.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Whether the browser tests can run here; throws when CI requires them and the browser is missing. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.SPENDCAP_BROWSER_TESTS === 'required') throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  // Chromium refuses to sandbox as root (containers, CI); the pages it opens here are our own.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

/**
 * Where screenshots go: docs/images with SPENDCAP_SCREENSHOTS=docs/images (`npm run docs:screenshots`,
 * whose pictures the docs show), else coverage/screenshots (CI artefacts, not committed).
 */
export function screenshotPath(name: string): string {
  const dir = resolve(root, process.env.SPENDCAP_SCREENSHOTS ?? 'coverage/screenshots');
  mkdirSync(dir, { recursive: true });
  return resolve(dir, name);
}
