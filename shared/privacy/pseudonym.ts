/**
 * The one pseudonym of a subscriber: what logs, alerts, metric dimensions, execution and schedule names and
 * audit references carry instead of the subscriber id (often an IMSI), the MSISDN or the e-mail address.
 *
 * It is a keyed HMAC-SHA256 of the subscriber id, truncated: `sub-` and 16 lower-case hex digits (64 bits,
 * 20 characters). A plain hash would not do: the id space of an operator (a few million IMSIs or numbers)
 * is small enough to try every candidate in minutes, whereas without the key nobody can compute a single
 * pseudonym. Under one key the same subscriber always gets the same pseudonym, so an operator can match a
 * log line to an alert and to an execution; under another key nothing matches.
 *
 * The key is a deployment secret (Secrets Manager, created by the stack) that each function reads once per
 * container (shared/privacy/pseudonym-key.ts) and installs here with `usePseudonymKey`. Outside Lambda (the
 * local runtime, the replay, tests) the fixed local key below is used: it is public, so local pseudonyms
 * protect nothing and are only stable. Inside Lambda a pseudonym asked for before the key was installed is an
 * error, never a silent fall-back to the public key.
 *
 * Going back from a pseudonym to a subscriber needs the profiles table's `byPseudonym` index and its own
 * permission on the operator API (docs/api.md, "Pseudonym lookup").
 */
import { createHmac } from 'node:crypto';

export const PSEUDONYM_PREFIX = 'sub-';
/** Hex digits kept from the HMAC: 64 bits, so that even ten million subscribers almost surely never share one. */
export const PSEUDONYM_HEX_DIGITS = 16;
/** `sub-` + 16 hex digits. */
export const PSEUDONYM_LENGTH = PSEUDONYM_PREFIX.length + PSEUDONYM_HEX_DIGITS;
export const PSEUDONYM_PATTERN = /^sub-[0-9a-f]{16}$/;

/** The local runtime's key: public, in the source, so that local pseudonyms are stable from run to run. */
export const LOCAL_PSEUDONYM_KEY = 'spendcap-local-pseudonym-key (public: local runtime and tests only)';

/** Shorter keys are refused: the stack generates 64 characters. */
export const MIN_PSEUDONYM_KEY_LENGTH = 32;

let installed: Buffer | undefined;

/**
 * Installs the deployment's key for the rest of the container's life (called once at cold start by
 * `loadPseudonymKey`; tests call it to compare keys). Throws on a key too short to be secret.
 */
export function usePseudonymKey(key: string | Uint8Array): void {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_PSEUDONYM_KEY_LENGTH) {
    throw new Error(`pseudonym key: must be at least ${MIN_PSEUDONYM_KEY_LENGTH} bytes (got ${bytes.length})`);
  }
  installed = bytes;
}

/** Back to the local key (tests). */
export function resetPseudonymKey(): void {
  installed = undefined;
}

export function pseudonymKeyInstalled(): boolean {
  return installed !== undefined;
}

function currentKey(): Buffer {
  if (installed !== undefined) return installed;
  // In Lambda the deployment's key must have been loaded: falling back to the public key there would make
  // every pseudonym of the deployment computable by anyone who reads this file.
  if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new Error('pseudonym key not loaded: bind the pseudonym key secret to this function and await loadPseudonymKey() at cold start');
  }
  return LOCAL_KEY;
}

const LOCAL_KEY = Buffer.from(LOCAL_PSEUDONYM_KEY, 'utf8');

function hmacHex(domain: string, parts: readonly string[]): string {
  // Domain-separated (`subscriber`, `name`) so that a name's digest never equals a pseudonym; parts joined
  // by NUL, which no id or period contains, so that ("ab", "c") and ("a", "bc") differ.
  return createHmac('sha256', currentKey()).update(`${domain}\u0000${parts.join('\u0000')}`).digest('hex');
}

/** The subscriber's pseudonym: `sub-` + 16 hex digits of HMAC-SHA256(key, id). */
export function pseudonymOf(subscriberId: string): string {
  return `${PSEUDONYM_PREFIX}${hmacHex('subscriber', [subscriberId]).slice(0, PSEUDONYM_HEX_DIGITS)}`;
}

/**
 * A keyed digest of several parts (hex, `hexDigits` long, at most 64): the unique tail of a deterministic
 * name (execution, schedule, idempotency key) that includes the subscriber id without revealing it.
 */
export function keyedDigest(parts: readonly string[], hexDigits: number): string {
  if (!Number.isInteger(hexDigits) || hexDigits < 1 || hexDigits > 64) throw new Error(`hexDigits: must be an integer from 1 to 64 (got ${hexDigits})`);
  return hmacHex('name', parts).slice(0, hexDigits);
}

/**
 * `text` with every occurrence of the given identifiers (subscriber id, MSISDN, e-mail address) replaced: a
 * subscriber id by its pseudonym, anything else by `[redacted]`. For error messages that come from outside
 * (a provider's error naming the phone number it refused) before they reach a log or an ops alert.
 */
export function redactIdentifiers(text: string, identifiers: { readonly subscriberId?: string | undefined; readonly others?: readonly (string | undefined)[] }): string {
  let out = text;
  const replace = (value: string | undefined, by: () => string): void => {
    // Very short values (a one-letter test id) would shred ordinary words: ids in the contract are 1 to 64
    // characters, but an id short enough to collide with prose is no identifier worth hiding.
    if (value === undefined || value.length < 4 || !out.includes(value)) return;
    out = out.split(value).join(by());
  };
  for (const other of identifiers.others ?? []) {
    replace(other, () => '[redacted]');
    // E.164 numbers also appear without their `+`.
    if (other?.startsWith('+') === true) replace(other.slice(1), () => '[redacted]');
  }
  const { subscriberId } = identifiers;
  if (subscriberId !== undefined) replace(subscriberId, () => pseudonymOf(subscriberId));
  return out;
}
