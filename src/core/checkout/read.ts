/** Checkout Sessions as the API shows them: the seeds' shape, with line items expanded. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import { checkoutSessionPublic, lineItemPublic, type CheckoutSessionRecord, type LineItemPublic, type PaymentIntentRecord } from '../model.js';
import type { CoreDeps } from '../context.js';
import type { ListQuery, Page, Scope, StoreTx } from '../store.js';

export async function lineItemsOf(s: StoreTx, sessionId: string): Promise<LineItemPublic[]> {
  const items = await s.lineItems.forSession(sessionId);
  const prices = new Map((await s.prices.getMany(items.map((i) => i.price_id))).map((p) => [p.id, p]));
  const products = new Map((await s.products.getMany([...prices.values()].map((p) => p.product_id))).map((p) => [p.id, p]));
  return items.map((li) => {
    const price = prices.get(li.price_id)!;
    return lineItemPublic(li, price, products.get(price.product_id)!);
  });
}

export async function sessionPublic(s: StoreTx, deps: CoreDeps, cs: CheckoutSessionRecord, pi?: PaymentIntentRecord) {
  const intent = pi ?? (await s.paymentIntents.findById(cs.payment_intent_id));
  return checkoutSessionPublic(cs, {
    url: deps.urls.checkoutPage(cs.id),
    client_secret: intent?.client_secret ?? '',
    line_items: await lineItemsOf(s, cs.id),
  });
}

export async function getCheckoutSession(deps: CoreDeps, scope: Scope, id: string): Promise<Result<CheckoutSessionRecord>> {
  const cs = await deps.store.checkoutSessions.get(scope, id);
  return cs ? ok(cs) : fail({ kind: 'not_found', resource: 'checkout.session', id, param: 'session' });
}

export async function listCheckoutSessions(
  deps: CoreDeps, scope: Scope, q: ListQuery & { payment_intent?: string; status?: string },
): Promise<Result<Page<CheckoutSessionRecord>>> {
  return pageOr(await deps.store.checkoutSessions.list(scope, q), q);
}
