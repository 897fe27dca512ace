import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wellFormedCarrierEvent } from '../../shared/domain/event-fast-path.js';
import { carrierEventSchema, parseCarrierEvent } from '../../shared/domain/event-schema.js';
import { formatIssues, type ParseResult } from '../../shared/domain/validation.js';
import type { CarrierEvent } from '../../shared/domain/model.js';

/** The schema alone, as parseCarrierEvent decided before it had a fast path. */
function bySchemaAlone(input: Record<string, unknown>): ParseResult<CarrierEvent> {
  const result = carrierEventSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: formatIssues(result.error) };
}

/** Valid values most of the time, and the near misses carriers and bugs produce. */
const shortText = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
    fc.string({ minLength: 0, maxLength: max + 4, unit: 'grapheme' }),
    // Astral characters: two UTF-16 units each, so code points and string length differ around the limits.
    fc.string({ minLength: max / 2 - 1, maxLength: max + 1, unit: fc.constantFrom('😀', '𝔸', 'a') }),
    fc.constantFrom('', 'x'.repeat(max), 'x'.repeat(max + 1)),
    fc.integer(),
    fc.constant(null),
  );
const dateTime = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date('1960-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()) },
  fc.constantFrom(
    '2026-09-10T07:20:00Z',
    '2026-09-10T09:20:00+02:00',
    '2026-09-10T09:20:00.123456-03:30',
    '2026-09-10 07:20:00z',
    '2026-09-10t07:20:00Z',
    '2026-09-10T09:20:00+0200',
    '2026-09-10T09:20:00+02',
    '2026-12-31T23:59:60Z',
    '2026-12-31T23:59:60+01:00',
    '2026-06-30T23:59:60Z',
    '2026-02-29T00:00:00Z',
    '2028-02-29T00:00:00Z',
    '2026-09-10T24:00:00Z',
    '2026-09-10T07:20:00',
    '2026-09-10T07:20:00+24:00',
    '2026-13-10T07:20:00Z',
    '2026-09-10',
    '',
  ),
  fc.string({ maxLength: 30 }),
  fc.integer(),
);
const integer = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10_000_000 }) },
  fc.constantFrom(0, 1, 2),
  fc.constantFrom(0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, -0, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY),
  fc.double(),
  fc.constantFrom('5', null, true),
);
const plmn = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('20801', '22801', '310260', '23415') },
  fc.constantFrom('2080', '2080111', 'abcde', '２０８０１', '20801\n', ' 20801', 20801),
  fc.string({ maxLength: 7 }),
);
const currency = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('EUR', 'USD', 'CHF') }, fc.constantFrom('eur', 'EURO', 'EU', 'EUR\n', 978, null));
const service = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('data', 'voice', 'sms') }, fc.constantFrom('DATA', 'video', '', null, 1));
const type = fc.constantFrom('usage', 'attach', 'Usage', '', null, 1);

/** Each field of either variant, with the values it may take. */
const fields = {
  type,
  recordId: shortText(128),
  eventId: shortText(128),
  subscriberId: shortText(64),
  eventTime: dateTime,
  startTime: dateTime,
  service,
  volumeBytes: integer,
  durationSeconds: integer,
  count: integer,
  servingPlmn: plmn,
  chargeMicros: integer,
  currency,
};
type Field = keyof typeof fields;
const FIELD_NAMES = Object.keys(fields) as Field[];

/** Any subset of the contract's keys (either variant's), a few foreign keys now and then. */
const eventLike = fc
  .record(fields, { requiredKeys: [] })
  .chain((event) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(event) },
      fc.dictionary(fc.constantFrom('msisdn', 'imsi', '__proto__', 'constructor', 'toString', 'Type'), fc.jsonValue(), { maxKeys: 2 }).map((extra) => ({ ...event, ...extra })),
    ),
  );

/** Strings of 1 to `max` code points, around the limit (ASCII and astral) as often as not. */
const keyText = (max: number) =>
  fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('x'.repeat(max), 'x'.repeat(max - 1), '😀'.repeat(max), '😀'.repeat(max / 2), `a${'😀'.repeat(max / 2)}`));

