import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotPath } from './support/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

/** Waits until `check` returns a value, polling (the pipeline works at its own pace). */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!browserAvailable())('the support console, against npm start -- --follow fed with the demo', () => {
  const base = 21_000 + Math.floor(Math.random() * 18_000);
  const ports = { kinesis: base, dynamo: base + 1, api: base + 2, sbi: base + 3, console: base + 4 };
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  let follow: ChildProcess;
  let stdout = '';
  let browser: Browser;
  let page: Page;
  const usagePath = `/v1/subscribers/DEMO-LUCAS/usage`;

  beforeAll(async () => {
    // Arrange: the follow mode on its own ports, the demo's day put on its stream with send-event.
    follow = spawn(tsx, ['local/start.ts', '--follow', ...Object.entries(ports).flatMap(([k, v]) => [`--${k}-port`, String(v)])], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    follow.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    await until('the follow mode', async () => (stdout.includes('following the local stream') && stdout.includes('Console') ? true : undefined), 150_000);
    const sender = spawn(tsx, ['local/send-event.ts', '--kinesis-port', String(ports.kinesis)], { cwd: root });
    createReadStream(resolve(root, 'local/demo/events.jsonl')).pipe(sender.stdin!);
    let sent = '';
    sender.stdout?.on('data', (c: Buffer) => (sent += c.toString()));
    expect(await new Promise((done) => sender.once('exit', done))).toBe(0);
    expect(sent).toContain('169 events put on spendcap-usage-events');
    // Lucas's roaming is barred once the pipeline has gone through his day.
    await until('the bar of DEMO-LUCAS', async () => {
      const usage = (await (await fetch(`${apiUrl}${usagePath}`)).json()) as { roaming?: { bar?: unknown } };
      return usage.roaming?.bar ? true : undefined;
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 1300 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    follow?.kill('SIGINT');
    await new Promise((done) => (follow?.exitCode !== null ? done(undefined) : follow.once('exit', done)));
  });

  it('finds the barred subscriber by phone number and shows the bar and the cap message', async () => {
    // Act: the agent types the caller's number and presses Enter.
    await page.goto(`http://127.0.0.1:${ports.console}/console/`);
    await page.getByLabel('Phone number').fill('+33650000001');
    await page.getByLabel('Phone number').press('Enter');

    // Assert
    await page.locator('#subscriber-title', { hasText: 'DEMO-LUCAS' }).waitFor();
    const roaming = page.locator('[data-bucket="roaming"]');
    await expect.poll(() => roaming.locator('.barred').innerText()).toMatch(/^Data roaming BARRED since 2026-09-10 12:00/);
    expect(await roaming.innerText()).toContain('of cap EUR 50.00');
    const capMessage = page.locator('#audit tr', { hasText: 'ROAMING_CAP_REACHED (sms)' });
    expect(await capMessage.innerText()).toContain('Pour continuer à 0,50 €/Mo, répondez CONTINUER');
    expect(await page.locator('#audit tr', { hasText: 'BAR_DATA_ROAMING' }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('support-console-barred.png'), fullPage: true });
  });

  it('records consent to continue with the keyboard, and shows the bar lifted and the audit entry', async () => {
    // Act: every field reached and submitted from the keyboard.
    await page.getByLabel('Reason (kept in the audit trail)').first().fill('caller asked to continue, ticket 4712');
    await page.getByRole('button', { name: 'Record consent' }).focus();
    await page.keyboard.press('Enter');

    // Assert
    await expect.poll(() => page.locator('#status').innerText(), { timeout: 60_000 }).toBe('Consent recorded: roaming data may continue this period.');
    const roaming = page.locator('[data-bucket="roaming"]');
    expect(await roaming.locator('[data-bar="none"]').innerText()).toBe('Not barred');
    expect(await roaming.innerText()).toContain('Consent to continue given this period.');
    await expect.poll(() => page.locator('#audit tr', { hasText: 'UNBAR_DATA_ROAMING' }).count()).toBe(1);
    // The consent itself is in the trail: who changed what, the consent statement and the agent's reason.
    const choice = page.locator('#audit tr[data-type="CHOICE_CHANGED"]', { hasText: 'ticket 4712' });
    expect(await choice.count()).toBe(1);
    expect(await choice.innerText()).toMatch(/CHOICE_CHANGED by operator[\s\S]*consent: /);
    await page.screenshot({ path: screenshotPath('support-console.png'), fullPage: true });
  });

  it('says what is wrong when a limit is not an amount, without calling the API', async () => {
    await page.getByLabel('New limit, EUR').fill('lots');
    await page.getByLabel('Reason (kept in the audit trail)').nth(1).fill('subscriber asked');
    await page.getByRole('button', { name: 'Change limit' }).click({ noWaitAfter: true });
    // The browser's own check (pattern) stops the form first: the field is marked invalid.
    expect(await page.getByLabel('New limit, EUR').evaluate((e) => (e as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
  });
});
