/**
 * The `--help` text of each local command, kept together so they read alike (usage, what it does,
 * flags, examples, exit codes) and so docs/local.md can be checked against them. Lines fit 80 columns.
 */

const EXIT_CODES = `Exit codes: 0 done, 1 the run failed (a file, a port, a service; one line
on stderr says which), 2 the command line is wrong.`;

export const START_HELP = `Usage: npm start [-- --follow] [-- options]

Runs spendcap end to end on this machine (embedded DynamoDB, Kinesis and
Step Functions; no AWS account). Without --follow: a demo day of six
subscribers, then what the caps did, with a chart per subscriber.

  --follow              keep the pipeline running for your own events, serve
                        the self-care API and the support console; Ctrl-C stops
  --kinesis-port <n>    follow mode: Kinesis port (default 4567)
  --dynamo-port <n>     follow mode: DynamoDB port (default 8000)
  --api-port <n>        follow mode: self-care/admin API port (default 3000)
  --sbi-port <n>        follow mode: HTTP/2 charging port (default 3001)
  --console-port <n>    follow mode: support console port (default 3002)
  --subscribers <file>  subscriber profiles (default: the demo's)
  --events <file> --mapping <feed.json>
                        follow mode: put an operator's usage export on the
                        stream through a feed mapping (docs/feeds.md)
  -h, --help            this text

Examples:
  npm start
  npm start -- --follow
  npm start -- --follow --api-port 3100 --kinesis-port 4577
  npm run send-event -- --subscriber DEMO-LUCAS --roaming 22801 --mb 60

${EXIT_CODES}
Colours are off when stdout is not a terminal or NO_COLOR is set.`;

export const REPLAY_HELP = `Usage: npm run replay -- --subscribers <s.json> --events <e.jsonl>
                        --report <r.json> [--html <r.html>] [--wave <n>]
                        [--mapping <feed.json>] [--store <memory|dynalite>]

What would the caps have done with this traffic? Runs the deployment's own
code on the embedded services, on the events' virtual time, and writes a
replay-report.v1 JSON file (docs/contracts/).

  --subscribers <file>  JSON array of subscriber.v1 profiles
  --events <file>       one usage-event.v1 per line (JSON Lines), or an
                        operator's export with --mapping
  --report <file>       where to write the JSON report
  --html <file>         also write a page with spend against the cap over
                        time per subscriber (one file, no network needed)
  --mapping <file>      read --events through this feed mapping (docs/feeds.md)
  --wave <n>            lines per ingest invocation (default 10000; 1 = one
                        event at a time, same report, slower)
  --store <kind>        memory (default) or dynalite: where the pipeline
                        keeps its data (same report, dynalite slower)
  -h, --help            this text

Examples:
  npm run replay -- --subscribers local/demo/subscribers.json \\
    --events local/demo/events.jsonl --report report.json --html report.html
  npm run replay -- --subscribers s.json --events export.csv.gz \\
    --mapping feed.json --report report.json

${EXIT_CODES}`;

export const BENCH_HELP = `Usage: npm run bench [-- --quick] [-- --only <sections>] [-- --json <file>]
                     [-- --replay-events <n>] [-- --replay-store <store>]
                     [-- --replay-scale-events <n>]

Measures speed and cost (throughput, DynamoDB write units, pipeline latency,
replay rate, real-time quota latency) beside a naive design, and prints a
Markdown report (docs/benchmarks.md explains every figure).

  --quick               small sizes, a minute or two (CI, a first look)
  --only <list>         comma-separated sections: cpu, ingest, latency,
                        replay, realtime, bundles, replay-scale (default:
                        all but replay-scale, which takes minutes)
  --json <file>         also write the figures as JSON
  --replay-events <n>   events of the replay section (default 5000)
  --replay-store <s>    store of the replay section: memory or dynalite
  --replay-scale-events <n>
                        events of the replay-scale section (default 1000000)
  -h, --help            this text

Examples:
  npm run bench -- --quick
  npm run bench -- --only cpu,ingest --json bench.json
  npm run bench -- --only replay-scale

Exit codes: 0 every section ran, 1 a section failed (named at the end of the
report), 2 the command line is wrong.`;

export const SEND_EVENT_HELP = `Usage: npm run send-event -- --subscriber <id> [--roaming <mccmnc>]
                            [--mb <n>] [--eur <n>] [options]
       echo '<usage-event.v1 JSON>' | npm run send-event

Puts carrier events on the local stream of \`npm start -- --follow\` (no AWS
CLI needed). With flags it builds one data event; without them it reads
JSON lines from stdin, one event per line. Events are checked against
usage-event.v1 first: a bad one is refused here, with the field named.

  --subscriber <id>     subscriber id (e.g. DEMO-LUCAS)
  --roaming <mccmnc>    serving network when roaming (e.g. 22801, Swisscom);
                        default: the home network --home (20801)
  --home <mccmnc>       the home network (default 20801)
  --mb <n>              data volume in MB (10^6 bytes; default 1)
  --eur <n>             the charge in EUR; default: the tariff rates it
  --time <iso>          eventTime (default: now)
  --record-id <id>      recordId (default: a new one each time)
  --kinesis-port <n>    the follow mode's Kinesis port (default 4567)
  --stream <name>       stream name (default spendcap-usage-events)
  -h, --help            this text

Examples:
  npm run send-event -- --subscriber DEMO-LUCAS --roaming 22801 --mb 5 --eur 2.5
  npm run send-event -- --subscriber DEMO-CHLOE --mb 500
  npm run send-event < my-events.jsonl

${EXIT_CODES}`;
