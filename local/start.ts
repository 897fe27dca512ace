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
import { checkPortFree, EXIT_OK, FixableError, integerFlag, parseCommandLine, plural, portInUseMessage, portInUseOf, runCommand } from './cli.js';
import { START_HELP } from './cli-help.js';
import { eventsSummary, mailGist, messageLines, spendCharts, StartingStatus, terminalOf, wrap } from './demo-view.js';
import { RefusalRecorder, spendSeries } from './spend-series.js';
import { startConsoleServer } from './console-server.js';

const out = process.stdout;
const terminal = terminalOf(out);
const { tty, colour, width } = terminal;

const paint = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const cyan = paint('36');

const names = new Map(DEMO_CHARACTERS.map((c) => [c.subscriberId, c.name]));
const nameOf = (id: string): string => names.get(id) ?? id;
const labelOf = (id: string): string => {
  const character = DEMO_CHARACTERS.find((c) => c.subscriberId === id);
  return character === undefined ? id : `${character.name}, ${character.where}`;
};

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
  // The whole text of each message, wrapped under its line: the price and how to continue are the point.
  // An e-mail that repeats the SMS just shown says so instead of repeating it.
  const lastSms = new Map<string, string>();
  runtime.workflows.onNotification((n) => {
    const channel = n.channel === 'sms' ? 'SMS' : n.channel === 'email' ? 'mail' : 'ops';
    const who = n.channel === 'ops' ? `${nameOf(n.subscriberId)} (ops)` : nameOf(n.subscriberId);
    const head = `${clockText(n.at)}  ${who.padEnd(12)} ${channel.padEnd(4)} `;
    const colourOf = n.kind.endsWith('CAP_REACHED') || n.kind === 'BILL_SHOCK_ALERT' ? red : n.kind.endsWith('80') ? yellow : cyan;
    const text = n.channel === 'email' ? mailGist(n.text) : n.text;
    const key = `${n.subscriberId}/${n.kind}`;
    if (n.channel === 'sms') lastSms.set(key, text);
    if (n.channel === 'email' && lastSms.get(key) === text) {
      screen.line(`${head}${colourOf(n.kind)} ${dim('(the same, by e-mail)')}`);
      return;
    }
    screen.line(`${head}${colourOf(n.kind)}`);
    for (const line of messageLines(text, width)) screen.line(dim(line));
  });
  runtime.workflows.onCommand((c) => {
    const lifted = c.command.startsWith('UNBAR');
    const what = c.command.endsWith('ROAMING') ? 'data roaming' : 'out-of-bundle data';
    const text = lifted ? green(`${what} unbarred`) : red(bold(`${what} BARRED`));
    screen.line(`${clockText(c.at)}  ${nameOf(c.subscriberId).padEnd(12)} ${'CMD'.padEnd(4)} ${text} ${dim(`(${c.command})`)}`);
  });
  runtime.quarantine.onReject((r) => {
    const [first, ...rest] = wrap(`${r.reason} (record ${r.recordId ?? '?'})`, width - 23);
    screen.line(`${' '.repeat(12)}  ${yellow('rejected')} ${first ?? ''}`);
    for (const line of rest) screen.line(`${' '.repeat(23)}${line}`);
  });
}

