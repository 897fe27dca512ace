import { spawn } from 'node:child_process';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localKinesisClient } from '../../local/emulators.js';
import { eventually } from './support/eventually.js';

interface UsageBody {
  readonly period: { readonly id: string };
  readonly roaming: { readonly chargeMicros: number; readonly billableMicros: number; readonly writtenOffMicros: number; readonly consent: boolean; readonly bar: object | null };
  readonly audit: ReadonlyArray<{ readonly kind?: string }>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start -- --follow', () => {
  it('processes events put on the local stream with any Kinesis client, serves the self-care API, and stops cleanly on Ctrl-C', async () => {
    // Arrange: free-ish fixed ports, as a user would pass them.
    const kinesisPort = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      resolve(root, 'node_modules/.bin/tsx'),
      ['local/start.ts', '--follow', '--kinesis-port', String(kinesisPort), '--dynamo-port', String(kinesisPort + 1), '--api-port', String(kinesisPort + 2), '--sbi-port', String(kinesisPort + 3)],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    const waitFor = (text: string): Promise<void> =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`timed out waiting for "${text}"; output so far:\n${stdout}`)), 120_000);
        const check = (): void => {
          if (stdout.includes(text)) {
            clearTimeout(timer);
            done();
          }
        };
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        });
        check();
      });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const kinesis = localKinesisClient(`http://127.0.0.1:${kinesisPort}`);
    try {
      await waitFor('following the local stream');
      const events = Array.from({ length: 6 }, (_, i) => ({
        recordId: `follow-${i}`,
        subscriberId: 'DEMO-ANNA',
        eventTime: `2026-09-10T1${i}:00:00Z`,
        service: 'data',
        volumeBytes: 1_000_000,
        servingPlmn: '90112',
      }));

      // Act
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: 'spendcap-usage-events',
          Records: events.map((e) => ({ Data: Buffer.from(JSON.stringify(e)), PartitionKey: e.subscriberId })),
        }),
      );
      await waitFor('data roaming BARRED');
      const api = `http://127.0.0.1:${kinesisPort + 2}`;
      const usage = async () => (await (await fetch(`${api}/v1/self-care/subscribers/DEMO-ANNA/usage`)).json()) as UsageBody;
      // The sixth event is ingested after the bar's workflow, and the SMS is sent after the bar: wait for them.
      const barred = await eventually(
        usage,
        (u) => u.roaming.chargeMicros === 60_000_000 && u.audit.some((e) => e.kind === 'ROAMING_CAP_REACHED'),
        'the sixth event and the cap message',
      );
      const consent = await fetch(`${api}/v1/self-care/subscribers/DEMO-ANNA/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bucket: 'roaming' }),
      });
      await waitFor('ROAMING_RESUMED');
      const resumed = await eventually(usage, (u) => u.roaming.bar === null, 'the bar lifted');
      child.kill('SIGINT');
      const code = await exited;

      // Assert: EUR 10/MB on the ship: the cap is reached by the fifth event.
      expect(stdout).toContain(`Kinesis   http://127.0.0.1:${kinesisPort}`);
      expect(stdout).toContain('aws kinesis put-record');
      expect(stdout).toMatch(/10 Sep 14:00 {2}Anna\s+CMD\s+data roaming BARRED/);
      expect(stdout).toMatch(/Anna\s+SMS\s+ROAMING_CAP_REACHED/);
      // The API (same handlers as in AWS) sees the bar, takes the consent and lifts it.
      expect(stdout).toContain(`API       ${api}`);
      expect(barred.period.id).toBe('2026-09-01');
      // No simulated network in front of the stream here: the sixth event reached the pipeline after the
      // bar and is written off, never billed.
      expect(barred.roaming.chargeMicros).toBe(60_000_000);
      expect(barred.roaming.billableMicros).toBe(50_000_000);
      expect(barred.roaming.writtenOffMicros).toBe(10_000_000);
      expect(barred.roaming.bar).not.toBeNull();
      expect(barred.audit.map((entry) => entry.kind)).toContain('ROAMING_CAP_REACHED');
      expect(consent.status).toBe(200);
      expect(resumed.roaming.consent).toBe(true);
      expect(resumed.roaming.bar).toBeNull();
      expect(code).toBe(0);
    } finally {
      kinesis.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 170_000);
});
