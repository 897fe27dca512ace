/**
 * Synthetic traffic for replay benchmarks and load tests: a subscribers file and an events file with a
 * realistic mix (home data, EU and non-EU roaming, voice, SMS, attaches, carrier duplicates, a few
 * malformed lines), in eventTime order over one billing month. Deterministic for a given seed.
 *
 *   npx tsx local/generate-traffic.ts --events 100000 --subscribers 1000 --out /tmp/traffic
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface TrafficOptions {
  readonly events: number;
  readonly subscribers: number;
  readonly out: string;
  readonly seed?: number;
}

/** mulberry32: small, fast, good enough to shuffle traffic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROAMING_PLMNS = ['21407', '26201', '22210', '22801', '23415', '310260', '60400', '90112'];

export async function generateTraffic(options: TrafficOptions): Promise<{ subscribersFile: string; eventsFile: string }> {
  const rnd = random(options.seed ?? 42);
  mkdirSync(options.out, { recursive: true });
  const ids: string[] = [];
  const profiles: object[] = [];
  for (let i = 0; i < options.subscribers; i++) {
    const id = `2080100${String(i).padStart(8, '0')}`;
    ids.push(id);
    profiles.push({
      subscriberId: id,
      msisdn: `+336${String(10_000_000 + i).padStart(8, '0')}`,
      locale: i % 3 === 0 ? 'en' : 'fr',
      homePlmn: '20801',
      ...(i % 10 === 0 ? { email: `sub${i}@example.org`, notifications: { sms: true, email: true } } : {}),
      ...(i % 25 === 0 ? { roamingCap: { enabled: false } } : {}),
      plan: {
        dataAllowanceBytes: [1, 5, 20, 100][i % 4]! * 1_000_000_000,
        monthlyFeeMicros: 10_000_000 + (i % 4) * 5_000_000,
        billingCycleDay: 1 + (i % 28),
        timeZone: i % 7 === 0 ? 'America/Guadeloupe' : 'Europe/Paris',
      },
    });
  }
  const subscribersFile = join(options.out, 'subscribers.json');
  const eventsFile = join(options.out, 'events.jsonl');
  writeFileSync(subscribersFile, JSON.stringify(profiles));

  const out = createWriteStream(eventsFile);
  const start = Date.parse('2026-09-01T00:00:00Z');
  const span = 30 * 24 * 3600 * 1000;
  let previous: string | undefined;
  for (let n = 0; n < options.events; n++) {
    const time = new Date(start + Math.floor((n / options.events) * span)).toISOString();
    const id = ids[Math.floor(rnd() * ids.length)]!;
    const roll = rnd();
    let line: string;
    if (roll < 0.005) {
      line = n % 2 === 0 ? `{"recordId": "bad-${n}", "subscriberId": "${id}"` : JSON.stringify({ recordId: `bad-${n}`, subscriberId: id, eventTime: time, service: 'data', volumeBytes: -1, servingPlmn: '20801' });
    } else if (roll < 0.015 && previous !== undefined) {
      line = previous; // the carrier sent the same report twice
    } else if (roll < 0.045) {
      line = JSON.stringify({ type: 'attach', eventId: `a-${n}`, subscriberId: id, eventTime: time, servingPlmn: rnd() < 0.5 ? '20801' : ROAMING_PLMNS[Math.floor(rnd() * ROAMING_PLMNS.length)] });
    } else {
      const roaming = rnd() < 0.2;
      const servingPlmn = roaming ? ROAMING_PLMNS[Math.floor(rnd() * ROAMING_PLMNS.length)]! : '20801';
      const service = rnd() < 0.9 ? 'data' : rnd() < 0.5 ? 'voice' : 'sms';
      const event: Record<string, unknown> = { recordId: `r-${n}`, subscriberId: id, eventTime: time, service, servingPlmn };
      if (service === 'data') event.volumeBytes = Math.floor(rnd() * (roaming ? 5_000_000 : 80_000_000));
      if (service === 'voice') event.durationSeconds = Math.floor(rnd() * 600);
      if (service === 'sms') event.count = 1;
      if (rnd() < 0.3) event.chargeMicros = Math.floor(rnd() * 3_000_000);
      line = JSON.stringify(event);
      previous = line;
    }
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { subscribersFile, eventsFile };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '100000' },
      subscribers: { type: 'string', default: '1000' },
      out: { type: 'string', default: 'traffic' },
      seed: { type: 'string', default: '42' },
    },
  });
  const files = await generateTraffic({
    events: Number(values.events),
    subscribers: Number(values.subscribers),
    out: values.out,
    seed: Number(values.seed),
  });
  process.stdout.write(`${files.subscribersFile}\n${files.eventsFile}\n`);
}
