/**
 * A verified notifyPayment is checked against what we sent — the payment it names, its amount and
 * currency — and applied once, in the same transaction that keeps it.
 */
import type { PaymentNotification } from '../connector.js';
import { refuseNotification, type NotificationVerdict, type ReceivedNotification } from '../notifications.js';
import { inTx, systemContext, type CoreDeps } from '../context.js';
import { StoreConflict, type NotificationLog } from '../store.js';
import { applyLocked } from './apply-outcome.js';

type Checked = { ok: true; verdict: 'applied' | 'duplicate'; pi: string } | { ok: false; reason: string };
const refuse = (reason: string): Checked => ({ ok: false, reason });

export async function acceptPaymentNotification(
  deps: CoreDeps, raw: ReceivedNotification, n: PaymentNotification, livemode: boolean, fingerprint: string,
): Promise<NotificationVerdict> {
  const log = (verdict: NotificationLog['verdict']): NotificationLog => ({
    ...raw, verdict, fingerprint, payment_request_id: n.paymentRequestId, received: deps.clock.now(),
  });
  let result: Checked;
  try {
    result = await inTx(deps.store, async (s): Promise<Checked> => {
      if (await s.notifications.seen(fingerprint)) return refuse('replayed notification (same signed message seen before)');
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
      await applyLocked(s, deps, systemContext({ account_id: pi.account_id, livemode: pi.livemode }), pi, attempt, n.outcome);
      const after = (await s.attempts.get(attempt.id))?.status;
      const verdict = before === after && n.outcome.status !== 'action_required' ? 'duplicate' : 'applied';
      await s.notifications.record(log(verdict));
      return { ok: true, verdict, pi: pi.id };
    });
  } catch (err) {
    // Two copies of one signed message racing: the unique fingerprint lets only one through.
    if (err instanceof StoreConflict) return refuseNotification(deps, raw, 'replayed notification (same signed message seen before)', n.paymentRequestId);
    throw err;
  }
  if (!result.ok) return refuseNotification(deps, raw, result.reason, n.paymentRequestId);
  return { verdict: result.verdict, object: result.pi };
}
