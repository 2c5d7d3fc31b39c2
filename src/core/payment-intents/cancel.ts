/**
 * Cancel a PaymentIntent. With no attempt at Antom it is a local change; with one in flight, Antom
 * must close it first (outside any transaction), so a shopper can never pay a canceled intent.
 *
 * The shopper may be paying at the very moment the cancel is asked for. Every interleaving ends
 * with the gateway and Antom agreeing (test/api/cancel-race.test.ts races them many times):
 *
 * 1. The success reaches the gateway before the cancel is decided: the PaymentIntent is
 *    `succeeded`, the cancel is refused (400) and Antom is never asked.
 * 2. Otherwise the decision is written first (`cancel_requested_at` on the attempt, in the same
 *    transaction that checks the state). From then on a success reported for the attempt — by
 *    notification, inquiry or the shopper's return — is held: its facts are kept on the attempt,
 *    nothing is reported as paid. Then Antom is asked to cancel, and its answer decides:
 *    - canceled: the PaymentIntent is `canceled`. If a success was held, the shopper had paid and
 *      Antom's cancel gave the money back: the charge is recorded and reversed by a succeeded
 *      refund (reverse.ts). A success that arrives after this is recorded the same way.
 *    - refused (the payment is final at Antom, e.g. past the cancel window): the inquiry's truth
 *      is applied as any answer would be, so a paid payment is `succeeded`, and the cancel is
 *      refused (400).
 *    - no answer: the decision stands and the poller asks again until Antom answers; the caller
 *      gets a 502 and may retry. Nothing is reported as paid meanwhile.
 * A process dying anywhere in between leaves the decision written, and the poller finishes it.
 */
import { fail, ok, type CoreError, type Result } from '../errors.js';
import {
  paymentIntentPublic, paymentMethodPublic, type CancelSource, type LastPaymentError, type PaymentAttemptRecord,
  type PaymentIntentRecord,
} from '../model.js';
import { inTx, recordEvent, requestFields, servedRequestId, systemContext, type CoreDeps, type RequestContext } from '../context.js';
import type { StoreTx } from '../store.js';
import type { CancelPaymentIntentParams } from './params.js';
import { ownedByCheckout, transition, unexpectedState } from './shared.js';
import { nextStatus, transitionEvent } from './states.js';
import { applyLocked, OPEN_ATTEMPT } from './apply-outcome.js';
import { recordReversal } from './reverse.js';
import { expireSessionOf } from '../checkout/complete.js';

/** How soon the poller asks Antom again when a cancel got no answer (or its process died). */
export const CANCEL_RETRY_MS = 5_000;

type Step = { done: PaymentIntentRecord } | { upstream: string };

export async function cancelPaymentIntent(
  deps: CoreDeps, ctx: RequestContext, id: string, params: CancelPaymentIntentParams,
): Promise<Result<PaymentIntentRecord>> {
  const source: CancelSource = ctx.actor === 'checkout' ? 'checkout' : 'merchant';
  const first = await inTx(deps.store, async (s): Promise<Result<Step>> => {
    const pi = await s.paymentIntents.lock(ctx.scope, id);
    if (!pi) return fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    if (!nextStatus(pi.status, 'cancel')) return fail(unexpectedState(pi, 'cancel'));
    if (pi.checkout_session_id && ctx.actor !== 'checkout') return fail(ownedByCheckout(pi, 'cancel'));
    const open = await s.attempts.open(pi.id);
    if (open) {
      await requestCancel(s, deps, open, source, params.cancellation_reason ?? null);
      return ok({ upstream: open.id });
    }
    return ok({ done: await cancelLocked(s, deps, ctx, pi, params.cancellation_reason ?? null) });
  });
  if (!first.ok) return first;
  if ('done' in first.value) return ok(first.value.done);

  const settled = await settleCancel(deps, first.value.upstream, ctx);
  if (!settled.ok) return settled;
  // The attempt is closed one way or the other; what remains is the PaymentIntent itself.
  return inTx(deps.store, async (s) => {
    const pi = await s.paymentIntents.lock(ctx.scope, id);
    if (!pi) return fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    if (pi.status === 'canceled') return ok(pi);
    if (!nextStatus(pi.status, 'cancel')) return fail(paidMeanwhile(pi));
    return ok(await cancelLocked(s, deps, ctx, pi, params.cancellation_reason ?? null));
  });
}

/** Writes the decision to close `attempt` at Antom; the first decision wins. */
export async function requestCancel(
  s: StoreTx, deps: CoreDeps, attempt: PaymentAttemptRecord, source: CancelSource, reason: string | null,
): Promise<PaymentAttemptRecord> {
  if (attempt.cancel_requested_at !== null) return attempt;
  const now = deps.clock.now();
  const next: PaymentAttemptRecord = {
    ...attempt, cancel_requested_at: now, cancel_source: source, cancel_reason: reason, next_poll_at: now + CANCEL_RETRY_MS, updated: now,
  };
  await s.attempts.update(next);
  return next;
}

/**
 * Asks Antom to close an attempt whose cancel was decided, and applies the answer (see the top of
 * this file). Used by the cancel request itself (`caller`: its events name that request and its
 * Idempotency-Key, as Stripe's do) and by the poller after a crash or no answer (no request).
 */
