import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command's entry point as `npm run` would, and returns its exit code and output. */
async function run(script: string, args: readonly string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, [script, ...args], { cwd: root, timeout: 150_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (e: unknown) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const COMMANDS = [
  ['start', 'local/start.ts'],
  ['replay', 'local/replay.ts'],
  ['bench', 'bench/run.ts'],
  ['send-event', 'local/send-event.ts'],
  ['redrive', 'infra/redrive.ts'],
] as const;

describe('command lines that explain themselves', () => {
  // One at a time: each loads its whole command (the SDK, the runtime), and CI has two cores for everything.
  it.each(COMMANDS)('%s --help exits 0 with usage and examples, no stack trace', async (_name, script) => {
    const outcome = await run(script, ['--help']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^Usage: npm (start|run [a-z-]+)/);
    expect(outcome.stdout).toContain('Examples:');
    expect(outcome.stdout).toContain('Exit codes: 0');
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  // Every command parses through the same helper (unit-tested); the two entry points that differ are run here.
  it.each([COMMANDS[0], COMMANDS[1]])('%s with an unknown flag exits 2 with one line that points to --help', async (_name, script) => {
    const outcome = await run(script, ['--no-such-flag']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toContain('--no-such-flag');
    expect(outcome.stderr).toContain('--help');
  });

  describe('a busy port', () => {
    let blocker: Server;
    let port: number;

    beforeAll(async () => {
      // Arrange: something already listens where the follow mode's API wants to.
      blocker = createServer();
      await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
      port = (blocker.address() as { port: number }).port;
    });

    afterAll(async () => {
      await new Promise<void>((done) => blocker.close(() => done()));
    });

    it('gives one line naming the flag to change, before the slow start-up, and exits 1', async () => {
      // Act
      const outcome = await run('local/start.ts', ['--follow', '--api-port', String(port), '--kinesis-port', String(port + 1), '--dynamo-port', String(port + 2), '--sbi-port', String(port + 3)]);

      // Assert
      expect(outcome.code).toBe(1);
      const lines = outcome.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} is in use`);
      expect(lines[0]).toContain('--api-port');
      expect(outcome.stdout).not.toContain('Starting');
    });
  });

  it('send-event says to start the pipeline when nothing listens on the Kinesis port', async () => {
    const outcome = await run('local/send-event.ts', ['--subscriber', 'DEMO-LUCAS', '--kinesis-port', '9']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe('send-event: nothing listens on http://127.0.0.1:9: start the pipeline first with npm start -- --follow (or pass --kinesis-port)');
  });

  it('send-event names the field of a bad event on stdin', async () => {
    const child = execFile(tsx, ['local/send-event.ts'], { cwd: root, timeout: 60_000 });
    child.stdin?.end('{"recordId":"x","subscriberId":"DEMO-LUCAS","service":"data","volumeBytes":1,"servingPlmn":"22801"}\n');
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^send-event: not a valid event: .*eventTime/);
  });

});
