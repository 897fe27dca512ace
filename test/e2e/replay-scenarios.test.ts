import { describe, expect, it } from 'vitest';
import { after, attach, commandsOf, data, EUR, GB, MB, notesOf, periodOf, profile, replay, subscriberOf } from './support/replay-scenario.js';

const SWISS = '22801';
const SPAIN = '21407';
const SHIP = '90112';
const HOME = '20801';

describe('replay scenarios (whole pipeline on the embedded services)', () => {
  it('applies a carrier duplicate once, rejects bad lines with the field at fault, and ignores blank lines', async () => {
    // Arrange
    const first = data('D1', '2026-09-10T08:00:00Z', 10 * MB, HOME, { recordId: 'dup-1', chargeMicros: 0 });
    const lines = [
      attach('D1', '2026-09-10T07:00:00Z', HOME),
      first,
      { ...first }, // the carrier sent the same report twice
      '',
      '{"recordId": "broken", "subscriberId": "D1", ',
      data('D1', '2026-09-10T08:10:00Z', -5, HOME, { recordId: 'neg' }),
      data('GHOST', '2026-09-10T08:20:00Z', MB, HOME, { recordId: 'ghost-1' }),
      '   ',
      data('D1', '2026-09-10T08:30:00Z', 5 * MB, HOME, { recordId: 'ok-2', chargeMicros: 0 }),
      { type: 'attach', eventId: 'att-dup', subscriberId: 'D1', eventTime: '2026-09-10T09:00:00Z', servingPlmn: HOME },
      { type: 'attach', eventId: 'att-dup', subscriberId: 'D1', eventTime: '2026-09-10T09:00:00Z', servingPlmn: HOME },
    ];

    // Act
    const report = await replay([profile('D1')], lines);

    // Assert
    expect(report.version).toBe(1);
    expect(report.eventsRead).toBe(9);
    expect(report.eventsApplied).toBe(4);
    expect(report.duplicates).toBe(2);
    expect(report.rejected.map((r) => r.line)).toEqual([5, 6, 7]);
    expect(report.rejected[0]?.reason).toMatch(/^not valid JSON/);
    expect(report.rejected[1]).toMatchObject({ line: 6, recordId: 'neg' });
    expect(report.rejected[1]?.reason).toContain('volumeBytes');
    expect(report.rejected[2]).toMatchObject({ line: 7, recordId: 'ghost-1' });
    expect(report.rejected[2]?.reason).toContain('unknown subscriber');
    expect(periodOf(report, 'D1', '2026-09-01')).toMatchObject({ dataBytes: 15 * MB, roamingDataBytes: 0 });
    expect(report.subscribers.map((s) => s.subscriberId)).toEqual(['D1']);
  });
});

