/**
 * The one place where Antom's word on a refund (refund answer, inquiryRefund, notifyRefund)
 * changes it, its charge, and records the events. Applied at most once, whatever the order.
 */
import { fail, ok, type Result } from '../errors.js';
import { chargePublic, refundPublic, type RefundRecord } from '../model.js';
import type { RefundOutcome } from '../connector.js';
import { inTx, recordEvents, type CoreDeps, type RequestContext } from '../context.js';
import { recordRefundBalance } from '../balances/record.js';
import type { StoreTx } from '../store.js';

/** Antom's refund codes, told as Stripe-style failure reasons. */
export function failureReason(code: string): string {
  switch (code) {
    case 'REFUND_WINDOW_EXCEED': return 'refund_window_exceeded';
    case 'REFUND_AMOUNT_EXCEED': return 'amount_exceeds_refundable';
    case 'ORDER_NOT_EXIST': return 'payment_not_found';
    default: return 'declined';
  }
}

/**
 * `known`: the refund as any caller has it (a refund's charge never changes, so no read first).
 * `within`: the caller's transaction (a notifyRefund is applied in the one that keeps it); a transaction of its own otherwise.
 */
export async function applyRefundOutcome(
  deps: CoreDeps, ctx: RequestContext, known: Pick<RefundRecord, 'id' | 'charge_id'>, outcome: RefundOutcome, within?: StoreTx,
): Promise<Result<RefundRecord>> {
  const refundId = known.id;
  const apply = async (s: StoreTx): Promise<Result<RefundRecord>> => {
    // Lock order everywhere for refunds: charge, then refund.
    const charge = await s.charges.lockById(known.charge_id);
    const refund = await s.refunds.lockById(refundId);
    if (!charge || !refund || refund.charge_id !== charge.id) return fail({ kind: 'not_found', resource: 'refund', id: refundId });
    if (refund.status !== 'pending') return ok(refund);
    const now = deps.clock.now();
    const scoped = { ...ctx, scope: { account_id: refund.account_id, livemode: refund.livemode } };
    if (outcome.status === 'pending') {
      const next = { ...refund, upstream_refund_id: outcome.refundId ?? refund.upstream_refund_id, updated: now };
      await s.refunds.update(next);
      return ok(next);
    }
    let next: RefundRecord;
    if (outcome.status === 'succeeded') {
      next = { ...refund, status: 'succeeded', upstream_refund_id: outcome.refundId ?? refund.upstream_refund_id, next_poll_at: null, updated: now };
      next.balance_transaction = await recordRefundBalance(s, deps, next, charge);
      const updatedCharge = { ...charge, amount_refunded: charge.amount_refunded + refund.amount, updated: now };
      await s.refunds.update(next);
      await s.charges.update(updatedCharge);
      await recordEvents(s, deps, scoped, [
        ['refund.updated', refundPublic(next), { status: 'pending' }],
        ['charge.refund.updated', refundPublic(next), { status: 'pending' }],
        ['charge.refunded', chargePublic(updatedCharge), { amount_refunded: charge.amount_refunded, refunded: false }],
      ]);
      return ok(next);
    }
    next = { ...refund, status: 'failed', failure_code: outcome.code, failure_reason: failureReason(outcome.code), next_poll_at: null, updated: now };
    await s.refunds.update(next);
    await recordEvents(s, deps, scoped, [
      ['refund.failed', refundPublic(next)],
      ['refund.updated', refundPublic(next), { status: 'pending', failure_reason: null }],
      ['charge.refund.updated', refundPublic(next), { status: 'pending', failure_reason: null }],
    ]);
    return ok(next);
  };
  return within ? apply(within) : inTx(deps.store, apply);
}
