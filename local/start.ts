/**
 * `npm start`: spendcap end to end on a laptop, no AWS account. The demo's carrier events go onto the
 * local Kinesis stream (kinesalite); the local event source mapping hands them to the real ingest
 * handler; crossings start the policy state machine synthesized from the CDK stack; warnings and bars
 * go to the outboxes and the simulated network, which refuses barred usage from then on.
 *
 * `npm start -- --follow` loads the demo subscribers, prints the local endpoints and processes whatever
 * is put on the local stream until Ctrl-C.
 */
import './local-env.js';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { IngestHandler } from '../functions/ingest-events/handler.js';
import type { PolicyWorkflowStarter } from '../shared/ports/policy-workflow.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SubscriberProfile } from '../shared/domain/model.js';
import type { Clock } from '../shared/ports/clock.js';
import { selfCareOnDynamo } from '../shared/selfcare/config.js';
import { startApiServer } from '../shared/selfcare/http-adapter.js';
import { createHandler as createApiHandler } from '../functions/api/handler.js';
import { DEMO_CHARACTERS, DEMO_EVENTS_FILE, DEMO_SUBSCRIBERS_FILE } from './demo/story.js';
import { localLambdaContext } from './kinesis-event.js';
import { eventLines, loadSubscribers } from './replay-input.js';
import { putMappedFile } from './mapped-lines.js';
import { subscriberReports, simulatedNetworkOf } from './replay.js';
import type { ReportSubscriber } from './replay-report.js';
import { startLocalRuntime, type EmulatedRuntime } from './runtime.js';
import { startLocalRealtime } from './realtime-server.js';
import { StreamPoller } from './stream-poller.js';

const out = process.stdout;
const tty = out.isTTY === true;
const colour = tty && process.env.NO_COLOR === undefined;
const width = Math.max(80, Math.min(96, tty ? (out.columns ?? 96) : 96));

const paint = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const cyan = paint('36');

const names = new Map(DEMO_CHARACTERS.map((c) => [c.subscriberId, c.name]));
const nameOf = (id: string): string => names.get(id) ?? id;

