/**
 * Every Lambda entry point goes through `observed` (shared/observability.ts), and through `traced`
 * (shared/tracing.ts) where the function traces its AWS SDK calls: the request id on every log line, the
 * metrics published also when the handler throws, the handler's subsegment closed whatever happens. And
 * the entry points stay thin: parse configuration, build the dependencies once, call a use case.
 */
import type { Context } from 'aws-lambda';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'spendcap-test';
});

import { logger, metrics, MetricUnit, observed } from '../../shared/observability.js';
import { traced, tracer } from '../../shared/tracing.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Lambda's context, as far as the wrappers read it. */
function contextOf(awsRequestId: string): Context {
  return {
    awsRequestId,
    functionName: 'spendcap-test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-3:123456789012:function:spendcap-test-function',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/spendcap-test-function',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON lines written while `run` runs (Powertools' logger and EMF metrics write to stdout and stderr). */
async function stdoutLinesOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    await run().catch(() => undefined);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

afterEach(() => vi.restoreAllMocks());

describe('observed', () => {
  it('publishes the metrics a handler stored before it threw, and rethrows', async () => {
    // Arrange
    const handler = observed(async () => {
      metrics.addMetric('ObservedTestCount', MetricUnit.Count, 3);
      throw new Error('boom');
    });

    // Act
    let thrown: unknown;
    const lines = await stdoutLinesOf(() => handler({}, contextOf('req-throws')).catch((e: unknown) => (thrown = e)));

    // Assert
    expect(thrown).toEqual(new Error('boom'));
    const emf = lines.find((line) => line.ObservedTestCount !== undefined);
    expect(emf?.ObservedTestCount).toBe(3);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('puts the invocation request id on every log line, and the next invocation its own', async () => {
    // Arrange
    const handler = observed(async (event: { n: number }) => {
      logger.info('first line', { n: event.n });
      logger.warn('second line');
      return event.n;
    });

    // Act
    const first = await stdoutLinesOf(() => handler({ n: 1 }, contextOf('req-1')));
    const second = await stdoutLinesOf(() => handler({ n: 2 }, contextOf('req-2')));

    // Assert
    const logs = (lines: Array<Record<string, unknown>>) => lines.filter((l) => typeof l.message === 'string' && String(l.message).endsWith('line'));
    expect(logs(first).map((l) => l.function_request_id)).toEqual(['req-1', 'req-1']);
    expect(logs(second).map((l) => l.function_request_id)).toEqual(['req-2', 'req-2']);
  });

  it('writes nothing for an invocation that stored no metric (no warning about empty metrics)', async () => {
    // Arrange
    const handler = observed(async () => 'done');
    await handler({}, contextOf('req-warm'));

    // Act
    const lines = await stdoutLinesOf(() => handler({}, contextOf('req-quiet')));

    // Assert
    expect(lines).toEqual([]);
  });
});

describe('traced', () => {
  it('runs the handler in its own subsegment, records a thrown error on it, and closes it', async () => {
    // Arrange
    const subsegment = { close: vi.fn() };
    const segment = { addNewSubsegment: vi.fn(() => subsegment) };
    vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    vi.spyOn(tracer, 'getSegment').mockReturnValue(segment as never);
    const setSegment = vi.spyOn(tracer, 'setSegment').mockImplementation(() => undefined);
    vi.spyOn(tracer, 'annotateColdStart').mockImplementation(() => undefined);
    vi.spyOn(tracer, 'addServiceNameAnnotation').mockImplementation(() => undefined);
    const addError = vi.spyOn(tracer, 'addErrorAsMetadata').mockImplementation(() => undefined);
    const handler = traced(async () => {
      throw new TypeError('bad input');
    });

    // Act
    const outcome = await handler({}, contextOf('req-traced')).catch((e: unknown) => e);

    // Assert
    expect(outcome).toEqual(new TypeError('bad input'));
    expect(segment.addNewSubsegment).toHaveBeenCalledTimes(1);
    expect(addError).toHaveBeenCalledWith(new TypeError('bad input'));
    expect(subsegment.close).toHaveBeenCalledTimes(1);
    expect(setSegment.mock.calls.map(([s]) => s)).toEqual([subsegment, segment]);
  });

  it('runs the handler as it is when tracing is off (outside Lambda)', async () => {
    // Arrange
    const getSegment = vi.spyOn(tracer, 'getSegment');
    const handler = traced(async (event: number) => event + 1);

    // Act
    const result = await handler(41, contextOf('req-untraced'));

    // Assert
    expect(result).toBe(42);
    expect(getSegment).not.toHaveBeenCalled();
  });
});

/** functions/<dir>/handler.ts of every function. */
function entryPoints(): Array<{ dir: string; code: string }> {
  return readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ dir: d.name, code: readFileSync(join(ROOT, 'functions', d.name, 'handler.ts'), 'utf8') }));
}

/** Every module of a function's folder (its handler and the modules next to it). */
function functionFolderCode(dir: string): string {
  const folder = join(ROOT, 'functions', dir);
  return readdirSync(folder)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(folder, f), 'utf8'))
    .join('\n');
}

describe('entry points', () => {
  const entries = entryPoints();

  it('are found (one per function folder)', () => {
    // Assert
    expect(entries.length).toBeGreaterThan(10);
  });

  it.each(entries.map((e) => [e.dir, e.code] as const))('%s: the exported handler is wrapped by observed(...)', (_dir, code) => {
    // Act
    const exported = /export const handler\b[^=]*=\s*([\s\S]*?)\(/.exec(code)?.[1]?.trim();

    // Assert
    expect(exported).toBe('observed');
  });

  it.each(entries.map((e) => [e.dir, e.code] as const))('%s: traces its handler if, and only if, it traces its AWS SDK clients', (dir, code) => {
    // Act
    const tracesClients = functionFolderCode(dir).includes('tracer.captureAWSv3Client(');
    const tracesHandler = /=\s*observed\(\s*traced\(/.test(code);

    // Assert
    expect(tracesHandler).toBe(tracesClients);
  });

  it.each(entries.map((e) => [e.dir] as const))('%s: every AWS SDK client its folder creates is traced', (dir) => {
    // Arrange: the client classes it imports from the AWS SDK, and the DynamoDB client factory.
    const code = functionFolderCode(dir);
    const classes = [...code.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-[\w-]+'/g)]
      .flatMap((m) => (m[1] ?? '').split(','))
      .map((name) => name.replace(/^\s*type\s+/, '').trim())
      .filter((name) => name.endsWith('Client'));
    const creations = new RegExp(`(?<!captureAWSv3Client\\()(?:${[...classes.map((c) => `new ${c}\\(`), 'createDynamoClient\\('].join('|')})`, 'g');

    // Act
    const untraced = code.match(creations) ?? [];

    // Assert
    expect(untraced).toEqual([]);
  });

  it.each(entries.map((e) => [e.dir, e.code] as const))('%s: at most 60 lines (configuration, dependencies, one use case)', (_dir, code) => {
    // Act
    const lines = code.trimEnd().split('\n').length;

    // Assert
    expect(lines).toBeLessThanOrEqual(60);
  });

  it('leave publishing metrics to the wrapper: nothing else calls publishStoredMetrics', () => {
    // Arrange
    const code = [...entries.map((e) => functionFolderCode(e.dir)), readFileSync(join(ROOT, 'shared/sbi/alb-handler.ts'), 'utf8')].join('\n');

    // Act
    const calls = code.match(/publishStoredMetrics\(/g) ?? [];

    // Assert
    expect(calls).toEqual([]);
  });
});
