/**
 * Cancel a PaymentIntent. With no attempt at Antom it is a local change; with one in flight, Antom
 * must close it first (outside any transaction), so a shopper can never pay a canceled intent.
 * If Antom refuses because the payment already completed, we learn the result by inquiry and
 * report the real state instead.
 */
import { fail, ok, type Result } from '../errors.js';
import { paymentIntentPublic, type PaymentIntentRecord } from '../model.js';
import { inTx, recordEvent, type CoreDeps, type RequestContext } from '../context.js';
import type { StoreTx } from '../store.js';
import type { CancelPaymentIntentParams } from './params.js';
import { ownedByCheckout, transition, unexpectedState } from './shared.js';
import { nextStatus } from './states.js';
import { applyPaymentOutcome } from './apply-outcome.js';

type Step = { done: PaymentIntentRecord } | { upstream: string };

export async function cancelPaymentIntent(
  deps: CoreDeps, ctx: RequestContext, id: string, params: CancelPaymentIntentParams,
): Promise<Result<PaymentIntentRecord>> {
  const first = await inTx(deps.store, async (s): Promise<Result<Step>> => {
    const pi = await s.paymentIntents.lock(ctx.scope, id);
    if (!pi) return fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    if (!nextStatus(pi.status, 'cancel')) return fail(unexpectedState(pi, 'cancel'));
    if (pi.checkout_session_id && ctx.actor !== 'checkout') return fail(ownedByCheckout(pi, 'cancel'));
    const open = await s.attempts.open(pi.id);
    if (open) return ok({ upstream: open.id });
    return finish(s, deps, ctx, pi, params);
  });
  if (!first.ok) return first;
  if ('done' in first.value) return ok(first.value.done);

  const attemptId = first.value.upstream;
  const connector = deps.connector(ctx.scope.livemode);
  if (!connector) return fail({ kind: 'upstream_unavailable', message: 'No Antom connection is configured for this mode.' });
  const answer = await connector.cancel(attemptId);
  if (answer.status === 'unknown') {
    return fail({ kind: 'upstream_unavailable', message: 'Alipay did not confirm the cancellation. Nothing changed; cancel again.' });
  }
  if (answer.status === 'refused') {
    // Antom says the payment is already final: find out how, and report that.
    const truth = await connector.inquiryPayment(attemptId);
    if (truth.status !== 'unknown') await applyPaymentOutcome(deps, ctx, attemptId, truth);
  }
  const second = await inTx(deps.store, async (s): Promise<Result<Step>> => {
    const pi = await s.paymentIntents.lock(ctx.scope, id);
    if (!pi) return fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    const attempt = await s.attempts.lock(attemptId);
    if (answer.status === 'canceled' && attempt && ['pending', 'redirected', 'processing'].includes(attempt.status)) {
      await s.attempts.update({ ...attempt, status: 'canceled', next_poll_at: null, failure_code: 'CANCELED', updated: deps.clock.now() });
    } else if (answer.status === 'refused' && attempt && ['pending', 'redirected', 'processing'].includes(attempt.status)) {
      return fail({ kind: 'upstream_unavailable', message: `Alipay refused the cancellation (${answer.code}) and its result is not known yet. Retry shortly.` });
    }
    if (!nextStatus(pi.status, 'cancel')) return fail(unexpectedState(pi, 'cancel'));
    return finish(s, deps, ctx, pi, params);
  });
  if (!second.ok) return second;
  return 'done' in second.value ? ok(second.value.done) : fail({ kind: 'upstream_unavailable', message: 'Cancellation did not settle.' });
}

async function finish(s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, params: CancelPaymentIntentParams): Promise<Result<Step>> {
  const moved = transition(pi, 'cancel', 'cancel');
  if (!moved.ok) return moved;
  const now = deps.clock.now();
  const next: PaymentIntentRecord = {
    ...moved.value,
    cancellation_reason: params.cancellation_reason ?? null,
    canceled_at: now,
    next_action: null,
    updated: now,
  };
  await s.paymentIntents.update(next);
  await recordEvent(s, deps, ctx, 'payment_intent.canceled', paymentIntentPublic(next));
  return ok({ done: next });
}
