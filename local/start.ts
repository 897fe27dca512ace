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
import type { KinesisStreamEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SubscriberProfile } from '../shared/domain/model.js';
import { parseCarrierEventJson } from '../shared/domain/event-schema.js';
import type { Clock } from '../shared/ports/clock.js';
import { selfCareOnDynamo } from '../shared/selfcare/config.js';
import { startApiServer } from '../shared/selfcare/http-adapter.js';
import { createHandler as createApiHandler } from '../functions/api/handler.js';
import { DEMO_CHARACTERS, DEMO_EVENTS_FILE, DEMO_SUBSCRIBERS_FILE } from './demo/story.js';
import { Feeder, type Pipeline } from './feeder.js';
import { localLambdaContext } from './kinesis-event.js';
import { eventLines, loadSubscribers } from './replay-input.js';
import { putMappedFile } from './mapped-lines.js';
import { subscriberReports, simulatedNetworkOf } from './replay.js';
import type { ReportSubscriber } from './replay-report.js';
import { startLocalRuntime, type LocalRuntime } from './runtime.js';
import { StreamPoller } from './stream-poller.js';
import { runDueWork } from './virtual-clock.js';

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
class Timeline {
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

function describeActivity(runtime: LocalRuntime, timeline: Timeline): void {
  runtime.workflows.onNotification((n) => {
    const channel = n.channel === 'sms' ? 'SMS' : n.channel === 'email' ? 'mail' : 'ops';
    const who = n.channel === 'ops' ? `${nameOf(n.subscriberId)} (ops)` : nameOf(n.subscriberId);
    const head = `${clockText(n.at)}  ${who.padEnd(12)} ${channel.padEnd(4)} `;
    const kind = n.kind.padEnd(20);
    const colourOf = n.kind.endsWith('CAP_REACHED') || n.kind === 'BILL_SHOCK_ALERT' ? red : n.kind.endsWith('80') ? yellow : cyan;
    timeline.line(`${head}${colourOf(kind)} ${dim(fit(n.text, width - head.length - kind.length - 2))}`);
  });
  runtime.workflows.onCommand((c) => {
    const lifted = c.command.startsWith('UNBAR');
    const what = c.command.endsWith('ROAMING') ? 'data roaming' : 'out-of-bundle data';
    const text = lifted ? green(`${what} barring lifted`) : red(bold(`${what} BARRED`));
    timeline.line(`${clockText(c.at)}  ${nameOf(c.subscriberId).padEnd(12)} ${'CMD'.padEnd(4)} ${text} ${dim(`(${c.command} to the carrier)`)}`);
  });
  runtime.quarantine.onReject((r) => {
    timeline.line(`${' '.repeat(12)}  ${yellow('rejected')} ${fit(`${r.reason} (record ${r.recordId ?? '?'})`, width - 24)}`);
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

async function runDemo(runtime: LocalRuntime, profiles: readonly SubscriberProfile[]): Promise<void> {
  const timeline = new Timeline();
  const { emulators, clock, workflows } = runtime;
  const byId = new Map(profiles.map((p) => [p.subscriberId, p]));
  const network = simulatedNetworkOf(runtime, byId);
  const poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    handler: runtime.ingest,
    batchSize: 100,
    idlePollMs: 200,
  });
  await poller.start('TRIM_HORIZON');

  const total = readFileSync(DEMO_EVENTS_FILE, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  out.write(`${bold('spendcap local demo')}: one day of six subscribers, with today's rules (EU 2022/612).\n`);
  out.write(`${dim(`Embedded services: DynamoDB ${emulators.dynamoEndpoint}, Kinesis ${emulators.kinesisEndpoint}.`)}\n`);
  out.write(`${dim(`${total} carrier events go onto the stream ${emulators.streamName}; the real ingest handler`)}\n`);
  out.write(`${dim('and policy workflow do the rest. Times are UTC.')}\n\n`);
  describeActivity(runtime, timeline);

  const refusedShown = new Set<string>();
  const pipeline: Pipeline = {
    async deliver(lines) {
      await emulators.kinesis.send(
        new PutRecordsCommand({
          StreamName: emulators.streamName,
          Records: lines.map((l) => ({ Data: Buffer.from(l.text), PartitionKey: l.partitionKey })),
        }),
      );
      await poller.drain();
    },
  };
  const feeder = new Feeder({
    clock,
    network,
    profiles: byId,
    pipeline,
    takeDue: (until) => workflows.takeDue(until),
    nextDueMs: () => workflows.nextDueMs(),
    // One event at a time: the demo is small, and its timeline then reads in the order things happen.
    maxWave: 1,
    onRefused: (event) => {
      if (refusedShown.has(event.subscriberId)) return;
      refusedShown.add(event.subscriberId);
      timeline.line(
        `${clockText(event.eventTime)}  ${nameOf(event.subscriberId).padEnd(12)} ${'NET'.padEnd(4)} ` +
          dim('network refuses barred usage from now on (counted, not charged)'),
      );
    },
  });
  workflows.setRequestTime((request) => feeder.timeOf(request));

  for await (const line of eventLines(DEMO_EVENTS_FILE)) {
    await feeder.feed(line);
    timeline.progress(`${bar(feeder.counts.read, total)} ${feeder.counts.read}/${total} events  ${clockText(clock.ms)}`);
    if (!tty && feeder.counts.read % 50 === 0) out.write(`${dim(`... ${feeder.counts.read}/${total} events, ${clockText(clock.ms)}`)}\n`);
  }
  await feeder.finish();
  timeline.endProgress();
  await poller.stop();

  const reports = await subscriberReports(runtime, network, profiles);
  const { totals } = runtime;
  out.write(`\n${bold('What the caps did')} (bill = roaming + out-of-bundle charges of the period):\n\n`);
  for (const row of summaryTable(reports)) out.write(`${row}\n`);
  out.write(
    `\n${total} events read: ${totals.applied} applied, ${totals.duplicates} duplicate, ` +
      `${feeder.counts.refused} refused by the network while barred, ${totals.rejected} rejected.\n`,
  );
  out.write(`${dim('Replay your own traffic: npm run replay -- --subscribers s.json --events e.jsonl --report r.json')}\n`);
}

async function follow(
  runtime: LocalRuntime,
  profiles: readonly SubscriberProfile[],
  kinesisPort: number,
  apiPort: number,
  mapped?: { readonly events: string; readonly mapping: string },
): Promise<void> {
  const timeline = new Timeline();
  const { emulators, clock, workflows } = runtime;
  describeActivity(runtime, timeline);
  // Events come straight onto the stream here, so no simulated network stands in front of it; the
  // clock follows their eventTime and scheduled un-bars run when it passes them.
  // A batch holds many events: each request runs at its crossing event's time (never before the clock
  // as it stood when the batch arrived).
  let batchStart = clock.ms;
  workflows.setRequestTime((request) => Math.max(batchStart, Date.parse(request.at)));
  const handler = async (event: KinesisStreamEvent) => {
    batchStart = clock.ms;
    let latest = clock.ms;
    for (const record of event.Records) {
      const parsed = parseCarrierEventJson(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
      if (parsed.ok) latest = Math.max(latest, Date.parse(parsed.value.eventTime));
    }
    await runDueWork(clock, latest, (until) => workflows.takeDue(until));
    clock.advanceTo(latest);
    const response = await runtime.ingest(event, localLambdaContext('spendcap-ingest-events'));
    timeline.line(dim(`${clockText(clock.ms)}  ingested ${event.Records.length} record(s)`));
    return response;
  };
  const poller = new StreamPoller({
    kinesis: emulators.kinesis,
    streamName: emulators.streamName,
    region: emulators.region,
    handler,
    idlePollMs: 500,
  });
  await poller.start('TRIM_HORIZON');
  // The self-care API on the same tables and workflow, as the API function runs them in AWS. Its "now"
  // (current period) is the stream's virtual time once events have moved it, the wall clock before.
  const apiClock: Clock = { now: () => (clock.ms > 0 ? clock.now() : new Date()) };
  const api = await startApiServer(
    createApiHandler(
      selfCareOnDynamo({
        client: runtime.documents,
        tables: emulators.tableNames,
        workflow: workflows.starter,
        clock: apiClock,
        settings: runtime.settings,
      }),
    ),
    { port: apiPort },
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
  out.write(`  Region ${emulators.region}; any credentials (e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local).\n\n`);
  out.write(`Subscribers loaded: ${profiles.map((p) => p.subscriberId).join(', ')}. Try:\n\n`);
  out.write(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws kinesis put-record \\\n` +
      `    --endpoint-url http://127.0.0.1:${kinesisPort} --region ${emulators.region} \\\n` +
      `    --stream-name ${emulators.streamName} --partition-key DEMO-LUCAS \\\n` +
      `    --cli-binary-format raw-in-base64-out --data '${example}'\n\n`,
  );
  out.write(`Then: curl ${api.url}/subscribers/DEMO-LUCAS/usage\n\n`);
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
    if (values.follow) await follow(runtime, profiles, kinesisPort, Number(values['api-port']), mapped);
    else await runDemo(runtime, profiles);
  } finally {
    await runtime.stop();
  }
}

await main();
