/** Create a PaymentIntent: validate → decide → persist it with payment_intent.created → confirm if asked. */
import { fail, invalid, ok, type Result } from '../errors.js';
import { clientSecretFor, newId } from '../ids.js';
import { paymentIntentPublic, type PaymentIntentRecord } from '../model.js';
import { inTx, recordEvent, type CoreDeps, type RequestContext } from '../context.js';
import { StoreConflict, type StoreTx } from '../store.js';
import type { CreatePaymentIntentParams } from './params.js';
import { CONFIRMABLE } from './states.js';
import { applyPaymentMethodParams, checkAmountForMethods, defaultMethods, transition } from './shared.js';
import { noConnector, prepareConfirm, sendAttempt, type Prepared } from './confirm.js';

export async function createPaymentIntent(deps: CoreDeps, ctx: RequestContext, params: CreatePaymentIntentParams): Promise<Result<PaymentIntentRecord>> {
  const connector = deps.connector(ctx.scope.livemode);
  if (params.confirm && !connector) return fail(noConnector(ctx));
  const business = params.confirm ? await deps.store.accounts.businessProfile(ctx.scope.account_id) : undefined;

  const create = (resume: boolean) => inTx(deps.store, async (s): Promise<Result<{ pi: PaymentIntentRecord; prepared?: Prepared }>> => {
    // The key's claim commits with the PaymentIntent (a key already claimed fails this commit);
    // with the answer when nothing follows the creation, so the key is saved as done at once.
    const claimKey = async (answered?: PaymentIntentRecord) => {
      const c = ctx.idempotency_claim;
      if (c) await s.idempotencyKeys.claim(c, answered && ctx.idempotency_answer ? { status: 200, body: ctx.idempotency_answer(answered) } : undefined);
    };
    if (resume && ctx.idempotency_key) {
      // A retry after a crash between commit and response, or after an answer that could not be
      // stored: the PaymentIntent already exists. Its confirmation resumes here, with it locked,
      // so that the poller (resending the same pay) cannot move it on between this look and the
      // resume: the retry answers with the PaymentIntent as it is, never "unexpected state".
      const found = await s.paymentIntents.findByIdempotencyKey(ctx.scope, ctx.idempotency_key);
      const existing = found && (await s.paymentIntents.lock(ctx.scope, found.id));
      if (existing) {
        await claimKey();
        if (!params.confirm || !CONFIRMABLE.includes(existing.status)) return ok({ pi: existing });
        const prepared = await prepareConfirm(s, deps, ctx, existing, {}, business!);
        return prepared.ok ? ok({ pi: existing, prepared: prepared.value }) : prepared;
      }
    }
    const inserted = await insertPaymentIntent(s, deps, ctx, params);
    if (!inserted.ok) return inserted;
    const pi = inserted.value;
    await claimKey(params.confirm ? undefined : pi);
    if (!params.confirm) return ok({ pi });
    // Confirmation is prepared in the same transaction: if it is refused, nothing was created.
    const prepared = await prepareConfirm(s, deps, ctx, pi, {}, business!);
    return prepared.ok ? ok({ pi, prepared: prepared.value }) : prepared;
  });
  // The common case first, without looking for an earlier PaymentIntent of the key: the key's
  // unique index says when there is one, and then the creation resumes from it.
  let created: Awaited<ReturnType<typeof create>>;
  try {
    created = await create(false);
  } catch (err) {
    if (!(ctx.idempotency_key && err instanceof StoreConflict && err.constraint?.endsWith('idempotency_key_key'))) throw err;
    created = await create(true);
  }
  if (!created.ok) return created;
  if (ctx.idempotency_claim) deps.crashPoint('after_idempotency_claim');
  deps.crashPoint('after_object_committed');
  const { pi, prepared } = created.value;
  if (!params.confirm) return ok(pi);
  // A retry whose PaymentIntent had moved on (the poller or a notification got there first) answers with it.
  if (!prepared) return ok(pi);
  return sendAttempt(deps, ctx, connector!, prepared);
}

/**
 * Validates and inserts a PaymentIntent with its payment_intent.created event, in the caller's
 * transaction (a Checkout Session creates its PaymentIntent this way, in its own transaction).
 */
export async function insertPaymentIntent(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, params: CreatePaymentIntentParams,
): Promise<Result<PaymentIntentRecord>> {
  const currency = params.currency.toUpperCase();
  const automatic = params.automatic_payment_methods;
  if (automatic?.enabled && params.payment_method_types) {
    return fail(invalid('parameter_invalid', 'You may only specify one of these parameters: automatic_payment_methods, payment_method_types.', 'automatic_payment_methods'));
  }
  if (automatic?.enabled && automatic.allow_redirects === 'never') {
    return fail(invalid('parameter_invalid', 'Alipay and Alipay+ always send the shopper to the wallet to pay, so automatic_payment_methods[allow_redirects]=never leaves no payment method.', 'automatic_payment_methods[allow_redirects]'));
  }
  const types = params.payment_method_types
    ?? (params.payment_method_data ? [params.payment_method_data.type] : defaultMethods(currency, params.amount));
  if (types.length === 0) {
    return fail(checkAmountForMethods(['alipay', 'alipayplus'], currency, params.amount)
      ?? invalid('currency_not_supported', `No payment method presents ${currency}.`, 'currency'));
  }
  const now = deps.clock.now();
  const id = newId('paymentIntent');
  const base: PaymentIntentRecord = {
    id,
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    created: now,
    updated: now,
    amount: params.amount,
    currency,
    status: 'requires_payment_method',
    client_secret: clientSecretFor(id),
    payment_method_types: [],
    payment_method_options: {},
    payment_method: null,
    confirmation_method: params.confirmation_method ?? 'automatic',
    capture_method: 'automatic',
    return_url: null,
    description: params.description ?? null,
    metadata: params.metadata ?? {},
    amount_received: 0,
    latest_charge: null,
    last_payment_error: null,
    cancellation_reason: null,
    canceled_at: null,
    next_action: null,
    receipt_email: params.receipt_email ?? null,
    statement_descriptor: params.statement_descriptor ?? null,
    statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
    idempotency_key: ctx.idempotency_key,
    checkout_session_id: params.checkout_session_id ?? null,
    automatic_payment_methods: params.automatic_payment_methods ?? null,
  };
  const applied = await applyPaymentMethodParams(s, deps, ctx, base, { ...params, payment_method_types: types });
  if (!applied.ok) return applied;
  let pi = applied.value.pi;
  if (applied.value.attached) {
    const moved = transition(pi, 'attach_payment_method', 'attach a payment method to');
    if (!moved.ok) return moved;
    pi = moved.value;
  }
  await s.paymentIntents.insert(pi);
  await recordEvent(s, deps, ctx, 'payment_intent.created', paymentIntentPublic(pi));
  return ok(pi);
}
