/**
 * What the Trust Payments door asks of core beyond creating a payment (an AUTH is a
 * PaymentIntent created with `ctx.via`, see follow.ts): REFUND, TRANSACTIONQUERY and
 * TRANSACTIONUPDATE. Each checks the settlement rules of seed 004 and then uses the same core
 * operations as /v1, so no payment logic lives twice.
 *
 * Cancelling an AUTH while its shopper pays (TRANSACTIONUPDATE settlestatus 3) is
 * payment-intents/cancel.ts: the gateway and Antom end in one truth. Either the success won — the
 * AUTH is authorised, the update is refused with 60017 and the AUTH settles — or the cancel did,
 * and the AUTH is 3 and never counts as paid (money the shopper paid meanwhile is returned).
 */
import { fail, ok, type CoreError, type Result, type SettlementRefusal } from '../errors.js';
import type { CoreDeps, RequestContext } from '../context.js';
import type { Scope } from '../store.js';
import { createRefund } from '../refunds/create.js';
import { cancelPaymentIntent } from '../payment-intents/cancel.js';
import { SETTLE, type TpTransactionRecord, type TransactionFilter, type WebservicesOrigin } from './records.js';

const refused = (reason: SettlementRefusal, message: string, param?: string): CoreError => ({ kind: 'settlement_refused', reason, message, param });

/** Most records one TRANSACTIONQUERY returns. */
export const QUERY_LIMIT = 1000;

function visible(t: TpTransactionRecord | undefined, scope: Scope, sites: readonly string[]): t is TpTransactionRecord {
  return Boolean(t && t.account_id === scope.account_id && t.livemode === scope.livemode && sites.includes(t.site_reference));
}

export interface RefundParams {
  parent_reference: string;
  amount?: number;
  /** The sites the webservices user may use. */
  sites: readonly string[];
}

export async function refundTransaction(
  deps: CoreDeps, ctx: RequestContext & { via: WebservicesOrigin }, p: RefundParams,
): Promise<Result<TpTransactionRecord>> {
  const parent = await deps.store.tp.get(p.parent_reference);
  if (!visible(parent, ctx.scope, p.sites) || parent.site_reference !== ctx.via.site_reference) {
    return fail(refused('parent_missing', `No transaction ${p.parent_reference} on site ${ctx.via.site_reference}.`, 'parenttransactionreference'));
  }
  if (parent.request_type !== 'AUTH') return fail(refused('parent_not_auth', `${parent.reference} is a ${parent.request_type}; only an AUTH can be refunded.`, 'parenttransactionreference'));
  if (parent.settle_status === SETTLE.cancelled) {
    return parent.error_code === '70000'
      ? fail(refused('parent_declined', `${parent.reference} was declined; there is nothing to refund.`, 'parenttransactionreference'))
      : fail(refused('parent_cancelled', `${parent.reference} was cancelled; there is nothing to refund.`, 'parenttransactionreference'));
  }
  // Settled is final (nothing moves an AUTH out of 100), so this check cannot go stale.
  if (parent.settle_status !== SETTLE.settled) {
    return fail(refused('parent_not_settled', `${parent.reference} has settlestatus ${parent.settle_status}; Alipay payments can be refunded once settled (100).`, 'parenttransactionreference'));
  }
  // Core locks the charge and counts what is already refunded, so concurrent REFUNDs never exceed the payment.
  const made = await createRefund(deps, ctx, { payment_intent: parent.payment_intent_id, amount: p.amount });
  if (!made.ok) {
    const e = made.error;
    if (e.kind === 'invalid_request' && (e.code === 'amount_too_large' || e.code === 'charge_already_refunded')) {
      return fail(refused('refund_too_large', e.message, 'baseamount'));
    }
    return made;
  }
  const t = await deps.store.tp.byRefund(made.value.id);
  if (!t) throw new Error(`refund ${made.value.id} of AUTH ${parent.reference} has no REFUND transaction`);
  return ok(t);
}

