/**
 * Finds raw subscriber identifiers (ids, MSISDNs, e-mail addresses) in log output. Every identifier a test's
 * profile stores read or write is registered (see identifier-scan-setup.ts); any E.164 number or e-mail
 * address is a hit even when no store saw it. Log output is what Powertools writes: JSON lines (log records
 * and EMF metrics), whose every string is scanned.
 */

export interface IdentifierHit {
  /** Which identifier, masked for the report (the test output must not become the leak). */
  readonly identifier: string;
  readonly kind: 'subscriber id' | 'msisdn' | 'email' | 'E.164 number' | 'e-mail address';
  /** The log record's message (or `metrics`), to find the line that leaked. */
  readonly where: string;
}

/** The examples validation messages quote (shared/domain/subscriber-schema.ts), in the words they are quoted with. */
const RULE_EXAMPLES = ['(e.g. +33612345678)'];

const E164 = /\+[1-9][0-9]{7,14}(?![0-9])/;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/;

export class IdentifierScan {
  private readonly known = new Map<string, IdentifierHit['kind']>();
  private pattern: RegExp | undefined;
  /** Log lines scanned so far (so that a run can show it was not vacuous). */
  linesScanned = 0;

  /** Registers an identifier; ids shorter than 3 characters are too common as tokens to scan for. */
  add(value: string | undefined, kind: 'subscriber id' | 'msisdn' | 'email'): void {
    if (value === undefined || value.length < 3 || this.known.has(value)) return;
    this.known.set(value, kind);
    this.pattern = undefined;
  }

  addProfile(profile: unknown): void {
    if (typeof profile !== 'object' || profile === null) return;
    const p = profile as { subscriberId?: unknown; msisdn?: unknown; email?: unknown };
    if (typeof p.subscriberId === 'string') this.add(p.subscriberId, 'subscriber id');
    if (typeof p.msisdn === 'string') this.add(p.msisdn, 'msisdn');
    if (typeof p.email === 'string') this.add(p.email, 'email');
  }

  /** The identifiers in `text` (one output chunk; only its JSON lines are log output). */
  scan(text: string): IdentifierHit[] {
    const hits: IdentifierHit[] = [];
    for (const line of text.split('\n')) {
      const record = logRecordOf(line);
      if (record === undefined) continue;
      this.linesScanned += 1;
      const where = typeof record.message === 'string' ? record.message : '_aws' in record ? 'metrics' : 'log record';
      for (const value of stringsOf(record)) hits.push(...this.hitsIn(value, where));
    }
    return hits;
  }

  private hitsIn(raw: string, where: string): IdentifierHit[] {
    const hits: IdentifierHit[] = [];
    // A validation rule quotes its own example number; that quotation is not a subscriber's number.
    const value = RULE_EXAMPLES.reduce((text, example) => text.split(example).join(''), raw);
    const known = this.knownPattern();
    if (known !== undefined) {
      for (const match of value.matchAll(known)) {
        const identifier = match[1] ?? match[0];
        hits.push({ identifier: masked(identifier), kind: this.known.get(identifier) ?? 'subscriber id', where });
      }
    }
    const number = E164.exec(value);
    if (number !== null) hits.push({ identifier: masked(number[0]), kind: 'E.164 number', where });
    const address = EMAIL.exec(value);
    if (address !== null) hits.push({ identifier: masked(address[0]), kind: 'e-mail address', where });
    return hits;
  }

  private knownPattern(): RegExp | undefined {
    if (this.known.size === 0) return undefined;
    // An identifier as a whole token: not a part of a longer word or number (`sub-1` is not `sub-12`).
    this.pattern ??= new RegExp(
      `(?<![A-Za-z0-9])(${[...this.known.keys()]
        .sort((a, b) => b.length - a.length)
        .map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|')})(?![A-Za-z0-9])`,
      'g',
    );
    return this.pattern;
  }
}

/** A Powertools log record or EMF metrics line; anything else (a test's own output) is not log output. */
function logRecordOf(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return 'level' in record || '_aws' in record ? record : undefined;
  } catch {
    return undefined;
  }
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number') return [];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}

function masked(identifier: string): string {
  return identifier.length <= 4 ? `${identifier.slice(0, 1)}***` : `${identifier.slice(0, 3)}***${identifier.slice(-2)}`;
}