describe('replay scenarios: time', () => {
  it('puts out-of-order and late events in the period of their eventTime, and sends what they cause at the clock time', async () => {
    // Arrange: the clock reaches 1 October; two late September events then cross 80% of September's cap.
    const lines = [
      attach('L1', '2026-09-29T10:00:00Z', SWISS),
      data('L1', '2026-09-29T11:00:00Z', MB, SWISS, { chargeMicros: 10 * EUR }),
      data('L1', '2026-09-29T10:30:00Z', MB, SWISS, { chargeMicros: 10 * EUR }),
      data('L1', '2026-10-01T08:00:00Z', MB, SWISS, { chargeMicros: 10 * EUR }),
      data('L1', '2026-09-30T12:00:00Z', 2 * MB, SWISS, { chargeMicros: 20 * EUR }),
    ];

    // Act
    const report = await replay([profile('L1')], lines);

    // Assert
    expect(periodOf(report, 'L1', '2026-09-01').roaming).toMatchObject({ chargeMicros: 40 * EUR, billableMicros: 40 * EUR });
    expect(periodOf(report, 'L1', '2026-09-01').roamingDataBytes).toBe(4 * MB);
    expect(periodOf(report, 'L1', '2026-10-01').roaming).toMatchObject({ chargeMicros: 10 * EUR });
    expect(notesOf(report, 'L1')).toEqual([
      'ROAMING_WELCOME@sms@2026-09-29T10:00:00.000Z',
      'ROAMING_SPEND_80@sms@2026-10-01T08:00:00.000Z',
    ]);
    expect(commandsOf(report, 'L1')).toEqual([]);
  });

  it('refuses usage after the bar but applies a late event from before it, which is written off', async () => {
    // Arrange
    const lines = [
      data('K1', '2026-09-10T10:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
      data('K1', '2026-09-10T12:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
      data('K1', '2026-09-10T12:30:00Z', 10 * MB, SWISS, { chargeMicros: 5 * EUR }),
      data('K1', '2026-09-10T11:30:00Z', 10 * MB, SWISS, { chargeMicros: 5 * EUR }),
    ];

    // Act
    const report = await replay([profile('K1')], lines);

    // Assert
    expect(commandsOf(report, 'K1')).toEqual(['BAR_DATA_ROAMING@2026-09-10T12:00:00.000Z']);
    expect(periodOf(report, 'K1', '2026-09-01').roaming).toEqual({
      chargeMicros: 55 * EUR,
      billableMicros: 50 * EUR,
      writtenOffMicros: 5 * EUR,
      blockedBytes: 10 * MB,
      blockedMicros: 5 * EUR,
    });
    expect(report.eventsApplied).toBe(3);
    expect(subscriberOf(report, 'K1').bars).toEqual({ dataRoaming: true, dataOverage: false });
  });

  it('lifts the bar at the next period start (cycle day 15, New York), when any event moves the clock past it', async () => {
    // Arrange: the period 2026-09-15 ends at 2026-10-15 00:00 in New York = 04:00Z.
    const plan = { billingCycleDay: 15, timeZone: 'America/New_York' };
    const lines = [
      data('R1', '2026-10-10T12:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
      data('R1', '2026-10-10T13:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
      data('R1', '2026-10-12T00:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
      data('N1', '2026-10-15T06:00:00Z', MB, HOME, { chargeMicros: 0 }),
      data('R1', '2026-10-15T07:00:00Z', 50 * MB, SWISS, { chargeMicros: 25 * EUR }),
    ];

    // Act
    const report = await replay([profile('R1', { plan }), profile('N1')], lines);

    // Assert
    expect(commandsOf(report, 'R1')).toEqual([
      'BAR_DATA_ROAMING@2026-10-10T13:00:00.000Z',
      'UNBAR_DATA_ROAMING@2026-10-15T04:00:00.000Z',
    ]);
    expect(notesOf(report, 'R1')).toEqual([
      'ROAMING_WELCOME@sms@2026-10-10T12:00:00.000Z',
      'ROAMING_SPEND_80@sms@2026-10-10T13:00:00.000Z',
      'ROAMING_CAP_REACHED@sms@2026-10-10T13:00:00.000Z',
      'CAP_RESET@sms@2026-10-15T04:00:00.000Z',
    ]);
    expect(periodOf(report, 'R1', '2026-09-15').roaming).toEqual({
      chargeMicros: 50 * EUR,
      billableMicros: 50 * EUR,
      writtenOffMicros: 0,
      blockedBytes: 50 * MB,
      blockedMicros: 25 * EUR,
    });
    expect(periodOf(report, 'R1', '2026-10-15').roaming).toMatchObject({ chargeMicros: 25 * EUR, blockedBytes: 0 });
    expect(subscriberOf(report, 'R1').bars).toEqual({ dataRoaming: false, dataOverage: false });
  });

  it('runs nothing after the last event: a bar whose period has not ended yet stays in force', async () => {
    // Arrange
    const lines = [
      data('Z1', '2026-09-28T12:00:00Z', 100 * MB, SWISS, { chargeMicros: 50 * EUR }),
      data('Z1', '2026-09-29T12:00:00Z', 100 * MB, SWISS, { chargeMicros: 50 * EUR }),
    ];

    // Act
    const report = await replay([profile('Z1')], lines);

    // Assert
    expect(commandsOf(report, 'Z1')).toEqual(['BAR_DATA_ROAMING@2026-09-28T12:00:00.000Z']);
    expect(subscriberOf(report, 'Z1').bars.dataRoaming).toBe(true);
    expect(notesOf(report, 'Z1').some((n) => n.startsWith('CAP_RESET'))).toBe(false);
  });
});