export async function queryTransactions(deps: CoreDeps, scope: Scope, filter: TransactionFilter): Promise<TpTransactionRecord[]> {
  return deps.store.tp.find(scope.account_id, scope.livemode, filter, QUERY_LIMIT);
}

export interface TransactionUpdates {
  settle_status?: 0 | 1 | 2 | 3;
  settle_due_date?: string;
  order_reference?: string;
}

/** Applies `updates` to each transaction the filter names; all or each refused with its reason. */
export async function updateTransactions(
  deps: CoreDeps, ctx: RequestContext, filter: TransactionFilter, updates: TransactionUpdates,
): Promise<Result<TpTransactionRecord[]>> {
  const found = await deps.store.tp.find(ctx.scope.account_id, ctx.scope.livemode, filter, QUERY_LIMIT);
  if (found.length === 0) return fail(refused('transaction_not_found', 'No transaction matches the filter.', 'filter'));
  const done: TpTransactionRecord[] = [];
  for (const t of found) {
    const r = await updateOne(deps, ctx, t.reference, updates);
    if (!r.ok) return r;
    done.push(r.value);
  }
  return ok(done);
}

async function updateOne(deps: CoreDeps, ctx: RequestContext, reference: string, u: TransactionUpdates): Promise<Result<TpTransactionRecord>> {
  const notUpdatable = (t: TpTransactionRecord, why: string) =>
    fail<TpTransactionRecord>(refused('not_updatable', `${t.reference} cannot be updated: ${why}.`, 'settlestatus'));
  if (u.settle_status === SETTLE.cancelled) {
    const t = await deps.store.tp.get(reference);
    if (!t) return fail(refused('transaction_not_found', `No transaction ${reference}.`, 'transactionreference'));
    const why = lockedReason(t);
    if (why) return notUpdatable(t, why);
    if (t.authorised_at !== null) return notUpdatable(t, 'the shopper has paid it; refund it once it settles');
    const canceled = await cancelPaymentIntent(deps, { ...ctx, idempotency_key: null }, t.payment_intent_id, { cancellation_reason: 'requested_by_customer' });
    if (!canceled.ok) {
      if (canceled.error.kind === 'upstream_unavailable') return canceled;
      const now = await deps.store.tp.get(reference);
      return notUpdatable(now ?? t, now?.authorised_at ? 'the shopper paid it before the cancel reached Alipay; it will settle' : canceled.error.kind === 'unexpected_state' ? canceled.error.message : 'Alipay refused the cancel');
    }
  }
  return deps.store.tx(async (s): Promise<Result<TpTransactionRecord>> => {
    const t = await s.tp.lock(reference);
    if (!t) return fail(refused('transaction_not_found', `No transaction ${reference}.`, 'transactionreference'));
    const now = deps.clock.now();
    let next: TpTransactionRecord = { ...t };
    if (u.settle_status !== undefined && u.settle_status !== SETTLE.cancelled) {
      const why = lockedReason(t);
      if (why) return notUpdatable(t, why);
      next.settle_status = u.settle_status === SETTLE.suspended ? SETTLE.suspended : t.authorised_at !== null ? u.settle_status : SETTLE.inProgress;
    }
    if (u.settle_due_date !== undefined) next.settle_due_date = u.settle_due_date;
    if (u.order_reference !== undefined) next.order_reference = u.order_reference;
    next = { ...next, updated: now };
    await s.tp.update(next);
    return ok(next);
  });
}

/** Why a transaction's settlement can no longer be changed, or undefined (§3: AUTHs not yet settled or cancelled). */
function lockedReason(t: TpTransactionRecord): string | undefined {
  if (t.request_type !== 'AUTH') return 'a REFUND settles at once';
  if (t.settle_status === SETTLE.settled) return 'it has settled';
  if (t.settle_status === SETTLE.cancelled) return 'it is cancelled';
  return undefined;
}
