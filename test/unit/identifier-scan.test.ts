/**
 * The scanner behind the no-raw-identifier check of the integration and e2e suites
 * (test/support/identifier-scan-setup.ts): it must find what it is there to find, or that check proves nothing.
 */
import { describe, expect, it } from 'vitest';
import { IdentifierScan } from '../support/identifier-scan.js';

const line = (fields: Record<string, unknown>): string => `${JSON.stringify({ level: 'INFO', message: 'something happened', ...fields })}\n`;

describe('identifier scan of log output', () => {
  it('finds a registered subscriber id, number or address anywhere in a log record, nested or in an error message', () => {
    const scan = new IdentifierScan();
    scan.addProfile({ subscriberId: 'imsi-208150000471337', msisdn: '+33612340001', email: 'ana@example.org' });

    const hits = [
      ...scan.scan(line({ subscriber: 'imsi-208150000471337' })),
      ...scan.scan(line({ error: { message: 'no profile for imsi-208150000471337 in table' } })),
      ...scan.scan(line({ to: ['ana@example.org'] })),
    ];

    expect(hits.map((h) => h.kind)).toEqual(['subscriber id', 'subscriber id', 'email', 'e-mail address']);
    // The report masks what it found: the test output must not become the leak.
    expect(JSON.stringify(hits)).not.toContain('208150000471337');
  });

  it('finds any E.164 number or e-mail address even when no store registered it, and in EMF metrics lines', () => {
    const scan = new IdentifierScan();

    const hits = [...scan.scan(line({ reason: 'SMS to +447700900123 failed' })), ...scan.scan(`${JSON.stringify({ _aws: {}, Subscriber: 'bob@mvno.example' })}\n`)];

    expect(hits.map((h) => `${h.kind} in ${h.where}`)).toEqual(['E.164 number in something happened', 'e-mail address in metrics']);
  });

  it('passes pseudonyms, ids inside longer tokens, non-log output and a rule`s quoted example', () => {
    const scan = new IdentifierScan();
    scan.addProfile({ subscriberId: 'sub-1', msisdn: '+33612345678' });

    const hits = [
      ...scan.scan(line({ subscriber: 'sub-0123456789abcdef', route: 'GET /v1/self-care/subscribers/{id}' })),
      ...scan.scan(line({ execution: 'caps-2026-09-01-sub-12-abc' })),
      ...scan.scan('Subscribers loaded: sub-1, +33612345678\n'),
      ...scan.scan(line({ reason: 'msisdn: must be an E.164 number: + then 7 to 15 digits, the first not 0 (e.g. +33612345678)' })),
    ];

    expect(hits).toEqual([]);
    expect(scan.linesScanned).toBe(3);
  });
});
