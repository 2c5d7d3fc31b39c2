/**
 * A Checkout Session is complete when its PaymentIntent succeeds: called by apply-outcome in the
 * same transaction as the success, so the session can never say unpaid for a paid PaymentIntent.
 */
import type { CoreDeps, RequestContext } from '../context.js';
import type { PaymentIntentRecord } from '../model.js';
import type { StoreTx } from '../store.js';
import { recordEvent, requestFields } from '../context.js';
import { sessionPublic } from './read.js';

export async function completeCheckoutSession(s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord): Promise<void> {
  if (!pi.checkout_session_id) return;
  const session = await s.checkoutSessions.lockById(pi.checkout_session_id);
  if (!session || session.status === 'complete') return;
  if (session.status === 'expired') {
    // Expiry cancels the PaymentIntent at Antom first, so this means Antom paid after all: the money wins.
    deps.log.warn({ ...requestFields(ctx), payment_intent: pi.id }, 'an expired Checkout Session was paid; marking it complete');
  }
  const now = deps.clock.now();
  const next = { ...session, status: 'complete' as const, payment_status: 'paid' as const, completed_at: now, updated: now };
  await s.checkoutSessions.update(next);
  await recordEvent(s, deps, ctx, 'checkout.session.completed', await sessionPublic(s, deps, next, pi));
}

/** A canceled PaymentIntent can no longer be paid: its open Checkout Session expires in the same transaction. */
export async function expireSessionOf(s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord): Promise<void> {
  if (!pi.checkout_session_id) return;
  const session = await s.checkoutSessions.lockById(pi.checkout_session_id);
  if (!session || session.status !== 'open') return;
  const now = deps.clock.now();
  const next = { ...session, status: 'expired' as const, expired_at: now, updated: now };
  await s.checkoutSessions.update(next);
  await recordEvent(s, deps, ctx, 'checkout.session.expired', await sessionPublic(s, deps, next, pi), { status: 'open' });
}
