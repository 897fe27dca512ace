/**
 * The demo's story: one day (10 September 2026) of six subscribers of a French MVNO on the host
 * network Orange France (20801), with today's rules. Events carry no `chargeMicros`: the deployment's
 * default tariff rates them, as it would for a mediation layer that only reports volumes.
 *
 * - Lucas lives in Annemasse, next to Geneva; his laptop's 4G key latches onto Swisscom (22801):
 *   non-EU roaming at EUR 0.50/MB. In 2009 the same thing cost a subscriber EUR 45,923 (a Belgian
 *   network then). Warned at EUR 40, barred at EUR 50; the rest of his day's sync is refused.
 * - Chloe streams at home far past her 1 GB allowance at EUR 0.04/MB out of bundle, the other 2009
 *   story (EUR 159,212). Warned at 80% and 100% of the allowance, at EUR 40, barred at EUR 50; SMS
 *   and e-mail. One of her usage reports arrives twice from the mediation layer: it counts once.
 * - Elena is on holiday in Spain (Movistar, 21407): roam-like-at-home, her data comes out of her
 *   allowance; a welcome SMS and nothing to pay.
 * - Marc travels in the United States (T-Mobile US, 310260) and opted out of the roaming cap: a
 *   welcome SMS, no warnings, no bar, billed everything; operations get a bill-shock alert.
 * - Anna is on a cruise ship (MCC 901, 90112), where satellite data costs EUR 10/MB: a warning on
 *   connection, then the cap does its job within minutes.
 * - Paul stays at home well inside his allowance: nothing happens, as it should.
 *
 * `npx tsx local/demo/story.ts` rewrites subscribers.json and events.jsonl next to this file.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DemoCharacter {
  readonly subscriberId: string;
  readonly name: string;
  readonly where: string;
}

export const DEMO_CHARACTERS: readonly DemoCharacter[] = [
  { subscriberId: 'DEMO-LUCAS', name: 'Lucas', where: 'Annemasse, on Swisscom (CH)' },
  { subscriberId: 'DEMO-CHLOE', name: 'Chloe', where: 'at home, streaming' },
  { subscriberId: 'DEMO-ELENA', name: 'Elena', where: 'on holiday in Spain' },
  { subscriberId: 'DEMO-MARC', name: 'Marc', where: 'in the US, cap opted out' },
  { subscriberId: 'DEMO-ANNA', name: 'Anna', where: 'on a cruise ship (901)' },
  { subscriberId: 'DEMO-PAUL', name: 'Paul', where: 'at home, light use' },
];

const GB = 1_000_000_000;
const MB = 1_000_000;

export const DEMO_SUBSCRIBERS = [
  {
    subscriberId: 'DEMO-LUCAS',
    msisdn: '+33650000001',
    locale: 'fr',
    homePlmn: '20801',
    plan: { name: 'Forfait 1 Go', dataAllowanceBytes: 1 * GB, monthlyFeeMicros: 15_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
  {
    subscriberId: 'DEMO-CHLOE',
    msisdn: '+33650000002',
    email: 'chloe@example.org',
    locale: 'en',
    homePlmn: '20801',
    notifications: { sms: true, email: true },
    plan: { name: '1 GB', dataAllowanceBytes: 1 * GB, monthlyFeeMicros: 20_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
  {
    subscriberId: 'DEMO-ELENA',
    msisdn: '+33650000003',
    locale: 'en',
    homePlmn: '20801',
    plan: { name: '20 GB', dataAllowanceBytes: 20 * GB, monthlyFeeMicros: 10_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
  {
    subscriberId: 'DEMO-MARC',
    msisdn: '+33650000004',
    locale: 'fr',
    homePlmn: '20801',
    roamingCap: { enabled: false },
    plan: { name: 'Forfait 50 Go', dataAllowanceBytes: 50 * GB, monthlyFeeMicros: 8_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
  {
    subscriberId: 'DEMO-ANNA',
    msisdn: '+33650000005',
    locale: 'fr',
    homePlmn: '20801',
    plan: { name: 'Forfait 5 Go', dataAllowanceBytes: 5 * GB, monthlyFeeMicros: 12_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
  {
    subscriberId: 'DEMO-PAUL',
    msisdn: '+33650000006',
    locale: 'fr',
    homePlmn: '20801',
    plan: { name: 'Forfait 10 Go', dataAllowanceBytes: 10 * GB, monthlyFeeMicros: 10_000_000, billingCycleDay: 1, timeZone: 'Europe/Paris' },
  },
] as const;

type Event = Record<string, string | number>;

const DAY = Date.parse('2026-09-10T06:00:00Z');
const minutes = (m: number): string => new Date(DAY + m * 60_000).toISOString().replace('.000Z', 'Z');

function data(id: string, n: number, minute: number, servingPlmn: string, volumeBytes: number): Event {
  return { recordId: `${id.toLowerCase()}-${n}`, subscriberId: id, eventTime: minutes(minute), service: 'data', volumeBytes, servingPlmn };
}

function attach(id: string, n: number, minute: number, servingPlmn: string): Event {
  return { type: 'attach', eventId: `${id.toLowerCase()}-a${n}`, subscriberId: id, eventTime: minutes(minute), servingPlmn };
}

/** The day's events, in time order (ties in a fixed subscriber order). */
export function demoEvents(): Event[] {
  const events: Array<{ minute: number; order: number; event: Event }> = [];
  const add = (order: number, event: Event): void => {
    events.push({ minute: (Date.parse(String(event.eventTime)) - DAY) / 60_000, order, event });
  };
  // Lucas: 5 MB of background sync every 15 minutes on Swisscom, EUR 2.50 each, for 11 hours.
  add(0, attach('DEMO-LUCAS', 1, 60, '22801'));
  for (let n = 1; n <= 44; n++) add(0, data('DEMO-LUCAS', n, 60 + n * 15, '22801', 5 * MB));
  // Chloe: 50 MB every 10 minutes at home from the evening before bedtime, well past 1 GB.
  for (let n = 1; n <= 64; n++) add(1, data('DEMO-CHLOE', n, 90 + n * 10, '20801', 50 * MB));
  // The mediation layer sends one of her reports twice: it must count once.
  add(1, data('DEMO-CHLOE', 12, 90 + 12 * 10, '20801', 50 * MB));
  // Elena: attaches in Spain, 30 MB an hour of maps and photos.
  add(2, attach('DEMO-ELENA', 1, 30, '21407'));
  for (let n = 1; n <= 10; n++) add(2, data('DEMO-ELENA', n, 30 + n * 60, '21407', 30 * MB));
  // Marc: in the US, opted out; 12 MB every half hour (EUR 6 each).
  add(3, attach('DEMO-MARC', 1, 120, '310260'));
  for (let n = 1; n <= 22; n++) add(3, data('DEMO-MARC', n, 120 + n * 30, '310260', 12 * MB));
  // Anna: on the ship's network, 1 MB of messaging every 20 minutes (EUR 10 each).
  add(4, attach('DEMO-ANNA', 1, 240, '90112'));
  for (let n = 1; n <= 12; n++) add(4, data('DEMO-ANNA', n, 240 + n * 20, '90112', 1 * MB));
  // Paul: 20 MB an hour at home.
  for (let n = 1; n <= 12; n++) add(5, data('DEMO-PAUL', n, n * 60, '20801', 20 * MB));
  return events.sort((a, b) => a.minute - b.minute || a.order - b.order).map((e) => e.event);
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEMO_SUBSCRIBERS_FILE = join(here, 'subscribers.json');
export const DEMO_EVENTS_FILE = join(here, 'events.jsonl');

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DEMO_SUBSCRIBERS_FILE, `${JSON.stringify(DEMO_SUBSCRIBERS, null, 2)}\n`);
  writeFileSync(DEMO_EVENTS_FILE, demoEvents().map((e) => JSON.stringify(e)).join('\n') + '\n');
}
