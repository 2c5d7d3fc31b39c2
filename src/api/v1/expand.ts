/**
 * Stripe's `expand[]`: replace an id with the object it names. Lists take `data.<field>`; a bare
 * field is accepted on lists too, as a convenience.
 */
import { fail, invalid, ok, type Result } from '../../core/errors.js';
import {
  chargePublic, disputePublic, paymentIntentPublic, paymentMethodPublic, refundPublic,
  type ChargeRecord, type DisputeRecord, type PaymentIntentRecord, type RefundRecord,
} from '../../core/model.js';
import type { Scope, Store } from '../../core/store.js';
import type { BalanceTransactionRecord } from '../../core/balances/records.js';
import { balanceTransactionPublic } from '../../core/balances/records.js';
import { disputeWithBalance } from '../../core/disputes/read.js';

const EXPANDABLE = {
  payment_intent: ['latest_charge', 'payment_method', 'latest_charge.payment_method'],
  charge: ['payment_intent', 'payment_method', 'balance_transaction'],
  refund: ['charge', 'payment_intent', 'balance_transaction'],
  balance_transaction: ['source'],
  dispute: ['charge', 'payment_intent'],
  price: ['product'],
  product: ['default_price'],
  'checkout.session': ['payment_intent', 'line_items'],
  none: [],
} as const;

export type ExpandKind = keyof typeof EXPANDABLE;

export function checkExpand(kind: ExpandKind, expand: readonly string[] | undefined, list = false): Result<string[]> {
  const out: string[] = [];
  for (const raw of expand ?? []) {
    const path = list && raw.startsWith('data.') ? raw.slice(5) : raw;
    if (!(EXPANDABLE[kind] as readonly string[]).includes(path)) {
      return fail(invalid('expand_invalid', `This property cannot be expanded (${raw}). Expandable on ${kind}: ${EXPANDABLE[kind].map((p) => (list ? 'data.' : '') + p).join(', ')}.`, 'expand'));
    }
    out.push(path);
  }
  return ok(out);
}

export async function renderPaymentIntent(store: Store, scope: Scope, pi: PaymentIntentRecord, expand: readonly string[]) {
  const out = paymentIntentPublic(pi);
  if (expand.includes('payment_method') && pi.payment_method) {
    const pm = await store.paymentMethods.get(scope, pi.payment_method);
    if (pm) out.payment_method = paymentMethodPublic(pm);
  }
  if ((expand.includes('latest_charge') || expand.includes('latest_charge.payment_method')) && pi.latest_charge) {
    const ch = await store.charges.get(scope, pi.latest_charge);
    if (ch) out.latest_charge = await renderCharge(store, scope, ch, expand.includes('latest_charge.payment_method') ? ['payment_method'] : []);
  }
  return out;
}

/**
 * Stripe's client-side view of a PaymentIntent: what a publishable key with the client_secret may
 * read. That key and secret live in the shopper's browser, so nothing the merchant keeps for
 * itself is in it: no metadata, no charge (buyer ids), no payment method details.
 */
export function paymentIntentClientView(pi: PaymentIntentRecord) {
  const full = paymentIntentPublic(pi);
  const lpe = full.last_payment_error;
  let lastPaymentError: Record<string, unknown> | null = null;
  if (lpe) {
    const { payment_method: pm, ...rest } = lpe;
    lastPaymentError = pm ? { ...rest, payment_method: { id: pm.id, object: pm.object, type: pm.type } } : rest;
  }
  return {
    id: full.id,
    object: full.object,
    amount: full.amount,
    canceled_at: full.canceled_at,
    cancellation_reason: full.cancellation_reason,
    capture_method: full.capture_method,
    client_secret: full.client_secret,
    confirmation_method: full.confirmation_method,
    created: full.created,
    currency: full.currency,
    description: full.description,
    last_payment_error: lastPaymentError,
    livemode: full.livemode,
    next_action: full.next_action,
    payment_method: pi.payment_method,
    payment_method_types: full.payment_method_types,
    processing: full.processing,
    receipt_email: full.receipt_email,
    setup_future_usage: full.setup_future_usage,
    shipping: full.shipping,
    status: full.status,
  };
}

/** `balance_transaction` named by id, as the object when asked to expand it. */
async function expandBalanceTransaction(store: Store, scope: Scope, id: string | null | undefined, expand: readonly string[]) {
  if (!id || !expand.includes('balance_transaction')) return undefined;
  const t = await store.balanceTransactions.get(scope, id);
  return t ? balanceTransactionPublic(t) : undefined;
}

export async function renderBalanceTransaction(store: Store, scope: Scope, t: BalanceTransactionRecord, expand: readonly string[], now: number) {
  const out = balanceTransactionPublic(t);
  if (expand.includes('source')) {
    const id = t.source_id;
    if (id.startsWith('ch_')) {
      const ch = await store.charges.get(scope, id);
      if (ch) out.source = chargePublic(ch);
    } else if (id.startsWith('re_')) {
      const r = await store.refunds.get(scope, id);
      if (r) out.source = refundPublic(r);
    } else if (id.startsWith('dp_')) {
      const d = await store.disputes.get(scope, id);
      if (d) out.source = disputePublic(d, now);
    }
  }
  return out;
}

export async function renderCharge(store: Store, scope: Scope, ch: ChargeRecord, expand: readonly string[]) {
  const out = chargePublic(ch);
  const txn = await expandBalanceTransaction(store, scope, ch.balance_transaction, expand);
  if (txn) out.balance_transaction = txn;
  if (expand.includes('payment_method') && ch.payment_method_id) {
    const pm = await store.paymentMethods.get(scope, ch.payment_method_id);
    if (pm) out.payment_method = paymentMethodPublic(pm);
  }
  if (expand.includes('payment_intent')) {
    const pi = await store.paymentIntents.get(scope, ch.payment_intent_id);
    if (pi) out.payment_intent = paymentIntentPublic(pi);
  }
  return out;
}

export async function renderRefund(store: Store, scope: Scope, r: RefundRecord, expand: readonly string[]) {
  const out = refundPublic(r);
  const txn = await expandBalanceTransaction(store, scope, r.balance_transaction, expand);
  if (txn) out.balance_transaction = txn;
  if (expand.includes('charge')) {
    const ch = await store.charges.get(scope, r.charge_id);
    if (ch) out.charge = chargePublic(ch);
  }
  if (expand.includes('payment_intent')) {
    const pi = await store.paymentIntents.get(scope, r.payment_intent_id);
    if (pi) out.payment_intent = paymentIntentPublic(pi);
  }
  return out;
}

export async function renderDispute(store: Store, scope: Scope, d: DisputeRecord, expand: readonly string[], now: number) {
  const out = await disputeWithBalance(store, d, now);
  if (expand.includes('charge')) {
    const ch = await store.charges.get(scope, d.charge_id);
    if (ch) out.charge = chargePublic(ch);
  }
  if (expand.includes('payment_intent')) {
    const pi = await store.paymentIntents.get(scope, d.payment_intent_id);
    if (pi) out.payment_intent = paymentIntentPublic(pi);
  }
  return out;
}
