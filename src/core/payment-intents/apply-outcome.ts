/**
 * The one place where an upstream answer about a payment attempt — from pay, inquiryPayment,
 * notifyPayment or the shopper's return — changes a PaymentIntent. Answers may arrive in any
 * order and any number of times; each changes the store at most once.
 */
import { fail, ok, type Result } from '../errors.js';
import { newId } from '../ids.js';
import {
  chargePublic, paymentIntentPublic, paymentMethodPublic, type ChargeRecord, type LastPaymentError,
  type PaymentAttemptRecord, type PaymentIntentRecord,
} from '../model.js';
import type { PaymentOutcome } from '../connector.js';
import { inTx, recordEvent, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import { StoreStale, type StoreTx } from '../store.js';
import { nextActionFor, transition } from './shared.js';
import { completeCheckoutSession } from '../checkout/complete.js';
import { transitionEvent, type PaymentIntentTransition } from './states.js';
import { recordReversal } from './reverse.js';
import { recordChargeBalance } from '../balances/record.js';

export const OPEN_ATTEMPT: readonly PaymentAttemptRecord['status'][] = ['pending', 'redirected', 'processing'];
const OPEN = OPEN_ATTEMPT;

/** The PaymentIntent and the attempt exactly as the caller committed them. */
export interface Committed {
  pi: PaymentIntentRecord;
  attempt: PaymentAttemptRecord;
}

/**
 * `known` saves reads. The PaymentIntent's id: the attempt need not be read before locking. Both
 * rows as the caller committed them (confirm, before its first answer): the answer is applied to
 * them as presumed (store.ts `presume`), which costs one statement; only when one of them changed
 * meanwhile (a cancel, a notification that came first) is it applied again the ordinary way.
 */
export async function applyPaymentOutcome(
  deps: CoreDeps, ctx: RequestContext, attemptId: string, outcome: PaymentOutcome, known?: string | Committed,
): Promise<Result<PaymentIntentRecord>> {
  if (typeof known === 'object') {
    try {
      return await inTx(deps.store, async (s) => {
        // Lock order everywhere: PaymentIntent, then attempt.
        s.paymentIntents.presume(known.pi);
        s.attempts.presume(known.attempt);
        return ok(await applyLocked(s, deps, ctx, known.pi, known.attempt, outcome));
      });
    } catch (err) {
      if (!(err instanceof StoreStale)) throw err;
      deps.log.debug({ ...requestFields(ctx), payment_intent: known.pi.id }, 'the PaymentIntent changed while Antom answered; the answer is applied under locks');
    }
  }
  return inTx(deps.store, async (s) => {
    const piId = typeof known === 'object' ? known.pi.id : known ?? (await s.attempts.get(attemptId))?.payment_intent_id;
    if (!piId) return fail({ kind: 'not_found', resource: 'payment_attempt', id: attemptId });
    // Lock order everywhere: PaymentIntent, then attempt.
    const pi = await s.paymentIntents.lockById(piId);
    const attempt = await s.attempts.lock(attemptId);
    if (!pi || !attempt || attempt.payment_intent_id !== pi.id) return fail({ kind: 'not_found', resource: 'payment_attempt', id: attemptId });
    return ok(await applyLocked(s, deps, ctx, pi, attempt, outcome));
  });
}

/** With the PaymentIntent and attempt locked: decide, write, record events. */
export async function applyLocked(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, attempt: PaymentAttemptRecord, outcome: PaymentOutcome,
): Promise<PaymentIntentRecord> {
  const now = deps.clock.now();
  if (attempt.cancel_requested_at !== null) {
    const held = await whileCanceling(s, deps, ctx, pi, attempt, outcome, now);
    if (held) return held;
  }
  if (!OPEN.includes(attempt.status)) {
    if (attempt.status !== outcome.status && !(attempt.status === 'failed' && outcome.status === 'canceled')) {
      deps.log.warn({ ...requestFields(ctx), payment_intent: attempt.payment_intent_id, recorded: attempt.status, reported: outcome.status }, 'upstream reports another result for a settled attempt; kept the first');
    }
    return pi;
  }
  const paymentId = outcome.paymentId ?? attempt.upstream_payment_id;
  let a: PaymentAttemptRecord = { ...attempt, upstream_payment_id: paymentId, updated: now };
  let next = pi;
  const move = async (name: PaymentIntentTransition, changes: Partial<PaymentIntentRecord>) => {
    const moved = transition(next, name, name);
    if (!moved.ok) {
      deps.log.warn({ ...requestFields(ctx), payment_intent: pi.id, status: pi.status, transition: name }, 'upstream result does not fit the PaymentIntent state; attempt updated only');
      return false;
    }
    next = { ...moved.value, ...changes, updated: now };
    return true;
  };

  const events: string[] = [];
  let charge: ChargeRecord | undefined;
  switch (outcome.status) {
    case 'action_required': {
      if (a.status !== 'pending') return pi; // already redirected; an inquiry saying "still waiting"
      if (!outcome.redirect.normalUrl && !outcome.redirect.applinkUrl && !outcome.redirect.schemeUrl) return pi;
      a = { ...a, status: 'redirected', redirect: outcome.redirect, next_poll_at: attempt.created + (deps.pollScheduleMs[0] ?? 30_000) };
      if (await move('require_action', { next_action: nextActionFor(a, pi.return_url) })) events.push('require_action');
      break;
    }
    case 'processing': {
      if (a.status === 'processing') return pi;
      a = { ...a, status: 'processing' };
      if (await move('start_processing', { next_action: null })) events.push('start_processing');
      break;
    }
    case 'succeeded': {
      a = {
        ...a, status: 'succeeded', paid_at: outcome.paidAt ?? now, wallet: outcome.wallet ?? (a.method_type === 'alipay' ? 'ALIPAY_CN' : null),
        buyer_id: outcome.buyerId ?? null, next_poll_at: null,
      };
      charge = chargeFor(a, pi, now, 'succeeded');
      if (await move('succeed', { amount_received: a.amount, latest_charge: charge.id, next_action: null, last_payment_error: null })) events.push('succeed');
      break;
    }
    case 'failed':
    case 'canceled': {
      const code = outcome.status === 'failed' ? outcome.code : 'PAYMENT_EXPIRED';
      const message = outcome.status === 'failed' ? outcome.message : 'The shopper did not complete the payment in time; the wallet closed it.';
      a = { ...a, status: outcome.status === 'failed' ? 'failed' : 'canceled', failure_code: code, failure_message: message, next_poll_at: null };
      charge = chargeFor(a, pi, now, 'failed');
      const pm = await s.paymentMethods.get({ account_id: pi.account_id, livemode: pi.livemode }, a.payment_method_id);
      const error: LastPaymentError = {
        type: 'card_error',
        code: outcome.status === 'failed' ? 'payment_method_provider_decline' : 'payment_intent_payment_attempt_expired',
        decline_code: code.toLowerCase(),
        message,
        payment_method_type: a.method_type,
        ...(pm ? { payment_method: paymentMethodPublic(pm) } : {}),
      };
      if (await move('fail', { last_payment_error: error, next_action: null, latest_charge: charge.id })) events.push('fail');
      break;
    }
  }

  await s.attempts.update(a);
  if (charge) {
    if (a.wallet) await recordWallet(s, pi, a);
    if (charge.status === 'succeeded') charge.balance_transaction = await recordChargeBalance(s, deps, ctx, charge, outcome.status === 'succeeded' ? outcome.settlement : undefined);
    await s.charges.insert(charge);
  }
  if (next !== pi) await s.paymentIntents.update(next);
  for (const name of events) {
    const type = transitionEvent(name as PaymentIntentTransition);
    if (type) await recordEvent(s, deps, ctx, type, paymentIntentPublic(next));
  }
  if (charge) await recordEvent(s, deps, ctx, charge.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed', chargePublic(charge));
  if (events.includes('succeed')) await completeCheckoutSession(s, deps, ctx, next);
  return next;
}

export function chargeFor(a: PaymentAttemptRecord, pi: PaymentIntentRecord, now: number, status: 'succeeded' | 'failed'): ChargeRecord {
  const details: Record<string, unknown> = { buyer_id: a.buyer_id, fingerprint: null, transaction_id: a.upstream_payment_id };
  if (a.method_type === 'alipayplus') details.wallet = a.wallet;
  return {
    id: newId('charge'),
    account_id: pi.account_id,
    livemode: pi.livemode,
    created: now,
    updated: now,
    payment_intent_id: pi.id,
    payment_method_id: a.payment_method_id,
    attempt_id: a.id,
    amount: a.amount,
    currency: a.currency,
    status,
    amount_refunded: 0,
    disputed: false,
    failure_code: status === 'failed' ? a.failure_code : null,
    failure_message: status === 'failed' ? a.failure_message : null,
    payment_method_details: { type: a.method_type, [a.method_type]: details },
    description: pi.description,
    metadata: {},
  };
}

/** The wallet the shopper chose is a fact about their payment method. */
async function recordWallet(s: StoreTx, pi: PaymentIntentRecord, a: PaymentAttemptRecord): Promise<void> {
  const pm = await s.paymentMethods.get({ account_id: pi.account_id, livemode: pi.livemode }, a.payment_method_id);
  if (pm && pm.details.wallet !== a.wallet && a.wallet) await s.paymentMethods.update({ ...pm, details: { ...pm.details, wallet: a.wallet } });
}

/** What a success tells about the shopper's payment, kept on the attempt (earlier facts win). */
export function paidFactsOf(attempt: PaymentAttemptRecord, outcome: Extract<PaymentOutcome, { status: 'succeeded' }>, now: number) {
  return {
    paid_at: attempt.paid_at ?? outcome.paidAt ?? now,
    wallet: outcome.wallet ?? attempt.wallet ?? (attempt.method_type === 'alipay' ? 'ALIPAY_CN' : null),
    buyer_id: outcome.buyerId ?? attempt.buyer_id,
    upstream_payment_id: outcome.paymentId ?? attempt.upstream_payment_id,
  };
}

/**
 * Answers about an attempt the gateway decided to cancel (cancel.ts explains the interleavings).
 * Returns the PaymentIntent when the answer was handled here, undefined to apply it as usual.
 */
async function whileCanceling(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, pi: PaymentIntentRecord, attempt: PaymentAttemptRecord, outcome: PaymentOutcome, now: number,
): Promise<PaymentIntentRecord | undefined> {
  const paidFacts = outcome.status === 'succeeded' ? paidFactsOf(attempt, outcome, now) : {};
  if (OPEN.includes(attempt.status)) {
    // Antom's answer to the cancel decides; until then a success is kept, not reported.
    if (outcome.status === 'succeeded') {
      deps.log.info({ ...requestFields(ctx), payment_intent: pi.id }, 'success reported while a cancel is on its way to Antom; held until Antom answers the cancel');
      await s.attempts.update({ ...attempt, ...paidFacts, updated: now });
      return pi;
    }
    if (outcome.status === 'processing') return pi;
    return undefined;
  }
  if (attempt.status !== 'canceled') return undefined;
  if (outcome.status === 'succeeded') {
    // Antom confirmed our cancel, so a success now is one paid before the cancel reached it: Antom
    // returned the money. The charge is recorded and reversed, never a plain success.
    const a = { ...attempt, ...paidFacts, updated: now };
    await s.attempts.update(a);
    const charge = await recordReversal(s, deps, ctx, pi, a, 'returned_by_cancel', outcome.settlement);
    if (pi.latest_charge === charge.id) return pi;
    const next = { ...pi, latest_charge: charge.id, updated: now };
    await s.paymentIntents.update(next);
    return next;
  }
  if (outcome.status === 'action_required' || outcome.status === 'processing') {
    // Antom holds an open payment for an attempt we closed (a pay that landed after our cancel):
    // the poller closes it again.
    await s.attempts.update({ ...attempt, next_poll_at: now, updated: now });
    return pi;
  }
  return undefined;
}
