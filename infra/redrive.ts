/**
 * `npm run redrive`: puts the quarantine's records back through ingest once the cause is fixed, by invoking
 * the deployment's redrive function (stack output `RedriveFunctionName`). A dry run unless `--apply`:
 *
 *   npm run redrive -- --function <name>                          what would happen to up to 100 records
 *   npm run redrive -- --function <name> --reason "unknown subscriber"   only those refused for that reason
 *   npm run redrive -- --function <name> --apply --max 1000       redrive them
 *
 * Credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION). Exit codes: 0 done,
 * 1 the function failed or answered something else than a report, 2 a usage error.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RedriveReport } from '../shared/redrive/redrive-quarantine.js';

export const USAGE = `Usage: npm run redrive -- --function <name or ARN> [--apply] [--max <n>] [--reason <text>] [--region <region>]

Puts quarantined records back through ingest, once the cause of their rejection is fixed (a profile
repaired, a subscriber provisioned, a limit raised). Without --apply it only says what would happen.

  --function  the redrive function (stack output RedriveFunctionName)
  --apply     redrive for real (default: a dry run that changes nothing)
  --max       records to read, 1 to 10000 (default 100)
  --reason    only the records whose rejection reason contains this text
  --region    AWS region (default: AWS_REGION)

Exit codes: 0 done, 1 the function failed, 2 a usage error.`;

export interface RedriveCliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly lambda?: (region: string | undefined) => Pick<LambdaClient, 'send'>;
}

export async function main(argv: readonly string[], io: RedriveCliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        function: { type: 'string' },
        apply: { type: 'boolean', default: false },
        max: { type: 'string', default: '100' },
        reason: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e: unknown) {
    io.err(`redrive: ${e instanceof Error ? e.message : String(e)} (see --help)`);
    return 2;
  }
  if (args.help === true) {
    io.out(USAGE);
    return 0;
  }
  if (args.function === undefined || args.function === '') {
    io.err('redrive: --function is required: the stack output RedriveFunctionName (see --help)');
    return 2;
  }
  const max = Number(args.max);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) {
    io.err(`redrive: --max must be an integer from 1 to 10000 (got "${args.max}")`);
    return 2;
  }
  const payload = { dryRun: args.apply !== true, max, ...(args.reason !== undefined && { reasonContains: args.reason }) };
  const client = (io.lambda ?? ((region) => new LambdaClient(region === undefined ? {} : { region })))(args.region);
  const out = await client.send(
    new InvokeCommand({ FunctionName: args.function, Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const text = out.Payload === undefined ? '' : new TextDecoder().decode(out.Payload);
  if (out.FunctionError !== undefined) {
    io.err(`redrive: the function failed: ${describeFunctionError(text)}`);
    return 1;
  }
  const report = JSON.parse(text) as RedriveReport;
  for (const line of formatReport(report)) io.out(line);
  return 0;
}

export function formatReport(report: RedriveReport): string[] {
  const lines = [report.dryRun ? `Dry run: ${report.read} quarantined record(s) read, nothing changed.` : `${report.read} quarantined record(s) read.`];
  for (const [verdict, count] of Object.entries(report.counts)) if (count > 0) lines.push(`  ${verdict}: ${count}`);
  for (const r of report.records) {
    const detail = r.detail === undefined ? '' : ` (${r.detail})`;
    lines.push(`  ${r.recordId ?? '(no record id)'}  ${r.verdict}${detail}  [quarantined ${r.rejectedAt}: ${r.reason}]`);
  }
  if (report.dryRun && (report.counts['would count'] ?? 0) > 0) lines.push('Run again with --apply to redrive them.');
  return lines;
}

function describeFunctionError(text: string): string {
  try {
    const value = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof value.errorMessage === 'string') return value.errorMessage;
  } catch {
    // not JSON: shown as is
  }
  return text.slice(0, 500);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`redrive: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
