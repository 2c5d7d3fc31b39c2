/**
 * When the shopper paid an attempt that the gateway had already decided to cancel, the money is
 * recorded and immediately given back, never left as a plain success: a succeeded charge, fully
 * refunded by a refund that says why, with `refund.created` and `charge.refunded`.
 *
 * - `returned_by_cancel`: Antom accepted our cancel of a paid payment, which at Antom refunds the
 *   buyer (antom.md §4): the refund is succeeded at once, nothing more goes upstream.
 * - `refund_needed`: Antom kept the money (its cancel came too late): the refund is pending and
 *   the refund poller sends it to Antom like any other refund, under its own refundRequestId.
 */
import { newId } from '../ids.js';
import { chargePublic, refundPublic, type ChargeRecord, type PaymentAttemptRecord, type PaymentIntentRecord, type RefundRecord } from '../model.js';
import { recordEvent, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import type { StoreTx } from '../store.js';
import { chargeFor } from './apply-outcome.js';
import type { SettlementQuote } from '../connector.js';
import { recordChargeBalance, recordRefundBalance } from '../balances/record.js';

export type ReversalKind = 'returned_by_cancel' | 'refund_needed';

const WHY: Record<ReversalKind, string> = {
  returned_by_cancel: 'The shopper paid while the payment was being canceled; Alipay canceled it and returned the money.',
  refund_needed: 'The shopper paid after the payment was canceled; the money is sent back to the shopper.',
};

/** Records the paid attempt's charge and its reversal; returns the charge. Idempotent per attempt. */
export async function recordReversal(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, attempt: PaymentAttemptRecord, kind: ReversalKind,
  quote?: SettlementQuote,
): Promise<ChargeRecord> {
  const now = deps.clock.now();
  const existing = await s.charges.byAttempt(attempt.id);
  if (existing?.status === 'succeeded') return existing;
  const paid: PaymentAttemptRecord = { ...attempt, paid_at: attempt.paid_at ?? now };
  const base = chargeFor(paid, pi, now, 'succeeded');
  const charge: ChargeRecord = existing
    ? { ...existing, status: 'succeeded', failure_code: null, failure_message: null, payment_method_details: base.payment_method_details, updated: now }
    : base;
  const refund: RefundRecord = {
    id: newId('refund'),
    account_id: pi.account_id,
    livemode: pi.livemode,
    created: now,
    updated: now,
    payment_intent_id: pi.id,
    charge_id: charge.id,
    amount: charge.amount,
    currency: charge.currency,
    reason: null,
    status: kind === 'returned_by_cancel' ? 'succeeded' : 'pending',
    failure_reason: null,
    failure_code: null,
    description: WHY[kind],
    metadata: {},
    upstream_refund_id: null,
    next_poll_at: kind === 'refund_needed' ? now : null,
    poll_count: 0,
    idempotency_key: null,
  };
  // The money came in and (returned_by_cancel) went straight back: both are balance transactions.
  const received: ChargeRecord = { ...charge, balance_transaction: await recordChargeBalance(s, deps, ctx, charge, quote) };
  if (kind === 'returned_by_cancel') refund.balance_transaction = await recordRefundBalance(s, deps, refund, received);
  const settled: ChargeRecord = kind === 'returned_by_cancel' ? { ...received, amount_refunded: charge.amount } : received;
  if (existing) await s.charges.update(settled);
  else await s.charges.insert(settled);
  await s.refunds.insert(refund);
  deps.log.warn({ ...requestFields(ctx), payment_intent: pi.id, charge: charge.id, refund: refund.id, kind }, 'a canceled payment was paid; recorded and reversed');
  await recordEvent(s, deps, ctx, 'refund.created', refundPublic(refund));
  if (kind === 'returned_by_cancel') await recordEvent(s, deps, ctx, 'charge.refunded', chargePublic(settled), { amount_refunded: 0, refunded: false });
  return settled;
}
