/**
 * The simulator's exchange rates: TEST RATES, NOT MARKET RATES. Fixed numbers, so a payment's
 * settlement amount is the same in every run and every test can compute it. Each currency's value
 * of one unit in US dollars; a quote between two currencies is the ratio of their values, written
 * with 8 decimals (Antom's quotePrice), and the settlement amount is the payment converted at that
 * quote by core/balances/amounts.ts (the gateway's own rounding rule).
 */
import { convert } from '../core/balances/amounts.js';
import { isoTime, wireAmount, type Json } from './wire.js';

export const TEST_RATES_IN_USD: Readonly<Record<string, string>> = {
  USD: '1',
  EUR: '1.08',
  GBP: '1.27',
  HKD: '0.128',
  CNY: '0.138',
  IDR: '0.000064',
  MYR: '0.213',
  PHP: '0.0175',
  THB: '0.0278',
  SGD: '0.74',
  JPY: '0.0067',
  KRW: '0.00073',
  AUD: '0.66',
  CAD: '0.73',
  CHF: '1.12',
  DKK: '0.145',
  NOK: '0.093',
  NZD: '0.6',
  SEK: '0.095',
};

/** Units of `to` per unit of `from`, 8 decimals; undefined for a currency the table lacks. */
export function testRate(from: string, to: string): string | undefined {
  const a = TEST_RATES_IN_USD[from];
  const b = TEST_RATES_IN_USD[to];
  if (!a || !b) return undefined;
  return (Number(a) / Number(b)).toFixed(8);
}

/** How long a quote holds (Antom's quoteExpiryTime − quoteStartTime). */
const QUOTE_VALID_MS = 24 * 60 * 60 * 1000;

/**
 * grossSettlementAmount and settlementQuote for a payment: from the settlement currency of its pay
 * request (USD when it named none). The quote starts when the payment was created; its id is made
 * from the payment's, so every answer about one payment repeats the same quote.
 */
export function settlementFields(p: { payment_id: string; currency: string; amount: number; created_at: number; request: string }): Json {
  let to = 'USD';
  try {
    const asked = (JSON.parse(p.request) as { settlementStrategy?: { settlementCurrency?: unknown } }).settlementStrategy?.settlementCurrency;
    if (typeof asked === 'string') to = asked;
  } catch { /* the stored request is our own JSON */ }
  if (to === p.currency) return { grossSettlementAmount: wireAmount(to, p.amount) };
  const rate = testRate(p.currency, to);
  if (!rate) return {};
  return {
    grossSettlementAmount: wireAmount(to, convert(p.amount, p.currency, to, rate)),
    settlementQuote: {
      quoteId: `QT${p.payment_id.slice(-24)}`,
      quoteCurrencyPair: `${p.currency}/${to}`,
      quotePrice: rate,
      quoteStartTime: isoTime(p.created_at),
      quoteExpiryTime: isoTime(p.created_at + QUOTE_VALID_MS),
    },
  };
}
