/**
 * Update a PaymentIntent. Descriptive fields (metadata, description, receipt details) may change
 * at any time; what the shopper pays (amount, currency, methods) only before a payment attempt.
 */
import { fail, ok, type Result } from '../errors.js';
import type { PaymentIntentRecord } from '../model.js';
import { inTx, type CoreDeps, type RequestContext } from '../context.js';
import type { UpdatePaymentIntentParams } from './params.js';
import { applyPaymentMethodParams, ownedByCheckout, transition, unexpectedState } from './shared.js';
import { AMOUNT_MUTABLE } from './states.js';

export async function updatePaymentIntent(
  deps: CoreDeps, ctx: RequestContext, id: string, params: UpdatePaymentIntentParams,
): Promise<Result<PaymentIntentRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.paymentIntents.lock(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
    let pi: PaymentIntentRecord = { ...found, updated: deps.clock.now() };

    const paymentChange = params.amount !== undefined || params.currency !== undefined || params.payment_method_types !== undefined
      || params.payment_method_data !== undefined || params.payment_method !== undefined || params.payment_method_options !== undefined
      || params.return_url !== undefined;
    if (paymentChange) {
      if (!AMOUNT_MUTABLE.includes(pi.status)) return fail(unexpectedState(pi, 'update the amount, currency or payment method of'));
      if (pi.checkout_session_id) return fail(ownedByCheckout(pi, 'change the amount, currency or payment method of'));
      if (await s.attempts.open(pi.id)) {
        return fail({
          kind: 'unexpected_state', code: 'payment_intent_unexpected_state', paymentIntentId: pi.id,
          message: 'An earlier confirmation of this PaymentIntent is still unsettled with Alipay; confirm again or cancel it before changing what is paid.',
        });
      }
      if (params.amount !== undefined) pi.amount = params.amount;
      if (params.currency !== undefined) pi.currency = params.currency.toUpperCase();
      const applied = await applyPaymentMethodParams(s, deps, ctx, pi, params);
      if (!applied.ok) return applied;
      pi = applied.value.pi;
      if (applied.value.attached && pi.status === 'requires_payment_method') {
        const moved = transition(pi, 'attach_payment_method', 'attach a payment method to');
        if (!moved.ok) return moved;
        pi = moved.value;
      }
    }
    if (params.description !== undefined) pi.description = params.description;
    if (params.receipt_email !== undefined) pi.receipt_email = params.receipt_email;
    if (params.statement_descriptor !== undefined) pi.statement_descriptor = params.statement_descriptor;
    if (params.statement_descriptor_suffix !== undefined) pi.statement_descriptor_suffix = params.statement_descriptor_suffix;
    if (params.metadata === null) pi.metadata = {};
    else if (params.metadata) pi.metadata = mergeMetadata(pi.metadata, params.metadata);
    await s.paymentIntents.update(pi);
    return ok(pi);
  });
}

/** Stripe's rule: keys are merged; a key set to "" (or null) is removed. */
export function mergeMetadata(current: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}
