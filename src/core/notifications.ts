/**
 * Upstream notifications, already verified by the connector (signature, freshness, shape): each
 * goes to the rules of what it names (payments, refunds), is applied at most once, and is kept
 * with its verdict whatever happens — the audit trail of everything Antom, or anyone, sent us.
 */
import type { UpstreamNotification } from './connector.js';
import type { CoreDeps } from './context.js';
import { StoreConflict } from './store.js';
import { acceptPaymentNotification } from './payment-intents/notify.js';
import { applyRefundNotification } from './refunds/notify.js';

export interface ReceivedNotification {
  path: string;
  headers: Record<string, unknown>;
  body: string;
}

export type NotificationVerdict = { verdict: 'applied' | 'duplicate' } | { verdict: 'refused'; reason: string };

export async function refuseNotification(deps: CoreDeps, raw: ReceivedNotification, reason: string, requestId?: string): Promise<NotificationVerdict> {
  deps.log.warn({ path: raw.path, reason, request_id: requestId }, 'upstream notification refused');
  await deps.store.notifications.record({ ...raw, verdict: 'refused', reason, payment_request_id: requestId, received: deps.clock.now() });
  return { verdict: 'refused', reason };
}

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