/** `10 Sep 13:40` (UTC): the demo's day, in the virtual time of its events. */
function clockText(iso: string | number): string {
  const d = new Date(iso);
  const month = d.toLocaleString('en', { month: 'short', timeZone: 'UTC' });
  return `${String(d.getUTCDate()).padStart(2, ' ')} ${month} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

const euros = (micros: number): string => (micros / 1_000_000).toFixed(2);

function fit(text: string, room: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= room ? flat : `${flat.slice(0, Math.max(0, room - 3))}...`;
}

/** Log lines scroll above a status line that is redrawn in place (terminal only). */
class Screen {
  private status = '';

  line(text: string): void {
    if (tty && this.status !== '') out.write('\r\u001b[K');
    out.write(`${text}\n`);
    if (tty && this.status !== '') out.write(this.status);
  }

  progress(text: string): void {
    if (!tty) return;
    this.status = text;
    out.write(`\r\u001b[K${text}`);
  }

  endProgress(): void {
    if (tty && this.status !== '') out.write('\r\u001b[K');
    this.status = '';
  }
}

function bar(done: number, total: number, size = 24): string {
  const filled = total === 0 ? size : Math.round((done / total) * size);
  return `[${'#'.repeat(filled)}${'.'.repeat(size - filled)}]`;
}

function describeActivity(runtime: EmulatedRuntime, screen: Screen): void {
  runtime.workflows.onNotification((n) => {
    const channel = n.channel === 'sms' ? 'SMS' : n.channel === 'email' ? 'mail' : 'ops';
    const who = n.channel === 'ops' ? `${nameOf(n.subscriberId)} (ops)` : nameOf(n.subscriberId);
    const head = `${clockText(n.at)}  ${who.padEnd(12)} ${channel.padEnd(4)} `;
    const kind = n.kind.padEnd(20);
    const colourOf = n.kind.endsWith('CAP_REACHED') || n.kind === 'BILL_SHOCK_ALERT' ? red : n.kind.endsWith('80') ? yellow : cyan;
    screen.line(`${head}${colourOf(kind)} ${dim(fit(n.text, width - head.length - kind.length - 2))}`);
  });
  runtime.workflows.onCommand((c) => {
    const lifted = c.command.startsWith('UNBAR');
    const what = c.command.endsWith('ROAMING') ? 'data roaming' : 'out-of-bundle data';
    const text = lifted ? green(`${what} barring lifted`) : red(bold(`${what} BARRED`));
    screen.line(`${clockText(c.at)}  ${nameOf(c.subscriberId).padEnd(12)} ${'CMD'.padEnd(4)} ${text} ${dim(`(${c.command} to the carrier)`)}`);
  });
  runtime.quarantine.onReject((r) => {
    screen.line(`${' '.repeat(12)}  ${yellow('rejected')} ${fit(`${r.reason} (record ${r.recordId ?? '?'})`, width - 24)}`);
  });
}

function summaryTable(reports: readonly ReportSubscriber[]): string[] {
  const header = `${'Subscriber'.padEnd(38)}${'no cap'.padStart(10)}${'capped'.padStart(10)}${'written'.padStart(9)}${'msgs'.padStart(6)}  bars at the end`;
  const lines = [bold(header), dim(`${''.padEnd(38)}${'EUR'.padStart(10)}${'EUR'.padStart(10)}${'off EUR'.padStart(9)}`)];
  for (const report of reports) {
    const character = DEMO_CHARACTERS.find((c) => c.subscriberId === report.subscriberId);
    const label = character !== undefined ? `${character.name}, ${character.where}` : report.subscriberId;
    let uncapped = 0;
    let billed = 0;
    let writtenOff = 0;
    for (const p of report.periods) {
      for (const b of [p.roaming, p.overage]) {
        uncapped += b.chargeMicros + b.blockedMicros;
        billed += b.billableMicros;
        writtenOff += b.writtenOffMicros;
      }
    }
    const messages = report.notifications.filter((n) => n.channel !== 'ops').length;
    const bars = [report.bars.dataRoaming ? 'data roaming' : '', report.bars.dataOverage ? 'out-of-bundle' : ''].filter((b) => b !== '').join(', ');
    const capped = billed < uncapped;
    const row =
      `${fit(label, 37).padEnd(38)}${euros(uncapped).padStart(10)}` +
      `${(capped ? green : (s: string) => s)(euros(billed).padStart(10))}${euros(writtenOff).padStart(9)}` +
      `${String(messages).padStart(6)}  ${bars === '' ? dim('none') : red(bars)}`;
    lines.push(row);
  }
  return lines;
}

async function runDemo(runtime: EmulatedRuntime, profiles: readonly SubscriberProfile[]): Promise<void> {
  const screen = new Screen();
  const { emulators } = runtime;
  const byId = new Map(profiles.map((p) => [p.subscriberId, p]));
  const network = simulatedNetworkOf(runtime, byId);
  // The records go through the local stream; each arrives at its line's virtual time (not kinesalite's).
  const arrivals = new Map<string, number>();
  let ingest: IngestHandler | undefined;
  const poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    handler: (event, context) => ingest!({ Records: event.Records.map((r) => arrivingAt(r, arrivals.get(r.kinesis.sequenceNumber))) }, context),
    batchSize: 100,
    idlePollMs: 200,
  });
  await poller.start('TRIM_HORIZON');

  const total = readFileSync(DEMO_EVENTS_FILE, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  out.write(`${bold('spendcap local demo')}: one day of six subscribers, with today's rules (EU 2022/612).\n`);
  out.write(`${dim(`Embedded services: DynamoDB ${emulators.dynamoEndpoint}, Kinesis ${emulators.kinesisEndpoint}.`)}\n`);
  out.write(`${dim(`${total} carrier events go onto the stream ${emulators.streamName}; the real ingest handler`)}\n`);
  out.write(`${dim('and policy workflow do the rest. Times are UTC.')}\n\n`);
  describeActivity(runtime, screen);

  const refusedShown = new Set<string>();
  const timeline = runtime.timeline({
    profiles: byId,
    network,
    // One event at a time: the demo is small, and its timeline then reads in the order things happen.
    maxWave: 1,
    onRefused: (event) => {
      if (refusedShown.has(event.subscriberId)) return;
      refusedShown.add(event.subscriberId);
      screen.line(
        `${clockText(event.eventTime)}  ${nameOf(event.subscriberId).padEnd(12)} ${'NET'.padEnd(4)} ` +
          dim('network refuses barred usage from now on (counted, not charged)'),
      );
    },
    delivery: {
      async deliver(lines, on) {
        const put = await emulators.kinesis.send(
          new PutRecordsCommand({
            StreamName: emulators.streamName,
            Records: lines.map((l) => ({ Data: Buffer.from(l.text), PartitionKey: l.partitionKey })),
          }),
        );
        (put.Records ?? []).forEach((r, i) => {
          const line = lines[i];
          if (r.ShardId === undefined || r.SequenceNumber === undefined || line === undefined) return;
          arrivals.set(r.SequenceNumber, line.arrivalMs);
          on.registerPosition(r.ShardId, r.SequenceNumber, line.clockMs);
        });
        await poller.drain();
      },
    },
  });
  ingest = runtime.ingestWith(timeline.starter);

  for await (const line of eventLines(DEMO_EVENTS_FILE)) {
    await timeline.feed(line);
    screen.progress(`${bar(timeline.counts.read, total)} ${timeline.counts.read}/${total} events  ${clockText(timeline.latest)}`);
    if (!tty && timeline.counts.read % 50 === 0) out.write(`${dim(`... ${timeline.counts.read}/${total} events, ${clockText(timeline.latest)}`)}\n`);
  }
  await timeline.finish();
  screen.endProgress();
  await poller.stop();

  const reports = await subscriberReports(runtime, network, profiles);
  const { totals } = runtime;
  out.write(`\n${bold('What the caps did')} (bill = roaming + out-of-bundle charges of the period):\n\n`);
  for (const row of summaryTable(reports)) out.write(`${row}\n`);
  out.write(
    `\n${total} events read: ${totals.applied} applied, ${totals.duplicates} duplicate, ` +
      `${timeline.counts.refused} refused by the network while barred, ${totals.rejected} rejected.\n`,
  );
  out.write(`${dim('Replay your own traffic: npm run replay -- --subscribers s.json --events e.jsonl --report r.json')}\n`);
}

/** A stream record as Lambda would hand it, arriving at `arrivalMs` (virtual time) when known. */
function arrivingAt(record: KinesisStreamRecord, arrivalMs: number | undefined): KinesisStreamRecord {
  return arrivalMs === undefined ? record : { ...record, kinesis: { ...record.kinesis, approximateArrivalTimestamp: arrivalMs / 1000 } };
}

async function follow(
  runtime: EmulatedRuntime,
  profiles: readonly SubscriberProfile[],
  ports: { readonly kinesis: number; readonly api: number; readonly sbi: number },
  mapped?: { readonly events: string; readonly mapping: string },
): Promise<void> {
  const screen = new Screen();
  const { emulators } = runtime;
  describeActivity(runtime, screen);
  // Events come straight onto the stream here, so no simulated network stands in front of it. The stream's
  // records are lines of the same timeline as the replay's: the clock follows their eventTime, each record
  // arrives at it, and the lifts due by it run before the next batch.
  const byId = new Map(profiles.map((p) => [p.subscriberId, p]));
  const batch = new Map<number, KinesisStreamRecord>();
  let lineNumber = 0;
  let ingest: IngestHandler | undefined;
  const timeline = runtime.timeline({
    profiles: byId,
    delivery: {
      async deliver(lines, on) {
        const records = lines.flatMap((l) => {
          const record = batch.get(l.line);
          if (record === undefined) return [];
          on.registerPosition(record.eventID.split(':')[0] ?? 'shard', record.kinesis.sequenceNumber, l.clockMs);
          return [arrivingAt(record, l.arrivalMs)];
        });
        const response = await ingest!({ Records: records }, localLambdaContext('spendcap-ingest-events'));
        if ((response?.batchItemFailures.length ?? 0) > 0) throw new Error('ingest failed some records; the batch is retried');
      },
    },
  });
  ingest = runtime.ingestWith(timeline.starter);
  const handler = async (event: KinesisStreamEvent) => {
    batch.clear();
    for (const record of event.Records) {
      batch.set(++lineNumber, record);
      await timeline.feed({ line: lineNumber, text: Buffer.from(record.kinesis.data, 'base64').toString('utf8') });
    }
    await timeline.finish();
    screen.line(dim(`${clockText(timeline.latest)}  ingested ${event.Records.length} record(s)`));
    return { batchItemFailures: [] };
  };
  const poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    handler,
    idlePollMs: 500,
  });
  await poller.start('TRIM_HORIZON');
  // The self-care API on the same tables and timeline, as the API function runs them in AWS. Its "now"
  // (current period) is the stream's virtual time once events have moved it, the wall clock before.
  const apiClock: Clock = { now: () => (Number.isFinite(timeline.latest) ? new Date(timeline.latest) : new Date()) };
  const apiStarter: PolicyWorkflowStarter = {
    async start(requests) {
      await timeline.starter.start(requests);
      await timeline.runPending();
    },
  };
  const api = await startApiServer(
    createApiHandler(
      selfCareOnDynamo({
        client: runtime.documents,
        tables: emulators.tableNames,
        workflow: apiStarter,
        clock: apiClock,
        settings: runtime.settings,
        notifier: runtime.workflows.notifications,
      }),
    ),
    { port: ports.api },
  );
  const example = JSON.stringify({
    recordId: 'try-1',
    subscriberId: 'DEMO-LUCAS',
    eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    service: 'data',
    volumeBytes: 60_000_000,
    servingPlmn: '22801',
  });
  out.write(`${bold('spendcap local mode')}: following the local stream. Ctrl-C to stop.\n\n`);
  out.write(`  Kinesis   ${emulators.kinesisEndpoint}   stream ${emulators.streamName}\n`);
  out.write(`  DynamoDB  ${emulators.dynamoEndpoint}   tables ${Object.values(emulators.tableNames).join(', ')}\n`);
  out.write(`  API       ${api.url}   self-care and admin API (docs/api.md), no auth locally\n`);
  const stopRealtime = await startLocalRealtime(runtime, ports.sbi, out);
  out.write(`  Region ${emulators.region}; any credentials (e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local).\n\n`);
  out.write(`Subscribers loaded: ${profiles.map((p) => p.subscriberId).join(', ')}. Try:\n\n`);
  out.write(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws kinesis put-record \\\n` +
      `    --endpoint-url http://127.0.0.1:${ports.kinesis} --region ${emulators.region} \\\n` +
      `    --stream-name ${emulators.streamName} --partition-key DEMO-LUCAS \\\n` +
      `    --cli-binary-format raw-in-base64-out --data '${example}'\n\n`,
  );
  out.write(`Then: curl ${api.url}/v1/self-care/subscribers/DEMO-LUCAS/usage\n\n`);
  if (mapped !== undefined) {
    // An operator's export through its feed mapping, onto the stream as the file-ingest function would put it.
    const { put, refused } = await putMappedFile(emulators.kinesis, emulators.streamName, mapped.events, mapped.mapping);
    out.write(`${mapped.events}: ${put} record(s) put on the stream through ${mapped.mapping}, ${refused.length} line(s) refused\n`);
    for (const r of refused.slice(0, 20)) out.write(`  line ${r.line}: ${r.reason}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  out.write('\nstopping...\n');
  await stopRealtime();
  await api.close();
  await poller.stop();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      follow: { type: 'boolean', default: false },
      'kinesis-port': { type: 'string', default: '4567' },
      'dynamo-port': { type: 'string', default: '8000' },
      'api-port': { type: 'string', default: '3000' },
      'sbi-port': { type: 'string', default: '3001' },
      events: { type: 'string' },
      mapping: { type: 'string' },
      subscribers: { type: 'string' },
    },
    strict: true,
  });
  const kinesisPort = Number(values['kinesis-port']);
  const dynamoPort = Number(values['dynamo-port']);
  const profiles = await loadSubscribers(values.subscribers ?? DEMO_SUBSCRIBERS_FILE);
  const runtime = await startLocalRuntime(values.follow ? { kinesisPort, dynamoPort, keepRejected: false } : {});
  try {
    await runtime.putProfiles(profiles);
    const mapped = values.events !== undefined && values.mapping !== undefined ? { events: values.events, mapping: values.mapping } : undefined;
    if (values.follow) await follow(runtime, profiles, { kinesis: kinesisPort, api: Number(values['api-port']), sbi: Number(values['sbi-port']) }, mapped);
    else await runDemo(runtime, profiles);
  } finally {
    await runtime.stop();
  }
}

await main();
