import { describe, expect, it } from 'vitest';
import { changedStatus, msisdnOfGpsi, statusAt, subscriberIdOfSupi, supiOf } from '../../shared/domain/policy-counters.js';

describe('policy counter status', () => {
  const stored = { status: 'cap-reached' as const, pending: [{ status: 'valid' as const, activationTime: '2026-10-01T00:00:00Z' }], since: '2026-09-10T07:00:00Z' };

  it('reports the bar with the pending lift before the period start', () => {
    expect(statusAt('c', stored, 'valid', Date.parse('2026-09-20T00:00:00Z'))).toEqual({ policyCounterId: 'c', currentStatus: 'cap-reached', pending: stored.pending });
  });

  it('reports the pending status as current once its activation time has come', () => {
    expect(statusAt('c', stored, 'valid', Date.parse('2026-10-01T00:00:00Z'))).toEqual({ policyCounterId: 'c', currentStatus: 'valid', pending: [] });
  });

  it('falls back to what the bars say when no command set the status', () => {
    expect(statusAt('c', undefined, 'cap-reached', 0).currentStatus).toBe('cap-reached');
  });

  it('ignores a command older than the stored status (a late retry)', () => {
    expect(changedStatus(stored, { status: 'valid', pending: [], at: '2026-09-10T06:00:00Z' })).toBeUndefined();
    expect(changedStatus(stored, { status: 'valid', pending: [], at: '2026-09-11T06:00:00Z' })).toEqual({ status: 'valid', pending: [], since: '2026-09-11T06:00:00Z' });
  });
});

describe('subscriber identities', () => {
  it('maps IMSI subscriber ids to SUPIs and back', () => {
    expect(supiOf('208011234567890')).toBe('imsi-208011234567890');
    expect(subscriberIdOfSupi('imsi-208011234567890')).toBe('208011234567890');
    expect(supiOf('DEMO-LUCAS')).toBe('DEMO-LUCAS');
    expect(subscriberIdOfSupi('nai-lucas@example.org')).toBe('nai-lucas@example.org');
  });

  it('reads an MSISDN GPSI as the E.164 number profiles store', () => {
    expect(msisdnOfGpsi('msisdn-33612345678')).toBe('+33612345678');
    expect(msisdnOfGpsi('extid-a@b')).toBeUndefined();
  });
});
