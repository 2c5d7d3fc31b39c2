/**
 * Expire a Checkout Session — on request (POST …/expire) or when its time is up (the worker).
 * Its PaymentIntent is canceled first (closing any attempt at Antom), so once the page says
 * "expired" nobody can pay it; a payment already processing or paid refuses the expiry.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import type { CheckoutSessionRecord } from '../model.js';
import { inTx, recordEvent, systemContext, type CoreDeps, type RequestContext } from '../context.js';
import { cancelPaymentIntent } from '../payment-intents/cancel.js';
import { sessionPublic } from './read.js';

export async function expireCheckoutSession(deps: CoreDeps, ctx: RequestContext, id: string): Promise<Result<CheckoutSessionRecord>> {
  const found = await deps.store.checkoutSessions.get(ctx.scope, id);
  if (!found) return fail({ kind: 'not_found', resource: 'checkout.session', id, param: 'session' });
  if (found.status !== 'open') return fail(invalid('parameter_invalid', `Only an open Checkout Session can be expired; ${id} is ${found.status}.`, 'session'));
  const pi = await deps.store.paymentIntents.findById(found.payment_intent_id);
  if (pi && pi.status !== 'canceled') {
    if (pi.status === 'processing' || pi.status === 'succeeded') {
      return fail(invalid('parameter_invalid', `The shopper has already paid or is paying (${pi.id} is ${pi.status}); this Checkout Session cannot expire.`, 'session'));
    }
    const canceled = await cancelPaymentIntent(deps, { ...ctx, actor: 'checkout' }, pi.id, { cancellation_reason: 'expired' });
    if (!canceled.ok) return canceled;
  }
  return inTx(deps.store, async (s) => {
    const cs = await s.checkoutSessions.lock(ctx.scope, id);
    if (!cs) return fail({ kind: 'not_found', resource: 'checkout.session', id, param: 'session' });
    if (cs.status !== 'open') return cs.status === 'expired' ? ok(cs) : fail(invalid('parameter_invalid', `The Checkout Session ${id} is ${cs.status}.`, 'session'));
    const now = deps.clock.now();
    const next = { ...cs, status: 'expired' as const, expired_at: now, updated: now };
    await s.checkoutSessions.update(next);
    await recordEvent(s, deps, ctx, 'checkout.session.expired', await sessionPublic(s, deps, next), { status: 'open' });
    return ok(next);
  });
}

/** Expires open sessions past their time; each is tried again next round if Antom does not answer. */
export async function expireDueSessions(deps: CoreDeps, limit = 20): Promise<number> {
  const due = await deps.store.checkoutSessions.dueToExpire(deps.clock.now(), limit);
  let n = 0;
  for (const cs of due) {
    const r = await expireCheckoutSession(deps, systemContext({ account_id: cs.account_id, livemode: cs.livemode }), cs.id);
    if (r.ok) n++;
    // The session id is its page's address and error messages quote it: the log names its PaymentIntent.
    else deps.log.warn({ payment_intent: cs.payment_intent_id, error: r.error.kind }, 'could not expire a Checkout Session yet');
  }
  return n;
}
