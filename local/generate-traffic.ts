/**
 * Synthetic traffic for replay benchmarks and load tests: a subscribers file and an events file over
 * one billing month, in eventTime order, deterministic for a given seed. Shaped like mediation output:
 * sessions of 1-12 interim records per subscriber interleaved on the stream; about one subscriber in
 * ten takes a trip (EU roam-like-at-home, Europe outside the EU, Maghreb, US, a ship) and attaches there
 * and back; 85% data, the rest voice and SMS; 1% carrier duplicates; 0.5% malformed lines.
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

/** mulberry32: tiny, fast and deterministic (the same seed gives the same traffic, here and in bench/). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where travellers go: EU (roam-like-at-home), Europe outside the EU, North Africa, the US, a ship. */
const TRIP_PLMNS = ['21407', '26201', '22210', '22801', '23415', '310260', '60400', '90112'];
const MONTH_MS = 30 * 24 * 3600 * 1000;
/** Sessions open at once: each emits interim usage records a few minutes apart, as mediation does. */
const OPEN_SESSIONS = 64;

interface Session {
  readonly subscriber: number;
  remaining: number;
}

export async function generateTraffic(options: TrafficOptions): Promise<{ subscribersFile: string; eventsFile: string }> {
  const rnd = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  mkdirSync(options.out, { recursive: true });
  const start = Date.parse('2026-09-01T00:00:00Z');
  const ids: string[] = [];
  const profiles: object[] = [];
  /** One trip for about one subscriber in ten: [from, to) epoch ms and where. */
  const trips: Array<{ from: number; to: number; plmn: string } | undefined> = [];
  const lastPlmn: Array<string | undefined> = [];
  for (let i = 0; i < options.subscribers; i++) {
    const id = `2080100${String(i).padStart(8, '0')}`;
    ids.push(id);
    lastPlmn.push(undefined);
    const from = start + Math.floor(rnd() * MONTH_MS * 0.8);
    trips.push(rnd() < 0.1 ? { from, to: from + (2 + Math.floor(rnd() * 6)) * 86_400_000, plmn: pick(TRIP_PLMNS) } : undefined);
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

  const newSession = (): Session => ({ subscriber: Math.floor(rnd() * ids.length), remaining: 1 + Math.floor(rnd() * 12) });
  const sessions: Session[] = Array.from({ length: OPEN_SESSIONS }, newSession);
  const out = createWriteStream(eventsFile);
  let previous: string | undefined;
  for (let n = 0; n < options.events; n++) {
    const timeMs = start + Math.floor((n / options.events) * MONTH_MS);
    const time = new Date(timeMs).toISOString();
    const slot = Math.floor(rnd() * sessions.length);
    const session = sessions[slot]!;
    const i = session.subscriber;
    const id = ids[i]!;
    const trip = trips[i];
    const servingPlmn = trip !== undefined && timeMs >= trip.from && timeMs < trip.to ? trip.plmn : '20801';
    const roll = rnd();
    let line: string;
    if (roll < 0.005) {
      line = n % 2 === 0
        ? `{"recordId": "bad-${n}", "subscriberId": "${id}"`
        : JSON.stringify({ recordId: `bad-${n}`, subscriberId: id, eventTime: time, service: 'data', volumeBytes: -1, servingPlmn });
    } else if (roll < 0.015 && previous !== undefined) {
      line = previous; // the carrier sent the same report twice
    } else if (lastPlmn[i] !== servingPlmn) {
      // The phone registers on a new network (arrival abroad, or back home).
      line = JSON.stringify({ type: 'attach', eventId: `a-${n}`, subscriberId: id, eventTime: time, servingPlmn });
      lastPlmn[i] = servingPlmn;
    } else {
      const roaming = servingPlmn !== '20801';
      const service = rnd() < 0.85 ? 'data' : rnd() < 0.67 ? 'voice' : 'sms';
      const event: Record<string, unknown> = { recordId: `r-${n}`, subscriberId: id, eventTime: time, service, servingPlmn };
      if (service === 'data') event.volumeBytes = Math.floor(rnd() * (roaming ? 8_000_000 : 60_000_000));
      if (service === 'voice') event.durationSeconds = Math.floor(rnd() * 600);
      if (service === 'sms') event.count = 1;
      if (rnd() < 0.3) event.chargeMicros = Math.floor(rnd() * (roaming ? 3_000_000 : 500_000));
      line = JSON.stringify(event);
      previous = line;
    }
    session.remaining--;
    if (session.remaining <= 0) sessions[slot] = newSession();
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
