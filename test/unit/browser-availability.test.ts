import { afterEach, describe, expect, it, vi } from 'vitest';

/** test/browser/support/chromium.ts reads its environment at import: each case imports it afresh. */
async function availabilityWith(env: Record<string, string | undefined>): Promise<() => boolean> {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { browserAvailable } = await import('../browser/support/chromium.js');
  return browserAvailable;
}

describe('the browser tests run, skip or fail', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fail, naming the install command, when CI requires them and the browser is missing', async () => {
    // Arrange
    const available = await availabilityWith({ CHROMIUM_PATH: '/nonexistent/chromium', SPENDCAP_BROWSER_TESTS: 'required' });

    // Act / Assert
    expect(() => available()).toThrow('/nonexistent/chromium is missing: apt-get install -y chromium');
  });

  it('are skipped with a note on a machine without the browser when nothing requires them', async () => {
    // Arrange
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const available = await availabilityWith({ CHROMIUM_PATH: '/nonexistent/chromium', SPENDCAP_BROWSER_TESTS: undefined });

    // Act
    const result = available();

    // Assert
    expect(result).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('browser tests skipped'));
  });

  it('run where the browser is', async () => {
    // Arrange: any existing executable stands for it
    const available = await availabilityWith({ CHROMIUM_PATH: process.execPath, SPENDCAP_BROWSER_TESTS: 'required' });

    // Act / Assert
    expect(available()).toBe(true);
  });
});
