/** The v1 door's rendering of the balance (Stripe's `balance`); a balance transaction is core's balanceTransactionPublic. */
import type { BalanceTotal } from '../../core/balances/records.js';

export function balancePublic(b: { available: BalanceTotal[]; pending: BalanceTotal[] }, livemode: boolean) {
  // Every wallet payment is, in Stripe's words, a card-like source of funds.
  const line = (t: BalanceTotal) => ({ amount: t.amount, currency: t.currency, source_types: { card: t.amount } });
  return { object: 'balance' as const, available: b.available.map(line), livemode, pending: b.pending.map(line) };
}
