/** Reads, scoped to the caller's account and mode. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import type { ChargeRecord, PaymentIntentRecord, PaymentMethodRecord } from '../model.js';
import type { ListQuery, Page, Scope, Store } from '../store.js';

export async function getPaymentIntent(store: Store, scope: Scope, id: string): Promise<Result<PaymentIntentRecord>> {
  const pi = await store.paymentIntents.get(scope, id);
  return pi ? ok(pi) : fail({ kind: 'not_found', resource: 'payment_intent', id, param: 'intent' });
}

export async function getCharge(store: Store, scope: Scope, id: string): Promise<Result<ChargeRecord>> {
  const ch = await store.charges.get(scope, id);
  return ch ? ok(ch) : fail({ kind: 'not_found', resource: 'charge', id, param: 'charge' });
}

export async function getPaymentMethod(store: Store, scope: Scope, id: string): Promise<Result<PaymentMethodRecord>> {
  const pm = await store.paymentMethods.get(scope, id);
  return pm ? ok(pm) : fail({ kind: 'not_found', resource: 'payment_method', id, param: 'payment_method' });
}

export async function listPaymentIntents(store: Store, scope: Scope, q: ListQuery): Promise<Result<Page<PaymentIntentRecord>>> {
  return pageOr(await store.paymentIntents.list(scope, q), q);
}

export async function listCharges(store: Store, scope: Scope, q: ListQuery & { payment_intent?: string }): Promise<Result<Page<ChargeRecord>>> {
  return pageOr(await store.charges.list(scope, q), q);
}