export async function settleCancel(deps: CoreDeps, attemptId: string, caller?: RequestContext): Promise<Result<PaymentIntentRecord>> {
  const peek = await deps.store.attempts.get(attemptId);
  if (!peek) return fail({ kind: 'not_found', resource: 'payment_attempt', id: attemptId });
  const connector = deps.connector(peek.livemode);
  if (!connector) return fail({ kind: 'upstream_unavailable', message: 'No Antom connection is configured for this mode.' });
  const scope = { account_id: peek.account_id, livemode: peek.livemode };
  const ctx: RequestContext = caller ? { ...caller, scope } : systemContext(scope);
  const answer = await connector.cancel(attemptId, requestFields(ctx));
  if (answer.status === 'unknown') return fail(noAnswer);
  const truth = answer.status === 'refused' ? await connector.inquiryPayment(attemptId, requestFields(ctx)) : undefined;
  if (truth?.status === 'unknown') return fail(noAnswer);

  return inTx(deps.store, async (s) => {
    const pi = await s.paymentIntents.lockById(peek.payment_intent_id);
    const attempt = await s.attempts.lock(attemptId);
    if (!pi || !attempt) return fail({ kind: 'not_found', resource: 'payment_attempt', id: attemptId });
    if (!OPEN_ATTEMPT.includes(attempt.status) || attempt.cancel_requested_at === null) {
      // Settled by an earlier round (a retry racing the poller): nothing left to decide.
      if (attempt.next_poll_at !== null && !OPEN_ATTEMPT.includes(attempt.status)) await s.attempts.update({ ...attempt, next_poll_at: null });
      return ok(pi);
    }
    if (truth) {
      // Antom would not cancel because the payment is final there: its word stands, as any answer's would.
      deps.log.info({ ...requestFields(ctx), payment_intent: pi.id, code: answer.status === 'refused' ? answer.code : undefined }, 'Antom refused the cancel; applying its result');
      // The payment's own outcome, as a notification's would be: no API request made it.
      const released: PaymentAttemptRecord = { ...attempt, cancel_requested_at: null, cancel_source: null, cancel_reason: null };
      return ok(await applyLocked(s, deps, systemContext(scope, servedRequestId(ctx)), pi, released, truth));
    }
    return ok(await closeCanceled(s, deps, ctx, pi, attempt));
  });
}

const noAnswer: CoreError = {
  kind: 'upstream_unavailable',
  message: 'Alipay has not confirmed the cancellation yet. It is asked again automatically, and the payment will not be reported as paid meanwhile; cancel again to see the result.',
};

/** Antom closed the attempt: the attempt is canceled and the PaymentIntent follows who asked. */
async function closeCanceled(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, attempt: PaymentAttemptRecord,
): Promise<PaymentIntentRecord> {
  const now = deps.clock.now();
  const expired = attempt.cancel_source === 'expiry';
  const a: PaymentAttemptRecord = {
    ...attempt,
    status: 'canceled',
    failure_code: expired ? 'PAYMENT_EXPIRED' : 'CANCELED',
    failure_message: expired ? 'The shopper did not complete the payment in time; the wallet closed it.' : 'The payment was canceled.',
    next_poll_at: null,
    updated: now,
  };
  await s.attempts.update(a);
  // A success held while the cancel was on its way: the shopper paid, and Antom's cancel returned it.
  const reversed = attempt.paid_at !== null ? await recordReversal(s, deps, ctx, pi, a, 'returned_by_cancel') : undefined;
  if (!expired) {
    if (!nextStatus(pi.status, 'cancel')) return pi;
    const withCharge = reversed ? { ...pi, latest_charge: reversed.id } : pi;
    return cancelLocked(s, deps, ctx, withCharge, attempt.cancel_reason);
  }
  if (!reversed) {
    // Nobody paid in time: the same change as Antom reporting the attempt closed.
    return applyLocked(s, deps, ctx, pi, { ...attempt, cancel_requested_at: null }, { status: 'canceled' });
  }
  const moved = transition(pi, 'fail', 'fail');
  if (!moved.ok) return pi;
  const pm = await s.paymentMethods.get({ account_id: pi.account_id, livemode: pi.livemode }, a.payment_method_id);
  const error: LastPaymentError = {
    type: 'card_error', code: 'payment_intent_payment_attempt_expired', decline_code: 'payment_expired', message: a.failure_message!,
    payment_method_type: a.method_type, ...(pm ? { payment_method: paymentMethodPublic(pm) } : {}),
  };
  const next = { ...moved.value, last_payment_error: error, next_action: null, latest_charge: reversed.id, updated: now };
  await s.paymentIntents.update(next);
  const type = transitionEvent('fail');
  if (type) await recordEvent(s, deps, ctx, type, paymentIntentPublic(next));
  return next;
}

/** With the PaymentIntent locked and no attempt open at Antom: the local change and its event. */
async function cancelLocked(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, reason: string | null,
): Promise<PaymentIntentRecord> {
  const moved = transition(pi, 'cancel', 'cancel');
  if (!moved.ok) return pi;
  const now = deps.clock.now();
  const next: PaymentIntentRecord = {
    ...moved.value,
    cancellation_reason: reason,
    canceled_at: now,
    next_action: null,
    updated: now,
  };
  await s.paymentIntents.update(next);
  await recordEvent(s, deps, ctx, 'payment_intent.canceled', paymentIntentPublic(next));
  // A Checkout Session whose PaymentIntent is canceled can no longer be paid: it expires with it.
  await expireSessionOf(s, deps, ctx, next);
  return next;
}

function paidMeanwhile(pi: PaymentIntentRecord): CoreError {
  return {
    kind: 'unexpected_state',
    code: 'payment_intent_unexpected_state',
    paymentIntentId: pi.id,
    message: `You cannot cancel this PaymentIntent because it has a status of ${pi.status}: the shopper completed the payment before the cancellation reached Alipay.`,
  };
}
