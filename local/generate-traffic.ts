/**
 * Synthetic traffic for replay benchmarks, load tests and property tests: a subscribers file and an
 * events file, deterministic for a given seed. Shaped like mediation output: sessions of 1-12 interim
 * records per subscriber interleaved on the stream, in eventTime order; about one subscriber in ten takes
 * a trip (EU roam-like-at-home, Europe outside the EU, Maghreb, US, a ship) and attaches there and back;
 * 85% data, the rest voice and SMS; 1% carrier duplicates; 0.5% malformed lines.
 *
 * `edgeCases` turns it into traffic for property tests, where every rule of the replay contract meets every
 * other in a few dozen lines: caps, allowances and limits low enough to be reached in a few records, so
 * bars and their lifts at period starts happen; billing cycle days and time zones of every kind; channels
 * on and off; opted-out caps; records delivered hours to days late (into a period already over);
 * duplicates of older records; lines naming an unknown subscriber. The default traffic does not change
 * with it (the benchmarks' figures stay comparable).
 *
 *   npx tsx local/generate-traffic.ts --events 100000 --subscribers 1000 --out /tmp/traffic
 *   npx tsx local/generate-traffic.ts --edge-cases --events 40 --subscribers 4 --days 50 --travellers 0.6 --seed 7 --out /tmp/case
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface TrafficShape {
  readonly events: number;
  readonly subscribers: number;
  readonly seed?: number;
  /** Days from the first event to the last. @default 30 */
  readonly days?: number;
  /** Share of the subscribers who take one trip abroad. @default 0.1 */
  readonly travellers?: number;
  /** Test traffic where the contract's rules meet (see above). @default false */
  readonly edgeCases?: boolean;
}

export interface TrafficOptions extends TrafficShape {
  readonly out: string;
}

