/**
 * SMS encoding arithmetic (3GPP TS 23.038 / GSM 03.38). A single character outside the GSM-7 default
 * alphabet switches the whole message to UCS-2 and cuts its capacity from 160 to 70 characters, so the
 * notifications are passed through `toGsm7` before they are sent and their cost is counted here.
 */

/** The GSM 03.38 default alphabet (one septet each), in code order. */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: each costs two septets (escape + code). */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

// ESC (0x1B) introduces the extension table: it is not a character a text may contain.
const BASIC = new Set([...GSM7_BASIC].filter((ch) => ch !== '\u001b'));
const EXTENSION = new Set(GSM7_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** Capacity per message: single, and per part of a concatenated message (the UDH takes the rest). */
const CAPACITY = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const;

/** Septets a character costs in GSM-7, or undefined when it is not representable. */
function septets(ch: string): 1 | 2 | undefined {
  if (BASIC.has(ch)) return 1;
  if (EXTENSION.has(ch)) return 2;
  return undefined;
}

export function isGsm7(text: string): boolean {
  for (const ch of text) {
    if (septets(ch) === undefined) return false;
  }
  return true;
}

export function smsEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'GSM-7' : 'UCS-2';
}

/**
 * Number of SMS a text is sent as. Concatenated parts never split an escape sequence (GSM-7) or a
 * surrogate pair (UCS-2), as handsets and SMSCs require, so a part may carry one unit less than its
 * capacity. An empty text is still one (empty) message.
 */
export function smsSegments(text: string): number {
  const encoding = smsEncoding(text);
  const units: number[] = [];
  for (const ch of text) {
    // UCS-2 counts UTF-16 code units: characters outside the BMP take two (a surrogate pair).
    units.push(encoding === 'GSM-7' ? (septets(ch) as number) : ch.length);
  }
  const total = units.reduce((sum, u) => sum + u, 0);
  const capacity = CAPACITY[encoding];
  if (total <= capacity.single) return 1;
  let segments = 1;
  let used = 0;
  for (const u of units) {
    if (used + u > capacity.part) {
      segments += 1;
      used = 0;
    }
    used += u;
  }
  return segments;
}

/** Septets (GSM-7) or UTF-16 code units (UCS-2) the text costs in its encoding. */
export function smsLength(text: string): number {
  const gsm = isGsm7(text);
  let total = 0;
  for (const ch of text) total += gsm ? (septets(ch) as number) : ch.length;
  return total;
}

/**
 * Look-alikes for characters that would force UCS-2. Letters that GSM-7 has (é è ù ì ò à Ç ä ö ñ ü
 * Ä Ö Ñ Ü Å å Æ æ ß Ø ø É) are kept as they are; the others lose their accent.
 */
const REPLACEMENTS: Readonly<Record<string, string>> = {
  // Spaces: Intl's French number format groups digits with U+202F and puts U+00A0 before the currency.
  '\u00a0': ' ',
  '\u202f': ' ',
  '\u2007': ' ',
  '\u2008': ' ',
  '\u2009': ' ',
  '\u200a': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u200b': '',
  '\u2060': '',
  '\ufeff': '',
  // Punctuation.
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u2032': "'",
  '\u00b4': "'",
  '`': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u00ab': '"',
  '\u00bb': '"',
  '\u2039': "'",
  '\u203a': "'",
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u2022': '-',
  '\u00b7': '.',
  '\t': ' ',
  // French letters missing from GSM-7.
  'â': 'a',
  'ê': 'e',
  'ë': 'e',
  'î': 'i',
  'ï': 'i',
  'ô': 'o',
  'û': 'u',
  'ÿ': 'y',
  'ç': 'c',
  'À': 'A',
  'Â': 'A',
  'È': 'E',
  'Ê': 'E',
  'Ë': 'E',
  'Î': 'I',
  'Ï': 'I',
  'Ô': 'O',
  'Ù': 'U',
  'Û': 'U',
  'Ÿ': 'Y',
  'œ': 'oe',
  'Œ': 'OE',
};

const COMBINING_MARKS = /[\u0300-\u036f]/g;

/**
 * Rewrites a text so that it stays GSM-7 where a faithful equivalent exists. Characters without one
 * (e.g. emoji, non-Latin scripts) are left alone: the message is then sent as UCS-2 rather than mangled.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text) {
    if (septets(ch) !== undefined) {
      out += ch;
      continue;
    }
    const replacement = REPLACEMENTS[ch];
    if (replacement !== undefined) {
      out += replacement;
      continue;
    }
    // Other accented Latin letters (country names such as São Tomé): drop the accent when that is enough.
    const stripped = ch.normalize('NFD').replace(COMBINING_MARKS, '');
    out += stripped !== ch && stripped.length > 0 && isGsm7(stripped) ? stripped : ch;
  }
  return out;
}
