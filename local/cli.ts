/**
 * What every command line of the project shares: `--help`, one-line errors that say how to fix them,
 * the same exit codes, and plurals that read right. A person who mistypes a flag or runs a second copy
 * on the same port should get one sentence, never a stack trace.
 *
 * Exit codes (docs/local.md#exit-codes):
 *   0  done (the help, a report written, Ctrl-C in follow mode)
 *   1  the run failed: an input file missing or invalid, a port in use, a service that failed
 *   2  the command line is wrong: unknown flag, missing or malformed value
 */
import { createServer } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A problem with the command line itself: exit code 2, with a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A problem the person can fix (a file, a port): exit code 1, one line, no stack trace. */
export class FixableError extends Error {
  override readonly name = 'FixableError';
}

/** `1 duplicate`, `2 duplicates`, `1 entry` / `2 entries` (irregular plural given). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? singular : pluralForm}`;
}

/** Collapses a message to one line (errors of libraries often span several). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly, with `--help` / `-h` added. Returns undefined when help was asked (the caller
 * prints its usage and exits 0); throws UsageError for anything node:util rejects.
 */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O): ReturnType<typeof parseArgs<{ options: O; strict: true; args: string[] }>>['values'] | undefined {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  try {
    return parseArgs({ args: [...argv], options, strict: true }).values;
  } catch (e: unknown) {
    throw new UsageError(oneLine(e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e)));
  }
}

/** An integer flag value within bounds, or a UsageError naming the flag. */
export function integerFlag(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max.toLocaleString('en')} (got "${text}")`);
  }
  return value;
}

/** A decimal flag value (`--mb 2.5`), or a UsageError naming the flag. */
export function decimalFlag(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) throw new UsageError(`--${flag} must be a number >= ${min} (got "${text}")`);
  return value;
}

/** The port of an "address in use" error, wherever in the cause chain it sits. */
export function portInUseOf(e: unknown): number | undefined {
  for (let current: unknown = e, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const error = current as { code?: unknown; port?: unknown; message?: unknown; cause?: unknown };
    if (error.code === 'EADDRINUSE') {
      if (typeof error.port === 'number') return error.port;
      const match = typeof error.message === 'string' ? /:(\d+)\s*$/.exec(error.message) : null;
      return match?.[1] === undefined ? 0 : Number(match[1]);
    }
    current = error.cause;
  }
  return undefined;
}

/** "port 4567 is in use (Kinesis): choose another with --kinesis-port 4568, or stop what listens there". */
export function portInUseMessage(port: number, flags: Readonly<Record<string, { readonly port: number; readonly what: string }>>): string {
  const entry = Object.entries(flags).find(([, f]) => f.port === port);
  if (entry === undefined) return `a port is in use (${port}): stop the other process, or choose other ports (see --help)`;
  const [flag, { what }] = entry;
  return `port ${port} is in use (${what}): choose another with --${flag} ${port + 10}, or stop what listens there (is another npm start running?)`;
}

/** Resolves when nothing listens on 127.0.0.1:port (checked before the slow start-up); rejects with EADDRINUSE otherwise. */
export function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/**
 * Runs a command's main function and turns what it throws into an exit code and one line on stderr,
 * prefixed with the command's name. Unexpected errors keep their message (still one line): the stack
 * is shown only with SPENDCAP_DEBUG=1.
 */
export async function runCommand(name: string, main: () => Promise<number | void>, io: CliIo = processIo): Promise<number> {
  try {
    return (await main()) ?? EXIT_OK;
  } catch (e: unknown) {
    if (e instanceof UsageError) {
      io.err(`${name}: ${e.message} (see npm run ${name} -- --help)`.replace('npm run start --', 'npm start --'));
      return EXIT_USAGE;
    }
    if (process.env.SPENDCAP_DEBUG === '1' && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    io.err(`${name}: ${oneLine(e instanceof Error ? e.message : String(e))}`);
    return EXIT_FAILED;
  }
}
