/**
 * Numbers of an export read exactly: `0,0250` EUR is 25,000 micros, `1.5` kB is 1,500 bytes, with no
 * float in between (money is integer micros). Decimal text becomes a bigint scaled by a power of ten,
 * then a unit factor and a rounding turn it into a safe integer.
 */

export type Rounding = 'ceil' | 'halfUp';

/** `digits / 10^scale`, with the sign in digits. */
export interface Decimal {
  readonly digits: bigint;
  readonly scale: number;
}

const PLAIN_INTEGER = /^\d{1,15}$/;
const DOT_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const COMMA_DECIMAL = /^([+-]?)(\d*)(?:,(\d*))?$/;

/** Reads `-12.50` (or `-12,50` with separator `,`); undefined when the text is not a decimal number. */
export function parseDecimal(text: string, separator: '.' | ','): Decimal | undefined {
  if (PLAIN_INTEGER.test(text)) return { digits: BigInt(text), scale: 0 };
  const match = (separator === '.' ? DOT_DECIMAL : COMMA_DECIMAL).exec(text);
  if (match === null) return undefined;
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const digits = BigInt(`${whole}${fraction}` || '0');
  return { digits: match[1] === '-' ? -digits : digits, scale: fraction.length };
}

/**
 * `value x factor`, as an integer with the rounding (`ceil` for usage: a started unit counts; `halfUp`
 * for money). Undefined when the result is not a safe integer.
 */
export function scaleToInteger(value: Decimal, factor: bigint, divisor: bigint, rounding: Rounding): number | undefined {
  const numerator = value.digits * factor;
  const denominator = divisor * 10n ** BigInt(value.scale);
  let quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder !== 0n) {
    if (rounding === 'ceil' && remainder > 0n) quotient += 1n;
    if (rounding === 'halfUp') {
      const twice = (remainder < 0n ? -remainder : remainder) * 2n;
      if (twice >= denominator) quotient += remainder > 0n ? 1n : -1n;
    }
  }
  if (quotient > BigInt(Number.MAX_SAFE_INTEGER) || quotient < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(quotient);
}

/** Fast path of the common case (a plain integer times an integer factor) without bigint. */
export function plainIntegerTimes(text: string, factor: number): number | undefined {
  if (!PLAIN_INTEGER.test(text)) return undefined;
  const result = Number(text) * factor;
  return Number.isSafeInteger(result) ? result : undefined;
}
