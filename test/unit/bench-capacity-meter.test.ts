import { describe, expect, it } from 'vitest';
import { writeKindOf } from '../../bench/capacity-meter.js';

describe('writeKindOf', () => {
  it('classifies usage-table writes by sort key, plain or marshalled', () => {
    expect(writeKindOf({ Item: { pk: 's', sk: 'R#U#r1' } })).toBe('claim');
    expect(writeKindOf({ Item: { pk: { S: 's' }, sk: { S: 'P#2026-09-01' } } })).toBe('counters');
    expect(writeKindOf({ Key: { pk: 's', sk: 'STATE' } })).toBe('state');
    expect(writeKindOf({ Item: { subscriberId: 's' } })).toBe('other');
  });
});
