/**
 * A verified notifyPayment is checked against what we sent — the payment it names, its amount and
 * currency — and applied once, in the transaction that keeps it (acceptOnce, core/notifications.ts).
 */
import type { PaymentNotification } from '../connector.js';
import type { NotificationCheck } from '../notifications.js';
import { systemContext, type CoreDeps } from '../context.js';
import type { StoreTx } from '../store.js';
import { applyLocked } from './apply-outcome.js';

const refuse = (reason: string): NotificationCheck => ({ ok: false, reason });

export async function checkPaymentNotification(s: StoreTx, deps: CoreDeps, n: PaymentNotification, livemode: boolean, servedBy: string): Promise<NotificationCheck> {
  const peek = await s.attempts.get(n.paymentRequestId);
  if (!peek || peek.livemode !== livemode) return refuse(`no payment with paymentRequestId ${n.paymentRequestId}`);
  const pi = await s.paymentIntents.lockById(peek.payment_intent_id);
  const attempt = await s.attempts.lock(peek.id);
  if (!pi || !attempt) return refuse('payment vanished');
  const paymentId = n.outcome.paymentId;
  if (attempt.upstream_payment_id && paymentId && paymentId !== attempt.upstream_payment_id) {
    return refuse(`paymentId ${paymentId} is not the payment ${attempt.upstream_payment_id} of ${attempt.id}`);
  }
  if (n.amount.amount !== attempt.amount || n.amount.currency !== attempt.currency) {
    return refuse(`amount ${n.amount.currency} ${n.amount.amount} differs from the ${attempt.currency} ${attempt.amount} requested`);
  }
  const before = attempt.status;
  await applyLocked(s, deps, systemContext({ account_id: pi.account_id, livemode: pi.livemode }, servedBy), pi, attempt, n.outcome);
  const after = (await s.attempts.get(attempt.id))?.status;
  const verdict = before === after && n.outcome.status !== 'action_required' ? 'duplicate' : 'applied';
  return { ok: true, verdict, object: pi.id };
}