/** Each service with its measure, and attaches: what carriers send; the property then perturbs them. */
const wellFormed = fc.oneof(
  fc.record(
    {
      recordId: keyText(128),
      subscriberId: keyText(64),
      eventTime: dateTime,
      service: fc.constant('data'),
      volumeBytes: fc.integer({ min: 0, max: 2 ** 40 }),
      servingPlmn: plmn,
      chargeMicros: fc.integer({ min: 0, max: 10 ** 9 }),
      currency,
      startTime: dateTime,
      type: fc.constant('usage'),
    },
    { requiredKeys: ['recordId', 'subscriberId', 'eventTime', 'service', 'volumeBytes', 'servingPlmn'] },
  ),
  fc.record(
    {
      recordId: keyText(128),
      subscriberId: keyText(64),
      eventTime: dateTime,
      service: fc.constantFrom('voice', 'sms'),
      durationSeconds: fc.integer({ min: 0, max: 86_400 }),
      count: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(2 ** 53 - 1)),
      servingPlmn: plmn,
    },
    { requiredKeys: ['recordId', 'subscriberId', 'eventTime', 'service', 'servingPlmn'] },
  ),
  fc.record({ type: fc.constant('attach'), eventId: keyText(128), subscriberId: keyText(64), eventTime: dateTime, servingPlmn: plmn }),
);

/** As ingest sees them: parsed from JSON text (own `__proto__` keys included). */
const fromJson = (value: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

function expectSameVerdict(input: Record<string, unknown>): void {
  const expected = bySchemaAlone(input);
  const fast = wellFormedCarrierEvent(input);
  if (fast !== undefined) {
    // Accepted by the fast path: the schema accepts it too, with the same output, field order included.
    expect(expected.ok).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(expected.ok ? expected.value : undefined));
    expect(fast).toStrictEqual(expected.ok ? expected.value : undefined);
  }
  expect(parseCarrierEvent(input)).toStrictEqual(expected);
}

describe('the validation fast path', () => {
  it('agrees with the schema on arbitrary events, near misses and foreign keys included', () => {
    fc.assert(
      fc.property(eventLike, (event) => {
        expectSameVerdict(fromJson(event));
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees with the schema on well-formed events and on each of them with one field changed or removed', () => {
    // One field removed, set to one of its values (near misses included), or a foreign key added.
    const perturbation = fc.oneof(
      fc.constantFrom(...FIELD_NAMES).map((field): [string, unknown] => [field, undefined]),
      fc.constantFrom(...FIELD_NAMES).chain((field) => fields[field].map((value): [string, unknown] => [field, value])),
      fc.jsonValue().map((value): [string, unknown] => ['extra', value]),
    );
    fc.assert(
      fc.property(wellFormed, fc.option(perturbation, { nil: undefined }), (event, change) => {
        const input: Record<string, unknown> = { ...event };
        if (change !== undefined) {
          const [field, value] = change;
          if (value === undefined) delete input[field];
          else input[field] = value;
        }
        expectSameVerdict(fromJson(input));
      }),
      { numRuns: 10_000 },
    );
  });

  it('leaves a key explicitly set to undefined (never JSON) to the schema', () => {
    const event = { recordId: 'r1', subscriberId: 's1', eventTime: '2026-09-10T07:20:00Z', service: 'data', volumeBytes: 1, servingPlmn: '20801', chargeMicros: undefined };
    expect(wellFormedCarrierEvent(event)).toBeUndefined();
    expectSameVerdict(event);
  });

  it('decides the events carriers send without the schema', () => {
    const sent: Array<Record<string, unknown>> = [
      { recordId: 'r1', subscriberId: 's1', eventTime: '2026-09-10T07:20:00.000Z', service: 'data', volumeBytes: 4_000_000, servingPlmn: '22801', chargeMicros: 963 },
      { type: 'usage', recordId: 'r2', subscriberId: 's1', eventTime: '2026-09-10T09:20:00+02:00', startTime: '2026-09-10T09:00:00+02:00', service: 'voice', durationSeconds: 60, servingPlmn: '20801', currency: 'EUR' },
      { recordId: 'r3', subscriberId: 's1', eventTime: '2026-09-10 07:20:00z', service: 'sms', count: 1, servingPlmn: '310260' },
      { type: 'attach', eventId: 'a1', subscriberId: 's1', eventTime: '2026-09-10T07:20:00Z', servingPlmn: '22801' },
    ];
    for (const event of sent) {
      const fast = wellFormedCarrierEvent(event);
      expect(fast).toBeDefined();
      expect(fast).toStrictEqual(bySchemaAlone(event).ok ? (bySchemaAlone(event) as { value: CarrierEvent }).value : 'rejected');
    }
    // The non-canonical time is normalised as the schema normalises it.
    expect(wellFormedCarrierEvent(sent[2]!)).toMatchObject({ eventTime: '2026-09-10T07:20:00Z', currency: 'EUR', type: 'usage' });
  });
});
