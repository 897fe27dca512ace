import { describe, expect, it } from 'vitest';
import { after, attach, commandsOf, data, EUR, MB, notesOf, periodOf, profile, replay, subscriberOf } from './support/replay-scenario.js';

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
  it('puts out-of-order and late events in the period of their eventTime; those of an ended period fire nothing', async () => {
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
    // September had ended when the 80% was crossed: the subscriber cannot act on a month that is over.
    expect(notesOf(report, 'L1')).toEqual(['ROAMING_WELCOME@sms@2026-09-29T10:00:00.000Z']);
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

describe('replay scenarios: caps and channels', () => {
  it('bills everything and neither warns nor bars a subscriber who opted out of the roaming cap', async () => {
    // Arrange
    const lines = Array.from({ length: 12 }, (_, i) => data('O1', after('2026-09-10T08:00:00Z', i * 30), 20 * MB, SWISS, { chargeMicros: 10 * EUR }));

    // Act
    const report = await replay([profile('O1', { roamingCap: { enabled: false } })], lines);

    // Assert
    expect(periodOf(report, 'O1', '2026-09-01').roaming).toEqual({
      chargeMicros: 120 * EUR,
      billableMicros: 120 * EUR,
      writtenOffMicros: 0,
      blockedBytes: 0,
      blockedMicros: 0,
    });
    expect(notesOf(report, 'O1')).toEqual(['ROAMING_WELCOME@sms@2026-09-10T08:00:00.000Z']);
    expect(commandsOf(report, 'O1')).toEqual([]);
    expect(subscriberOf(report, 'O1').bars).toEqual({ dataRoaming: false, dataOverage: false });
  });

  it('warns at 80% and bars at a custom limit of EUR 20', async () => {
    // Arrange
    const lines = Array.from({ length: 12 }, (_, i) => data('C1', after('2026-09-10T08:00:00Z', i * 10), 4 * MB, SWISS, { chargeMicros: 2 * EUR }));

    // Act
    const report = await replay([profile('C1', { roamingCap: { limitMicros: 20 * EUR } })], lines);

    // Assert
    expect(notesOf(report, 'C1')).toEqual([
      'ROAMING_WELCOME@sms@2026-09-10T08:00:00.000Z',
      'ROAMING_SPEND_80@sms@2026-09-10T09:10:00.000Z',
      'ROAMING_CAP_REACHED@sms@2026-09-10T09:30:00.000Z',
    ]);
    expect(commandsOf(report, 'C1')).toEqual(['BAR_DATA_ROAMING@2026-09-10T09:30:00.000Z']);
    expect(periodOf(report, 'C1', '2026-09-01').roaming).toEqual({
      chargeMicros: 20 * EUR,
      billableMicros: 20 * EUR,
      writtenOffMicros: 0,
      blockedBytes: 8 * MB,
      blockedMicros: 4 * EUR,
    });
  });

  it('sends nothing to a subscriber with every channel off, but still bars', async () => {
    // Arrange
    const lines = Array.from({ length: 6 }, (_, i) => data('Q1', after('2026-09-10T08:00:00Z', i * 10), 20 * MB, SWISS, { chargeMicros: 10 * EUR }));

    // Act
    const report = await replay([profile('Q1', { notifications: { sms: false, email: false } })], lines);

    // Assert
    expect(subscriberOf(report, 'Q1').notifications).toEqual([]);
    expect(commandsOf(report, 'Q1')).toEqual(['BAR_DATA_ROAMING@2026-09-10T08:40:00.000Z']);
    expect(periodOf(report, 'Q1', '2026-09-01').roaming).toMatchObject({ chargeMicros: 50 * EUR, blockedMicros: 10 * EUR });
    expect(subscriberOf(report, 'Q1').bars.dataRoaming).toBe(true);
  });

  it('sends e-mail only to a subscriber who chose e-mail, and rates refused home data with the tariff', async () => {
    // Arrange: 100 MB allowance, 40 MB a record, EUR 0.04/MB out of bundle (default tariff), EUR 4 limit.
    const lines = Array.from({ length: 7 }, (_, i) => data('M1', after('2026-09-10T08:00:00Z', i * 10), 40 * MB, HOME));
    const subscriber = profile('M1', {
      email: 'm1@example.org',
      notifications: { sms: false, email: true },
      overageCap: { limitMicros: 4 * EUR },
      plan: { dataAllowanceBytes: 100 * MB },
    });

    // Act
    const report = await replay([subscriber], lines);

    // Assert
    const notes = subscriberOf(report, 'M1').notifications;
    expect(notes.map((n) => n.kind)).toEqual(['DATA_ALLOWANCE_80', 'DATA_ALLOWANCE_100', 'OVERAGE_SPEND_80', 'OVERAGE_CAP_REACHED']);
    expect(new Set(notes.map((n) => `${n.channel} ${n.to}`))).toEqual(new Set(['email m1@example.org']));
    expect(commandsOf(report, 'M1')).toEqual(['BAR_DATA_OVERAGE@2026-09-10T08:40:00.000Z']);
    expect(periodOf(report, 'M1', '2026-09-01')).toMatchObject({ dataBytes: 200 * MB, roamingDataBytes: 0 });
    expect(periodOf(report, 'M1', '2026-09-01').overage).toEqual({
      chargeMicros: 4 * EUR,
      billableMicros: 4 * EUR,
      writtenOffMicros: 0,
      blockedBytes: 80 * MB,
      blockedMicros: 3_200_000,
    });
    expect(subscriberOf(report, 'M1').bars).toEqual({ dataRoaming: false, dataOverage: true });
  });

  it('alerts operations once when accrued charges exceed the bill-shock threshold (EUR 100 minimum)', async () => {
    // Arrange: no monthly fee, so the threshold is the EUR 100 minimum; the roaming cap is off.
    const lines = Array.from({ length: 5 }, (_, i) => data('B1', after('2026-09-10T08:00:00Z', i * 60), 60 * MB, SWISS, { chargeMicros: 30 * EUR }));
    const subscriber = profile('B1', { roamingCap: { enabled: false }, plan: { monthlyFeeMicros: 0 } });

    // Act
    const report = await replay([subscriber], lines);

    // Assert
    const ops = subscriberOf(report, 'B1').notifications.filter((n) => n.channel === 'ops');
    expect(ops.map((n) => `${n.kind}@${new Date(n.at).toISOString()}`)).toEqual(['BILL_SHOCK_ALERT@2026-09-10T11:00:00.000Z']);
    expect(ops[0]?.to).toBe('ops@spendcap.local');
    expect(ops[0]?.text).toContain('120.00');
    expect(ops[0]?.text).toContain('100.00');
    expect(periodOf(report, 'B1', '2026-09-01').roaming.billableMicros).toBe(150 * EUR);
  });

  it('treats Spain as roam-like-at-home: data comes out of the allowance, only the excess is charged', async () => {
    // Arrange
    const lines = [
      attach('E1', '2026-09-10T07:00:00Z', SPAIN),
      ...Array.from({ length: 4 }, (_, i) => data('E1', after('2026-09-10T08:00:00Z', i * 60), 300 * MB, SPAIN)),
    ];

    // Act
    const report = await replay([profile('E1')], lines);

    // Assert
    expect(notesOf(report, 'E1')).toEqual([
      'ROAMING_WELCOME@sms@2026-09-10T07:00:00.000Z',
      'DATA_ALLOWANCE_80@sms@2026-09-10T10:00:00.000Z',
      'DATA_ALLOWANCE_100@sms@2026-09-10T11:00:00.000Z',
    ]);
    const period = periodOf(report, 'E1', '2026-09-01');
    expect(period).toMatchObject({ dataBytes: 1200 * MB, roamingDataBytes: 1200 * MB });
    // 200 MB past the 1 GB allowance at the home price of EUR 0.04/MB.
    expect(period.roaming).toMatchObject({ chargeMicros: 8 * EUR, billableMicros: 8 * EUR });
    expect(commandsOf(report, 'E1')).toEqual([]);
  });

  it('welcomes a subscriber on a ship (MCC 901) with the satellite price, and the cap stops EUR 10/MB data', async () => {
    // Arrange: no chargeMicros, so the default tariff's non-terrestrial price (EUR 10/MB) applies.
    const lines = [
      attach('S1', '2026-09-10T09:00:00Z', SHIP),
      ...Array.from({ length: 7 }, (_, i) => data('S1', after('2026-09-10T09:10:00Z', i * 10), MB, SHIP)),
    ];

    // Act
    const report = await replay([profile('S1', { locale: 'fr' })], lines);

    // Assert
    const welcome = subscriberOf(report, 'S1').notifications[0];
    expect(welcome?.kind).toBe('ROAMING_WELCOME');
    expect(welcome?.text).toContain('10,00');
    expect(notesOf(report, 'S1').slice(1)).toEqual([
      'ROAMING_SPEND_80@sms@2026-09-10T09:40:00.000Z',
      'ROAMING_CAP_REACHED@sms@2026-09-10T09:50:00.000Z',
    ]);
    expect(periodOf(report, 'S1', '2026-09-01').roaming).toEqual({
      chargeMicros: 50 * EUR,
      billableMicros: 50 * EUR,
      writtenOffMicros: 0,
      blockedBytes: 2 * MB,
      blockedMicros: 20 * EUR,
    });
  });
});

describe('replay scenarios: a late event that crosses the cap of a period already over', () => {
  it('is counted and written off in its own period, bars nothing and lifts nothing, the same one at a time and in waves', async () => {
    // Arrange: October's cap bars LB; then a late September event reaches September's cap.
    const subscribers = [profile('LB'), profile('OT')];
    const lines = [
      data('LB', '2026-09-29T10:00:00Z', 80 * MB, SWISS, { chargeMicros: 45 * EUR }),
      data('LB', '2026-10-02T08:00:00Z', 2 * MB, SWISS, { chargeMicros: 60 * EUR }),
      data('OT', '2026-10-02T09:00:00Z', MB, HOME, { chargeMicros: 0 }),
      data('LB', '2026-09-30T10:00:00Z', 20 * MB, SWISS, { chargeMicros: 10 * EUR }),
      data('OT', '2026-10-02T10:00:00Z', MB, HOME, { chargeMicros: 0 }),
      data('LB', '2026-10-02T11:00:00Z', 2 * MB, SWISS, { chargeMicros: 30 * EUR }),
    ];

    // Act
    const oneByOne = await replay(subscribers, lines, { maxWave: 1 });
    const inWaves = await replay(subscribers, lines);

    // Assert
    expect(inWaves).toEqual(oneByOne);
    // One bar, October's; the late September record neither bars again nor lifts it.
    expect(commandsOf(oneByOne, 'LB')).toEqual(['BAR_DATA_ROAMING@2026-10-02T08:00:00.000Z']);
    expect(subscriberOf(oneByOne, 'LB').bars).toEqual({ dataRoaming: true, dataOverage: false });
    expect(periodOf(oneByOne, 'LB', '2026-09-01').roaming).toMatchObject({ chargeMicros: 55 * EUR, billableMicros: 50 * EUR, writtenOffMicros: 5 * EUR });
    // October's later usage is refused by the network, not billed.
    expect(periodOf(oneByOne, 'LB', '2026-10-01').roaming).toMatchObject({ chargeMicros: 60 * EUR, billableMicros: 50 * EUR, blockedMicros: 30 * EUR });
    expect(notesOf(oneByOne, 'LB')).toEqual([
      'ROAMING_WELCOME@sms@2026-09-29T10:00:00.000Z',
      'ROAMING_SPEND_80@sms@2026-09-29T10:00:00.000Z',
      'ROAMING_SPEND_80@sms@2026-10-02T08:00:00.000Z',
      'ROAMING_CAP_REACHED@sms@2026-10-02T08:00:00.000Z',
    ]);
  });
});
