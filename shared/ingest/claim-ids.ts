/**
 * How an event key and a record are named in the claims: grouped by subscriber and hour of `eventTime`, and
 * hashed to short ids so that a claims item holds a few dozen keys in the 1 KB that one write unit pays for.
 *
 * The group comes from `eventTime`: a carrier duplicate carries the same `eventTime` as the original (the
 * contract's definition of a duplicate), so both meet in the same group. A record that reuses a `recordId`
 * with another `eventTime` lands in another group and is not recognised as a duplicate.
 *
 * Ids are the first 72 bits of SHA-256, base64url: two different keys of one subscriber's hour, or the
 * original and a duplicate record, get the same id with a probability far below that of a hardware fault.
 */
// One-shot `hash` (Node 20.12+) costs about half of createHash().update().digest() for short keys, once per event.
import { hash } from 'node:crypto';
import { redriveMarkerOf } from './positions.js';

const ID_CHARS = 12;

/** The short id of an event key or of a claim name (a record's or a redrive hold's). */
export function compactIdOf(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, ID_CHARS);
}

/** The claims group of an event: the UTC hour of its `eventTime`, `YYYY-MM-DDTHH`. */
export function claimGroupOf(eventTime: string): string {
  // Validated times are canonical RFC 3339: one in UTC (`...Z`, most carriers' form) already starts with its hour.
  if (eventTime.endsWith('Z') && eventTime.charCodeAt(10) === 84 /* T */) return eventTime.slice(0, 13);
  return new Date(Date.parse(eventTime)).toISOString().slice(0, 13);
}

const MARKER_PREFIX = redriveMarkerOf('');

/**
 * The id of the redrive hold a record's quarantine leaves (marker `Q:<claim name>`), from the id of its
 * claim name: no second hash per event, and a first character (`~`) that no hash id has, so a hold never
 * passes for a claim.
 */
export function holdIdOf(claimId: string): string {
  return `~${claimId.slice(1)}`;
}

/** The id of a redrive marker (`redriveMarkerOf(claimName)`), as `holdIdOf` gives it. */
export function markerIdOf(marker: string): string {
  return holdIdOf(compactIdOf(marker.startsWith(MARKER_PREFIX) ? marker.slice(MARKER_PREFIX.length) : marker));
}