function summaryTable(reports: readonly ReportSubscriber[]): string[] {
  const header = `${'Subscriber'.padEnd(34)}${'no cap'.padStart(8)}${'capped'.padStart(8)}${'written'.padStart(8)}${'msgs'.padStart(5)}  bars at`;
  const lines = [bold(header), dim(`${''.padEnd(34)}${'EUR'.padStart(8)}${'EUR'.padStart(8)}${'off EUR'.padStart(8)}${''.padStart(5)}  the end`)];
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
      `${fit(label, 33).padEnd(34)}${euros(uncapped).padStart(8)}` +
      `${(capped ? green : (s: string) => s)(euros(billed).padStart(8))}${euros(writtenOff).padStart(8)}` +
      `${String(messages).padStart(5)}  ${bars === '' ? dim('none') : red(bars)}`;
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
  out.write(`${bold('spendcap local demo')}: a day of six subscribers, today's rules (EU 2022/612).\n`);
  for (const line of wrap(`Embedded DynamoDB ${emulators.dynamoEndpoint}, Kinesis ${emulators.kinesisEndpoint}.`, width)) out.write(`${dim(line)}\n`);
  out.write(`${dim(`${total} carrier events go onto the stream ${emulators.streamName}; the real ingest`)}\n`);
  out.write(`${dim('handler and policy workflow do the rest. Times are UTC.')}\n\n`);
  describeActivity(runtime, screen);

  const refusedShown = new Set<string>();
  const refusals = new RefusalRecorder();
  const timeline = runtime.timeline({
    profiles: byId,
    network,
    // One event at a time: the demo is small, and its timeline then reads in the order things happen.
    maxWave: 1,
    onRefused: (event) => {
      refusals.refused(event);
      if (refusedShown.has(event.subscriberId)) return;
      refusedShown.add(event.subscriberId);
      screen.line(
        `${clockText(event.eventTime)}  ${nameOf(event.subscriberId).padEnd(12)} ${'NET'.padEnd(4)} ` +
          dim('refused by the network from now on (not billed)'),
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
  const summary = eventsSummary({ read: total, applied: totals.applied, duplicates: totals.duplicates, refused: timeline.counts.refused, rejected: totals.rejected });
  out.write(`\n${wrap(summary, width).join('\n')}\n`);
  const series = await spendSeries({ profiles, settings: runtime.settings, lines: eventLines(DEMO_EVENTS_FILE), refusals });
  out.write(`\n${bold('Spend with and without the cap')}, over the day:\n\n`);
  for (const line of spendCharts(series, reports, profiles, labelOf, terminal)) out.write(`${line}\n`);
  out.write(`\n${dim('Replay your own traffic (see --help):')}\n`);
  out.write(`${dim('  npm run replay -- --subscribers s.json --events e.jsonl --report r.json')}\n`);
}

/** A stream record as Lambda would hand it, arriving at `arrivalMs` (virtual time) when known. */
function arrivingAt(record: KinesisStreamRecord, arrivalMs: number | undefined): KinesisStreamRecord {
  return arrivalMs === undefined ? record : { ...record, kinesis: { ...record.kinesis, approximateArrivalTimestamp: arrivalMs / 1000 } };
}

async function follow(
  runtime: EmulatedRuntime,
  profiles: readonly SubscriberProfile[],
  ports: { readonly kinesis: number; readonly api: number; readonly sbi: number; readonly console: number },
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
    screen.line(dim(`${clockText(timeline.latest)}  ingested ${plural(event.Records.length, 'record')}`));
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
  out.write(`${bold('spendcap local mode')}: following the local stream. Ctrl-C to stop.\n\n`);
  out.write(`  Kinesis   ${emulators.kinesisEndpoint}   stream ${emulators.streamName}\n`);
  out.write(`  DynamoDB  ${emulators.dynamoEndpoint}   tables ${Object.values(emulators.tableNames).join(', ')}\n`);
  out.write(`  API       ${api.url}   self-care and admin API (docs/api.md), no auth locally\n`);
  const supportConsole = await startConsoleServer({ port: ports.console, apiUrl: api.url, now: () => apiClock.now() });
  out.write(`  Console   ${supportConsole.url}   support console (docs/local.md#support-console)\n`);
  const stopRealtime = await startLocalRealtime(runtime, ports.sbi, out);
  out.write(`  Region ${emulators.region}; any credentials (e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local).\n\n`);
  out.write(`Subscribers loaded: ${profiles.map((p) => p.subscriberId).join(', ')}. Try:\n\n`);
  // The project's own sender: no AWS CLI needed (and v1 and v2 of it disagree on --data).
  const portFlag = ports.kinesis === 4567 ? '' : ` --kinesis-port ${ports.kinesis}`;
  out.write(`  npm run send-event -- --subscriber DEMO-LUCAS --roaming 22801 --mb 60${portFlag}\n\n`);
  out.write(`Then: curl ${api.url}/v1/self-care/subscribers/DEMO-LUCAS/usage\n`);
  out.write(`  or open the support console, ${supportConsole.url}, and look up +33650000001\n\n`);
  if (mapped !== undefined) {
    // An operator's export through its feed mapping, onto the stream as the file-ingest function would put it.
    const { put, refused } = await putMappedFile(emulators.kinesis, emulators.streamName, mapped.events, mapped.mapping);
    out.write(`${mapped.events}: ${plural(put, 'record')} put on the stream through ${mapped.mapping}, ${plural(refused.length, 'line')} refused\n`);
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
  await supportConsole.close();
  await api.close();
  await poller.stop();
}

async function main(): Promise<number> {
  const values = parseCommandLine(process.argv.slice(2), {
    follow: { type: 'boolean', default: false },
    'kinesis-port': { type: 'string', default: '4567' },
    'dynamo-port': { type: 'string', default: '8000' },
    'api-port': { type: 'string', default: '3000' },
    'sbi-port': { type: 'string', default: '3001' },
    'console-port': { type: 'string', default: '3002' },
    events: { type: 'string' },
    mapping: { type: 'string' },
    subscribers: { type: 'string' },
  });
  if (values === undefined) {
    out.write(`${START_HELP}\n`);
    return EXIT_OK;
  }
  const port = (flag: 'kinesis-port' | 'dynamo-port' | 'api-port' | 'sbi-port' | 'console-port'): number => integerFlag(flag, values[flag], 1, 65_535)!;
  const ports = { kinesis: port('kinesis-port'), dynamo: port('dynamo-port'), api: port('api-port'), sbi: port('sbi-port'), console: port('console-port') };
  const portFlags = {
    'kinesis-port': { port: ports.kinesis, what: 'Kinesis' },
    'dynamo-port': { port: ports.dynamo, what: 'DynamoDB' },
    'api-port': { port: ports.api, what: 'API and console' },
    'sbi-port': { port: ports.sbi, what: 'HTTP/2 charging' },
    'console-port': { port: ports.console, what: 'support console' },
  };
  const profiles = await loadSubscribers(values.subscribers ?? DEMO_SUBSCRIBERS_FILE);
  try {
    // Checked before the slow start-up, so a second copy fails at once with the flag to change.
    if (values.follow) for (const { port: p } of Object.values(portFlags)) await checkPortFree(p);
    const status = new StartingStatus(out, terminal, 'DynamoDB, Kinesis; the policy workflow from the CDK stack');
    let runtime: EmulatedRuntime;
    try {
      runtime = await startLocalRuntime(values.follow ? { kinesisPort: ports.kinesis, dynamoPort: ports.dynamo, keepRejected: false } : {});
    } catch (e: unknown) {
      status.fail();
      throw e;
    }
    status.done('Local pipeline ready');
    try {
      await runtime.putProfiles(profiles);
      const mapped = values.events !== undefined && values.mapping !== undefined ? { events: values.events, mapping: values.mapping } : undefined;
      if (values.follow) await follow(runtime, profiles, ports, mapped);
      else await runDemo(runtime, profiles);
    } finally {
      await runtime.stop();
    }
  } catch (e: unknown) {
    const busy = portInUseOf(e);
    if (busy !== undefined) throw new FixableError(portInUseMessage(busy, portFlags));
    throw e;
  }
  return EXIT_OK;
}

process.exitCode = await runCommand('start', main);