/** Subscribers (subscriber.v1 documents) and event lines of one traffic. */
export interface Traffic {
  readonly profiles: object[];
  readonly lines: Iterable<string>;
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
const HOME_PLMN = '20801';
const DAY_MS = 86_400_000;
/** Sessions open at once: each emits interim usage records a few minutes apart, as mediation does. */
const OPEN_SESSIONS = 64;
const EUR = 1_000_000;
const MB = 1_000_000;
/** Edge cases: cycle days and time zones where period starts fall on every kind of UTC hour. */
const TIME_ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Pacific/Auckland', 'America/Guadeloupe', 'UTC'];
/** Edge cases: records of older usage arrive up to this late. */
const MAX_LATE_MS = 4 * DAY_MS;
/** Edge cases: duplicates re-send one of the last records of this many. */
const RECENT_RECORDS = 40;

interface Session {
  readonly subscriber: number;
  remaining: number;
}

type Trip = { from: number; to: number; plmn: string } | undefined;

/** The traffic of `shape`: profiles at once, lines one by one (a million lines need not be in memory). */
export function trafficOf(shape: TrafficShape): Traffic {
  const rnd = seededRandom(shape.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const edge = shape.edgeCases === true;
  const spanMs = (shape.days ?? 30) * DAY_MS;
  const start = Date.parse('2026-09-01T00:00:00Z');
  const ids: string[] = [];
  const profiles: object[] = [];
  const trips: Trip[] = [];
  for (let i = 0; i < shape.subscribers; i++) {
    const id = `2080100${String(i).padStart(8, '0')}`;
    ids.push(id);
    const from = start + Math.floor(rnd() * spanMs * 0.8);
    trips.push(rnd() < (shape.travellers ?? 0.1) ? { from, to: from + (2 + Math.floor(rnd() * 6)) * DAY_MS, plmn: pick(TRIP_PLMNS) } : undefined);
    const profile = {
      subscriberId: id,
      msisdn: `+336${String(10_000_000 + i).padStart(8, '0')}`,
      locale: i % 3 === 0 ? 'en' : 'fr',
      homePlmn: HOME_PLMN,
      ...(i % 10 === 0 ? { email: `sub${i}@example.org`, notifications: { sms: true, email: true } } : {}),
      ...(i % 25 === 0 ? { roamingCap: { enabled: false } } : {}),
      plan: {
        dataAllowanceBytes: [1, 5, 20, 100][i % 4]! * 1_000_000_000,
        monthlyFeeMicros: 10_000_000 + (i % 4) * 5_000_000,
        billingCycleDay: 1 + (i % 28),
        timeZone: i % 7 === 0 ? 'America/Guadeloupe' : 'Europe/Paris',
      },
    };
    profiles.push(edge ? edgeProfile(profile, i, rnd, pick) : profile);
  }
  return { profiles, lines: eventLines(shape, rnd, pick, ids, trips, start, spanMs) };
}

/** A profile whose caps are reached within a few records, with varied periods and channels. */
function edgeProfile(base: { subscriberId: string; msisdn: string; plan: object }, i: number, rnd: () => number, pick: <T>(list: readonly T[]) => T): object {
  const channels = pick(['sms', 'sms', 'both', 'email', 'none'] as const);
  return {
    subscriberId: base.subscriberId,
    msisdn: base.msisdn,
    locale: rnd() < 0.5 ? 'en' : 'fr',
    homePlmn: HOME_PLMN,
    ...(channels === 'both' || channels === 'email' ? { email: `sub${i}@example.org` } : {}),
    ...(channels !== 'sms' ? { notifications: { sms: channels === 'both', email: channels !== 'none' } } : {}),
    roamingCap: rnd() < 0.15 ? { enabled: false } : { limitMicros: pick([2, 5, 10, 20]) * EUR },
    overageCap: rnd() < 0.15 ? { enabled: false } : { limitMicros: pick([1, 3, 10]) * EUR },
    plan: {
      dataAllowanceBytes: pick([0, 50, 200, 1_000]) * MB,
      monthlyFeeMicros: pick([0, 5, 20]) * EUR,
      billingCycleDay: 1 + Math.floor(rnd() * 28),
      timeZone: pick(TIME_ZONES),
    },
  };
}

function* eventLines(
  shape: TrafficShape,
  rnd: () => number,
  pick: <T>(list: readonly T[]) => T,
  ids: readonly string[],
  trips: readonly Trip[],
  start: number,
  spanMs: number,
): Generator<string> {
  const edge = shape.edgeCases === true;
  const lastPlmn: Array<string | undefined> = ids.map(() => undefined);
  const servingAt = (i: number, timeMs: number): string => {
    const trip = trips[i];
    return trip !== undefined && timeMs >= trip.from && timeMs < trip.to ? trip.plmn : HOME_PLMN;
  };
  const newSession = (): Session => ({ subscriber: Math.floor(rnd() * ids.length), remaining: 1 + Math.floor(rnd() * 12) });
  const sessions: Session[] = Array.from({ length: OPEN_SESSIONS }, newSession);
  const recent: string[] = [];
  for (let n = 0; n < shape.events; n++) {
    const nowMs = start + Math.floor((n / shape.events) * spanMs);
    const slot = Math.floor(rnd() * sessions.length);
    const session = sessions[slot]!;
    const i = session.subscriber;
    const id = ids[i]!;
    // Edge cases: one record in ten reports usage hours to days old (a roaming file, a late mediation batch).
    const late = edge && rnd() < 0.1;
    const timeMs = late ? nowMs - Math.floor(rnd() * MAX_LATE_MS) : nowMs;
    const time = new Date(timeMs).toISOString();
    const servingPlmn = servingAt(i, timeMs);
    const roll = rnd();
    let line: string;
    if (roll < (edge ? 0.04 : 0.005)) {
      const kind = edge ? n % 3 : n % 2;
      line =
        kind === 0
          ? `{"recordId": "bad-${n}", "subscriberId": "${id}"`
          : kind === 1
            ? JSON.stringify({ recordId: `bad-${n}`, subscriberId: id, eventTime: time, service: 'data', volumeBytes: -1, servingPlmn })
            : JSON.stringify({ recordId: `r-${n}`, subscriberId: `unknown-${n}`, eventTime: time, service: 'sms', count: 1, servingPlmn });
    } else if (roll < (edge ? 0.1 : 0.015) && recent.length > 0) {
      // The carrier sent the same report again: the previous one, or (edge cases) one of the last few.
      line = edge ? pick(recent) : recent[recent.length - 1]!;
    } else if (lastPlmn[i] !== servingPlmn && !late) {
      // The phone registers on a new network (arrival abroad, or back home).
      line = JSON.stringify({ type: 'attach', eventId: `a-${n}`, subscriberId: id, eventTime: time, servingPlmn });
      lastPlmn[i] = servingPlmn;
    } else {
      const roaming = servingPlmn !== HOME_PLMN;
      const service = rnd() < 0.85 ? 'data' : rnd() < 0.67 ? 'voice' : 'sms';
      const event: Record<string, unknown> = { recordId: `r-${n}`, subscriberId: id, eventTime: time, service, servingPlmn };
      if (service === 'data') event.volumeBytes = Math.floor(rnd() * (roaming ? 8_000_000 : 60_000_000));
      if (service === 'voice') event.durationSeconds = Math.floor(rnd() * 600);
      if (service === 'sms') event.count = 1;
      if (rnd() < 0.3) event.chargeMicros = Math.floor(rnd() * (roaming ? 3_000_000 : 500_000));
      line = JSON.stringify(event);
      recent.push(line);
      if (recent.length > (edge ? RECENT_RECORDS : 1)) recent.shift();
    }
    session.remaining--;
    if (session.remaining <= 0) sessions[slot] = newSession();
    yield line;
  }
}

/** Writes the traffic of `options` to `subscribers.json` and `events.jsonl` in `options.out`. */
export async function generateTraffic(options: TrafficOptions): Promise<{ subscribersFile: string; eventsFile: string }> {
  const traffic = trafficOf(options);
  mkdirSync(options.out, { recursive: true });
  const subscribersFile = join(options.out, 'subscribers.json');
  const eventsFile = join(options.out, 'events.jsonl');
  writeFileSync(subscribersFile, JSON.stringify(traffic.profiles));
  const out = createWriteStream(eventsFile);
  for (const line of traffic.lines) {
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
      days: { type: 'string', default: '30' },
      travellers: { type: 'string', default: '0.1' },
      'edge-cases': { type: 'boolean', default: false },
    },
  });
  const files = await generateTraffic({
    events: Number(values.events),
    subscribers: Number(values.subscribers),
    out: values.out,
    seed: Number(values.seed),
    days: Number(values.days),
    travellers: Number(values.travellers),
    edgeCases: values['edge-cases'],
  });
  process.stdout.write(`${files.subscribersFile}\n${files.eventsFile}\n`);
}
