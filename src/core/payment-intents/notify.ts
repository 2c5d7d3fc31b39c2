/**
 * An upstream notification, already verified by the connector (signature, freshness, shape), is
 * checked against what we sent — the payment it names, its amount and currency — and applied
 * once. Whatever happens, the raw notification is kept with the verdict.
 */
import type { PaymentNotification, UpstreamNotification } from '../connector.js';
import { applyRefundNotification } from '../refunds/others.js';
import { inTx, systemContext, type CoreDeps } from '../context.js';
import { StoreConflict, type NotificationLog } from '../store.js';
import { applyLocked } from './apply-outcome.js';

export interface ReceivedNotification {
  path: string;
  headers: Record<string, unknown>;
  body: string;
}

export type NotificationVerdict = { verdict: 'applied' | 'duplicate' } | { verdict: 'refused'; reason: string };

export async function refuseNotification(deps: CoreDeps, raw: ReceivedNotification, reason: string, paymentRequestId?: string): Promise<NotificationVerdict> {
  deps.log.warn({ path: raw.path, reason, payment_request_id: paymentRequestId }, 'upstream notification refused');
  await deps.store.notifications.record({ ...raw, verdict: 'refused', reason, payment_request_id: paymentRequestId, received: deps.clock.now() });
  return { verdict: 'refused', reason };
}

type Checked = { ok: true; verdict: 'applied' | 'duplicate' } | { ok: false; reason: string };
const refuse = (reason: string): Checked => ({ ok: false, reason });

/** Any verified notification: payments and refunds each go to their own rules. */
export async function acceptNotification(
  deps: CoreDeps, raw: ReceivedNotification, n: UpstreamNotification, livemode: boolean, fingerprint: string,
): Promise<NotificationVerdict> {
  if (n.kind === 'payment') return acceptPaymentNotification(deps, raw, n, livemode, fingerprint);
  if (await deps.store.notifications.seen(fingerprint)) return refuseNotification(deps, raw, 'replayed notification (same signed message seen before)', n.refundRequestId);
  const applied = await applyRefundNotification(deps, n, livemode);
  if (!applied.ok) return refuseNotification(deps, raw, applied.reason, n.refundRequestId);
  const verdict = applied.changed ? 'applied' : 'duplicate';
  try {
    await deps.store.tx((s) => s.notifications.record({ ...raw, verdict, fingerprint, payment_request_id: n.refundRequestId, received: deps.clock.now() }));
  } catch (err) {
    // A twin of this signed message was recorded meanwhile; the refund rules already made it harmless.
    if (!(err instanceof StoreConflict)) throw err;
  }
  return { verdict };
}

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
      return { ok: true, verdict };
    });
  } catch (err) {
    // Two copies of one signed message racing: the unique fingerprint lets only one through.
    if (err instanceof StoreConflict) return refuseNotification(deps, raw, 'replayed notification (same signed message seen before)', n.paymentRequestId);
    throw err;
  }
  if (!result.ok) return refuseNotification(deps, raw, result.reason, n.paymentRequestId);
  return { verdict: result.verdict };
}
