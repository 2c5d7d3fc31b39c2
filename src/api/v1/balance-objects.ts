/** The v1 door's rendering of balances (Stripe's `balance` and `balance_transaction`). */
import type { BalanceTotal, BalanceTransactionRecord } from '../../core/balances/records.js';

export function balanceTransactionPublic(t: BalanceTransactionRecord) {
  return {
    id: t.id,
    object: 'balance_transaction' as const,
    amount: t.amount,
    available_on: t.available_on,
    created: t.created,
    currency: t.currency,
    description: t.description,
    exchange_rate: t.exchange_rate === null ? null : Number(t.exchange_rate),
    fee: t.fee,
    fee_details: t.fee_details.map((f) => ({ amount: f.amount, application: null, currency: f.currency, description: f.description, type: f.type })),
    net: t.net,
    reporting_category: t.reporting_category,
    source: t.source_id as string | Record<string, unknown>,
    status: t.status,
    type: t.type,
  };
}

export function balancePublic(b: { available: BalanceTotal[]; pending: BalanceTotal[] }, livemode: boolean) {
  // Every wallet payment is, in Stripe's words, a card-like source of funds.
  const line = (t: BalanceTotal) => ({ amount: t.amount, currency: t.currency, source_types: { card: t.amount } });
  return { object: 'balance' as const, available: b.available.map(line), livemode, pending: b.pending.map(line) };
}
