/**
 * Confirm a PaymentIntent: start (or resume) one payment attempt with Antom.
 *
 * 1. In one transaction: check the state, attach what the call brings, and store the attempt —
 *    its id is Antom's paymentRequestId, so every later send of this attempt is the same request.
 * 2. Outside any transaction: `pay`.
 * 3. Apply the answer like any other upstream answer (apply-outcome.ts).
 * If Antom gives no usable answer, the attempt stays pending and the PaymentIntent stays
 * `requires_confirmation`: confirming again (or the poller) resends the same request.
 */
import { fail, invalid, ok, type CoreError, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { METHODS } from '../money.js';
import { prohibitedMessage, type BusinessProfile } from '../catalog/prohibited-businesses.js';
import type { PaymentAttemptRecord, PaymentIntentRecord } from '../model.js';
import { inTx, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import type { PaymentConnector, PayRequest } from '../connector.js';
import type { StoreTx } from '../store.js';
import type { ConfirmPaymentIntentParams } from './params.js';
import { applyPaymentMethodParams, ownedByCheckout, transition, unexpectedState } from './shared.js';
import { CONFIRMABLE } from './states.js';
import { applyPaymentOutcome, type Committed } from './apply-outcome.js';

export async function confirmPaymentIntent(
  deps: CoreDeps, ctx: RequestContext, id: string, params: ConfirmPaymentIntentParams,
): Promise<Result<PaymentIntentRecord>> {
  const connector = deps.connector(ctx.scope.livemode);
  if (!connector) return fail(noConnector(ctx));
  const business = await deps.store.accounts.businessProfile(ctx.scope.account_id);
  const prepared = await inTx(deps.store, async (s) => {
    const found = await s.paymentIntents.lock(ctx.scope, id);
    if (!found) return fail<Prepared>({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    return prepareConfirm(s, deps, ctx, found, params, business);
  });
  if (!prepared.ok) return prepared;
  return sendAttempt(deps, ctx, connector, prepared.value);
}

/** What step 1 committed: exactly the rows step 3 applies Antom's answer to. */
export type Prepared = Committed;

export const noConnector = (ctx: RequestContext): CoreError => ({
  kind: 'upstream_unavailable',
  message: `No Antom connection is configured for ${ctx.scope.livemode ? 'live' : 'test'} mode.`,
});

/**
 * Step 1, inside the caller's transaction with the PaymentIntent locked: check, attach, and store
 * the attempt. Create-with-confirm runs this in its own transaction, so a refused confirmation
 * leaves no PaymentIntent behind. `business` is the account's profile, read by the caller just
 * before the transaction (READ COMMITTED would read the same inside it): so the transaction that
 * creates and prepares a PaymentIntent reads nothing, and goes to the store as one statement with
 * the other commits of that moment (store/deferred.ts), not as BEGIN, a flush, a read and COMMIT.
 */
export async function prepareConfirm(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, found: PaymentIntentRecord, params: ConfirmPaymentIntentParams, business: BusinessProfile,
): Promise<Result<Prepared>> {
  if (!CONFIRMABLE.includes(found.status)) return fail(unexpectedState(found, 'confirm'));
  if (found.checkout_session_id && ctx.actor !== 'checkout') return fail(ownedByCheckout(found, 'confirm'));
  // Every method this gateway serves is Alipay or Alipay+, so a prohibited business may use none:
  // refused before anything is attached, stored or sent to Antom.
  const refused = prohibitedMessage(business);
  if (refused) return fail({ kind: 'business_prohibited', code: 'business_category_prohibited', message: refused });
  const applied = await applyPaymentMethodParams(s, deps, ctx, found, params);
  if (!applied.ok) return applied;
  let pi = applied.value.pi;
  if (!pi.payment_method && pi.payment_method_types.length === 1) {
    // Wallet methods need no details from the shopper: one offered method is the method.
    const inferred = await applyPaymentMethodParams(s, deps, ctx, pi, { payment_method_data: { type: pi.payment_method_types[0]! } });
    if (!inferred.ok) return inferred;
    pi = inferred.value.pi;
  }
  const pmId = pi.payment_method;
  if (!pmId) {
    return fail(invalid('parameter_missing', `Choose a payment method: pass payment_method_data[type] (one of ${pi.payment_method_types.join(', ')}).`, 'payment_method_data[type]'));
  }
  if (!pi.return_url) {
    return fail(invalid('parameter_missing', 'return_url is required to confirm: Alipay sends the shopper back to it after paying.', 'return_url'));
  }
  if (pi.status === 'requires_payment_method') {
    const moved = transition(pi, 'attach_payment_method', 'confirm');
    if (!moved.ok) return moved;
    pi = moved.value;
  }
  const pm = await s.paymentMethods.get(ctx.scope, pmId);
  if (!pm) return fail({ kind: 'not_found', resource: 'payment_method', id: pmId, param: 'payment_method' });
  const options = pi.payment_method_options[pm.type] ?? {};
  const now = deps.clock.now();
  const wanted: PaymentAttemptRecord = {
    id: newId('paymentAttempt'),
    payment_intent_id: pi.id,
    account_id: pi.account_id,
    livemode: pi.livemode,
    created: now,
    updated: now,
    amount: pi.amount,
    currency: pi.currency,
    method_type: pm.type,
    upstream_method: params.wallet ?? METHODS[pm.type].upstreamMethod,
    payment_method_id: pm.id,
    description: (pi.description || `Payment ${pi.id}`).slice(0, 256),
    env: {
      terminal_type: options.terminal_type ?? 'WEB',
      ...(options.os_type ? { os_type: options.os_type } : {}),
      ...(options.client_ip ? { client_ip: options.client_ip } : {}),
    },
    status: 'pending',
    upstream_payment_id: null,
    redirect: null,
    failure_code: null,
    failure_message: null,
    wallet: null,
    buyer_id: null,
    paid_at: null,
    // If this process dies before Antom answers, the poller resends the same request.
    next_poll_at: now + (deps.pollScheduleMs[0] ?? 30_000),
    poll_count: 0,
    cancel_requested_at: null,
    cancel_source: null,
    cancel_reason: null,
  };
  let attempt = await s.attempts.open(pi.id);
  if (attempt) {
    // An earlier confirm got no answer from Antom; only the very same request may be resent.
    if (!sameRequest(attempt, wanted)) {
      return fail(invalid('parameter_invalid', 'An earlier confirmation of this PaymentIntent is still unsettled with Alipay with other parameters. Confirm again with the same parameters, or cancel it.'));
    }
  } else {
    attempt = wanted;
    await s.attempts.insert(attempt);
  }
  pi = { ...pi, next_action: null, last_payment_error: null, updated: now };
  await s.paymentIntents.update(pi);
  return ok({ pi, attempt });
}

/** Steps 2 and 3: send the attempt to Antom (outside any transaction) and apply the answer. */
export async function sendAttempt(deps: CoreDeps, ctx: RequestContext, connector: PaymentConnector, prepared: Prepared): Promise<Result<PaymentIntentRecord>> {
  const { pi, attempt } = prepared;
  const outcome = await connector.pay(payRequestFor(deps, attempt), requestFields(ctx));
  deps.crashPoint('after_antom_answer');
  deps.log.debug({ ...requestFields(ctx), payment_intent: pi.id, api: 'pay', outcome: outcome.status }, 'antom answered');
  if (outcome.status === 'unknown') {
    deps.log.warn({ ...requestFields(ctx), payment_intent: pi.id, reason: outcome.reason }, 'pay without a usable answer; attempt kept for retry');
    return fail({ kind: 'upstream_unavailable', message: 'Alipay did not answer in time. Nothing was charged; confirm again with the same parameters to resume this payment.' });
  }
  const applied = await applyPaymentOutcome(deps, ctx, attempt.id, outcome, prepared);
  if (!applied.ok) return applied;
  if (outcome.status === 'failed') {
    return fail({ kind: 'payment_failed', code: 'payment_method_provider_decline', declineCode: outcome.code.toLowerCase(), message: outcome.message, paymentIntentId: pi.id });
  }
  return applied;
}

function sameRequest(a: PaymentAttemptRecord, b: PaymentAttemptRecord): boolean {
  return a.amount === b.amount && a.currency === b.currency && a.upstream_method === b.upstream_method
    && a.env.terminal_type === b.env.terminal_type && a.env.os_type === b.env.os_type && a.env.client_ip === b.env.client_ip;
}

/** The pay request of an attempt, built only from stored fields so a resend is byte-identical. */
export function payRequestFor(deps: CoreDeps, attempt: PaymentAttemptRecord): PayRequest {
  return {
    paymentRequestId: attempt.id,
    referenceOrderId: attempt.payment_intent_id,
    description: attempt.description,
    amount: attempt.amount,
    currency: attempt.currency,
    upstreamMethod: attempt.upstream_method,
    terminalType: attempt.env.terminal_type,
    osType: attempt.env.os_type,
    clientIp: attempt.env.client_ip,
    redirectUrl: deps.urls.paymentReturn(attempt.id),
    notifyUrl: deps.urls.paymentNotify(),
  };
}
