import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PcfSimulator, SmfSimulator } from '../../local/sbi-simulator.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start -- --follow: the real-time path', () => {
  it('serves Nchf_ConvergedCharging and Nchf_SpendingLimitControl over h2c to the SMF and PCF simulators', async () => {
    // Arrange
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      resolve(root, 'node_modules/.bin/tsx'),
      ['local/start.ts', '--follow', '--kinesis-port', String(base), '--dynamo-port', String(base + 1), '--api-port', String(base + 2), '--sbi-port', String(base + 3)],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const sbi = `http://127.0.0.1:${base + 3}`;
    const smf = new SmfSimulator(sbi);
    const pcf = new PcfSimulator(sbi);
    try {
      for (let waited = 0; !stdout.includes(`SBI       ${sbi}`); waited += 100) {
        if (waited > 120_000) throw new Error(`no SBI endpoint printed; output so far:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await smf.start();
      await pcf.start();

      // Act: a session roaming in Switzerland, and a PCF subscription for the same subscriber
      const opened = await smf.openSession({ supi: 'DEMO-LUCAS', servingPlmn: '22801', requestedBytes: 5_000_000 });
      const updated = await opened.session?.update(5_000_000, 5_000_000);
      const subscribed = await pcf.subscribe({ supi: 'DEMO-LUCAS' });
      child.kill('SIGINT');
      const code = await exited;

      // Assert
      expect(opened.answer.status).toBe(201);
      expect(opened.session?.lastUnit).toMatchObject({ resultCode: 'SUCCESS', grantedUnit: { totalVolume: 5_000_000 } });
      expect(updated?.status).toBe(200);
      expect(subscribed.status).toBe(201);
      expect(Object.keys(subscribed.body.statusInfos)).toEqual(['spendcap-roaming-cap', 'spendcap-overage-cap']);
      expect(code).toBe(0);
    } finally {
      await smf.stop();
      await pcf.stop();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 170_000);
});
