/**
 * The one place where money is multiplied by a fraction: converting into the settlement currency
 * at a quote's rate, and taking a percentage fee. Both round the same way — to the nearest minor
 * unit, halves away from zero — in exact integer arithmetic (BigInt over the rate's decimal
 * digits), never in floating point.
 *
 * A refund or dispute is converted cumulatively (see {@link convertShare}): its amount is the
 * difference between the converted totals after and before it, so the parts of a charge always add
 * up to exactly the converted charge, whatever the rounding of each part.
 */
import { currencyInfo } from '../money.js';

/** A positive decimal written in digits ("0.1385", "7.2", "12"): its digits and its scale. */
function decimal(value: string): { digits: bigint; scale: number } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new Error(`not a plain decimal: ${value}`);
  const frac = m[2] ?? '';
  return { digits: BigInt(m[1]! + frac), scale: frac.length };
}

/** num / den rounded to the nearest integer, halves away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  if (den < 0n) return divRound(-num, -den);
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + den) / (2n * den);
  return neg ? -q : q;
}

export function isDecimal(value: string): boolean {
  return /^\d+(?:\.\d+)?$/.test(value.trim());
}

/**
 * `amount` minor units of `from` in minor units of `to`, at `rate` units of `to` per unit of
 * `from` (a quote's quotePrice); the currencies' exponents differ (JPY 0, USD 2).
 */
export function convert(amount: number, from: string, to: string, rate: string): number {
  if (from === to) return amount;
  const { digits, scale } = decimal(rate);
  const fromExp = currencyInfo(from)?.exponent ?? 2;
  const toExp = currencyInfo(to)?.exponent ?? 2;
  const num = BigInt(amount) * digits * 10n ** BigInt(toExp);
  const den = 10n ** BigInt(scale + fromExp);
  return Number(divRound(num, den));
}

/** The part `amount` of a whole of which `before` was already converted: convert(before + amount) − convert(before). */
export function convertShare(before: number, amount: number, from: string, to: string, rate: string): number {
  return convert(before + amount, from, to, rate) - convert(before, from, to, rate);
}

/** `percent` (a decimal such as "2.9") of `amount`, rounded as above. */
export function percentOf(amount: number, percent: string): number {
  const { digits, scale } = decimal(percent);
  return Number(divRound(BigInt(amount) * digits, 100n * 10n ** BigInt(scale)));
}
