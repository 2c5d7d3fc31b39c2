/**
 * Refund a payment, fully or in part, as many times as money remains.
 *
 * 1. In one transaction, with the charge row locked (so concurrent refunds of one charge are
 *    decided one after another): check what remains, store the refund as `pending` — its id is
 *    Antom's refundRequestId — and record refund.created.
 * 2. Outside any transaction: Antom `refund`.
 * 3. Apply the answer (apply-outcome.ts). No answer: the refund stays pending and the poller sends
 *    the same request again, so it can never be refunded twice.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { checkWholeUnits, formatAmount } from '../money.js';
import { refundPublic, type Metadata, type RefundReason, type RefundRecord } from '../model.js';
import { inTx, recordEvent, requestFields, type CoreDeps, type RequestContext } from '../context.js';
import type { RefundRequest } from '../connector.js';
import { applyRefundOutcome } from './apply-outcome.js';

export interface CreateRefundParams {
  payment_intent?: string;
  charge?: string;
  amount?: number;
  reason?: RefundReason;
  metadata?: Metadata;
  description?: string | null;
}

export async function createRefund(deps: CoreDeps, ctx: RequestContext, p: CreateRefundParams): Promise<Result<RefundRecord>> {
  if (!p.payment_intent && !p.charge) return fail(invalid('parameter_missing', 'Name what to refund: payment_intent or charge.', 'payment_intent'));
  const connector = deps.connector(ctx.scope.livemode);
  if (!connector) return fail({ kind: 'upstream_unavailable', message: `No Antom connection is configured for ${ctx.scope.livemode ? 'live' : 'test'} mode.` });

  const created = await inTx(deps.store, async (s): Promise<Result<{ refund: RefundRecord; request?: RefundRequest }>> => {
    if (ctx.idempotency_key) {
      // A retry of a request whose process died: resume the refund it created. A pending one is
      // sent again under the same refundRequestId, which Antom answers without refunding twice.
      const existing = await s.refunds.findByIdempotencyKey(ctx.scope, ctx.idempotency_key);
      if (existing?.status === 'pending') {
        const charge = await s.charges.get(ctx.scope, existing.charge_id);
        const paid = charge && (await s.attempts.get(charge.attempt_id));
        return ok({ refund: existing, request: paid?.upstream_payment_id ? refundRequestFor(deps, existing, paid.upstream_payment_id) : undefined });
      }
      if (existing) return ok({ refund: existing });
    }
    // The usual case, a succeeded PaymentIntent, reads and locks its charge in one statement; the
    // PaymentIntent is read only to say what is wrong with it.
    const latest = p.payment_intent ? await s.charges.lockLatestOf(ctx.scope, p.payment_intent) : undefined;
    let chargeId = latest?.id ?? p.charge;
    if (p.payment_intent && !latest) {
      const pi = await s.paymentIntents.get(ctx.scope, p.payment_intent);
      if (!pi) return fail({ kind: 'not_found', resource: 'payment_intent', id: p.payment_intent, param: 'payment_intent' });
      if (pi.status !== 'succeeded' || !pi.latest_charge) {
        return fail(invalid('charge_not_refundable', `This PaymentIntent (${pi.id}) has no successful payment to refund: its status is ${pi.status}.`, 'payment_intent'));
      }
      // Succeeded with a charge, yet none was locked: it changed between the two reads; lock it by id.
      chargeId = pi.latest_charge;
    }
    if (p.payment_intent && p.charge && p.charge !== chargeId) return fail(invalid('parameter_invalid', `The charge ${p.charge} does not belong to ${p.payment_intent}.`, 'charge'));
    const charge = latest ?? await s.charges.lock(ctx.scope, chargeId!);
    if (!charge) return fail({ kind: 'not_found', resource: 'charge', id: chargeId!, param: 'charge' });
    if (charge.status !== 'succeeded') return fail(invalid('charge_not_refundable', `The charge ${charge.id} did not succeed (status ${charge.status}); there is nothing to refund.`, 'charge'));
    // Read under the charge's lock, which notifyDispute takes too: a dispute opened meanwhile is seen,
    // and so is every refund of the charge committed before the lock was ours.
    const standing = await s.refunds.standing(charge.id, charge.attempt_id);
    const dispute = standing.disputed ? await s.disputes.openFor(charge.id) : undefined;
    if (dispute) {
      return fail({ kind: 'charge_disputed', disputeId: dispute.id, param: p.payment_intent ? 'payment_intent' : 'charge',
        message: `The charge ${charge.id} has an open dispute (${dispute.id}, ${dispute.status}): Alipay holds ${formatAmount(dispute.amount, dispute.currency)} until it is judged, so it cannot be refunded now.` });
    }
    const upstreamPaymentId = standing.upstreamPaymentId;
    if (!upstreamPaymentId) return fail(invalid('charge_not_refundable', `The charge ${charge.id} has no Antom payment to refund.`, 'charge'));

    const remaining = charge.amount - standing.reserved;
    if (remaining <= 0) return fail(invalid('charge_already_refunded', `The charge ${charge.id} has already been refunded in full (${formatAmount(charge.amount, charge.currency)}).`, p.payment_intent ? 'payment_intent' : 'charge'));
    const amount = p.amount ?? remaining;
    if (amount > remaining) {
      return fail(invalid('amount_too_large', `Refund amount (${formatAmount(amount, charge.currency)}) is greater than what remains to refund on the charge (${formatAmount(remaining, charge.currency)}).`, 'amount'));
    }
    const units = checkWholeUnits(charge.currency, amount);
    if (units) return fail(invalid('invalid_amount', `Invalid refund amount: ${units.message}`, 'amount'));
    const now = deps.clock.now();
    const refund: RefundRecord = {
      id: newId('refund'),
      account_id: ctx.scope.account_id,
      livemode: ctx.scope.livemode,
      created: now,
      updated: now,
      payment_intent_id: charge.payment_intent_id,
      charge_id: charge.id,
      amount,
      currency: charge.currency,
      reason: p.reason ?? null,
      status: 'pending',
      failure_reason: null,
      failure_code: null,
      description: p.description ?? null,
      metadata: p.metadata ?? {},
      upstream_refund_id: null,
      // If this process dies before Antom answers, the poller sends the same request again.
      next_poll_at: now + (deps.pollScheduleMs[0] ?? 30_000),
      poll_count: 0,
      idempotency_key: ctx.idempotency_key,
    };
    await s.refunds.insert(refund);
    await recordEvent(s, deps, ctx, 'refund.created', refundPublic(refund));
    return ok({ refund, request: refundRequestFor(deps, refund, upstreamPaymentId) });
  });
  if (!created.ok) return created;
  deps.crashPoint('after_object_committed');
  const { refund, request } = created.value;
  if (!request || refund.status !== 'pending') return ok(refund);
  const outcome = await connector.refund(request, requestFields(ctx));
  deps.crashPoint('after_antom_answer');
  deps.log.debug({ ...requestFields(ctx), refund: refund.id, payment_intent: refund.payment_intent_id, api: 'refund', outcome: outcome.status }, 'antom answered');
  if (outcome.status === 'unknown') {
    deps.log.warn({ ...requestFields(ctx), refund: refund.id, reason: outcome.reason }, 'refund without a usable answer; kept pending for retry');
    return ok(refund);
  }
  return applyRefundOutcome(deps, ctx, refund, outcome);
}

export function refundRequestFor(deps: CoreDeps, r: RefundRecord, paymentId: string): RefundRequest {
  return {
    refundRequestId: r.id,
    paymentId,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason ?? undefined,
    notifyUrl: deps.urls.paymentNotify(),
  };
}
