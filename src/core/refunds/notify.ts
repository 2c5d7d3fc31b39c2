/** notifyRefund, verified by the connector, checked against the refund it names (in acceptOnce, core/notifications.ts). */
import { systemContext, type CoreDeps } from '../context.js';
import type { RefundNotification } from '../connector.js';
import type { NotificationCheck } from '../notifications.js';
import type { StoreTx } from '../store.js';
import { applyRefundOutcome } from './apply-outcome.js';

/** A verified notifyRefund: it must name one of our refunds with its amount. */
export async function checkRefundNotification(s: StoreTx, deps: CoreDeps, n: RefundNotification, livemode: boolean, servedBy: string): Promise<NotificationCheck> {
  const refund = await s.refunds.findById(n.refundRequestId);
  if (!refund || refund.livemode !== livemode) return { ok: false, reason: `no refund with refundRequestId ${n.refundRequestId}` };
  if (refund.amount !== n.amount.amount || refund.currency !== n.amount.currency) {
    return { ok: false, reason: `refund amount ${n.amount.currency} ${n.amount.amount} differs from the ${refund.currency} ${refund.amount} requested` };
  }
  const applied = await applyRefundOutcome(deps, systemContext({ account_id: refund.account_id, livemode }, servedBy), refund, n.outcome, s);
  return { ok: true, verdict: applied.ok && applied.value.status !== refund.status ? 'applied' : 'duplicate', object: n.refundRequestId };
}
