/** notifyRefund, verified by the connector, checked against the refund it names. */
import { systemContext, type CoreDeps } from '../context.js';
import type { RefundOutcome } from '../connector.js';
import { applyRefundOutcome } from './apply-outcome.js';

/** A verified notifyRefund: it must name one of our refunds with its amount. */
export async function applyRefundNotification(
  deps: CoreDeps, n: { refundRequestId: string; amount: { currency: string; amount: number }; outcome: RefundOutcome }, livemode: boolean,
): Promise<{ ok: true; changed: boolean } | { ok: false; reason: string }> {
  const refund = await deps.store.refunds.findById(n.refundRequestId);
  if (!refund || refund.livemode !== livemode) return { ok: false, reason: `no refund with refundRequestId ${n.refundRequestId}` };
  if (refund.amount !== n.amount.amount || refund.currency !== n.amount.currency) {
    return { ok: false, reason: `refund amount ${n.amount.currency} ${n.amount.amount} differs from the ${refund.currency} ${refund.amount} requested` };
  }
  const applied = await applyRefundOutcome(deps, systemContext({ account_id: refund.account_id, livemode }), refund, n.outcome);
  return { ok: true, changed: applied.ok && applied.value.status !== refund.status };
}
