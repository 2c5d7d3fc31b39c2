/**
 * Create a Checkout Session: line items (existing prices or inline price_data with product_data),
 * the seeds' rules (one currency, one-time prices only, a currency the payment methods present),
 * and the PaymentIntent the hosted page will confirm — all in one transaction, so a refused
 * request creates nothing, not even the inline products and prices.
 */
import { fail, invalid, ok, type CoreError, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { checkAmount, formatAmount, METHODS, methodsForCurrency, type PaymentMethodType } from '../money.js';
import type { CheckoutSessionRecord, LineItemRecord, Metadata, PaymentMethodOptions, PriceRecord, ProductRecord } from '../model.js';
import { inTx, type CoreDeps, type RequestContext } from '../context.js';
import { redirectUrlProblem } from '../redirect-urls.js';
import { insertPrice, type PriceData } from '../catalog/prices.js';
import { insertPaymentIntent } from '../payment-intents/create.js';

export interface LineItemParams {
  price?: string;
  price_data?: PriceData;
  quantity?: number;
  description?: string;
}

export interface CreateCheckoutSessionParams {
  mode?: string;
  line_items: LineItemParams[];
  /** Optional; when given it must be the line items' currency. */
  currency?: string;
  success_url: string;
  cancel_url?: string | null;
  payment_method_types?: PaymentMethodType[];
  payment_method_options?: PaymentMethodOptions;
  customer_email?: string | null;
  client_reference_id?: string | null;
  billing_address_collection?: 'auto' | 'required';
  metadata?: Metadata;
  locale?: string | null;
  /** Epoch ms (the API converts seconds); between 30 minutes and 24 hours ahead. */
  expires_at?: number;
  payment_intent_data?: { description?: string | null; metadata?: Metadata };
}

export const DEFAULT_CHECKOUT_LIFETIME_MS = 24 * 3_600_000;
const MIN_LIFETIME_MS = 30 * 60_000;

interface Line {
  price: PriceRecord;
  product: ProductRecord;
  quantity: number;
  description: string;
}

export async function createCheckoutSession(deps: CoreDeps, ctx: RequestContext, p: CreateCheckoutSessionParams): Promise<Result<CheckoutSessionRecord>> {
  if (p.mode && p.mode !== 'payment') {
    return fail(invalid('parameter_invalid', `mode ${p.mode} is not available: Alipay and Alipay+ take one-time payments only (mode=payment).`, 'mode'));
  }
  if (p.line_items.length === 0) return fail(invalid('parameter_missing', 'A Checkout Session needs at least one line item.', 'line_items'));
  for (const [param, url] of [['success_url', p.success_url], ['cancel_url', p.cancel_url]] as const) {
    const problem = url ? redirectUrlProblem(url, { bareHost: true }) : undefined;
    if (problem) return fail(invalid('url_invalid', `Invalid ${param}: ${param} ${problem}.`, param));
  }
  const now = deps.clock.now();
  if (p.expires_at !== undefined && (p.expires_at < now + MIN_LIFETIME_MS - 1000 || p.expires_at > now + DEFAULT_CHECKOUT_LIFETIME_MS + 1000)) {
    return fail(invalid('parameter_invalid', 'expires_at must be between 30 minutes and 24 hours from now.', 'expires_at'));
  }

  return inTx(deps.store, async (s): Promise<Result<CheckoutSessionRecord>> => {
    if (ctx.idempotency_key) {
      const existing = await s.checkoutSessions.findByIdempotencyKey(ctx.scope, ctx.idempotency_key);
      if (existing) return ok(existing);
    }
    const lines: Line[] = [];
    for (const [i, item] of p.line_items.entries()) {
      const param = `line_items[${i}]`;
      if (Boolean(item.price) === Boolean(item.price_data)) {
        return fail(invalid('parameter_missing', `Each line item needs exactly one of price or price_data (${param}).`, `${param}[price]`));
      }
      let price: PriceRecord;
      let product: ProductRecord;
      if (item.price) {
        const found = await s.prices.get(ctx.scope, item.price);
        if (!found) return fail({ kind: 'not_found', resource: 'price', id: item.price, param: `${param}[price]` });
        if (!found.active) return fail(invalid('parameter_invalid', `The price ${found.id} is not active.`, `${param}[price]`));
        const prod = (await s.products.getMany([found.product_id]))[0];
        if (!prod) return fail({ kind: 'not_found', resource: 'product', id: found.product_id, param: `${param}[price]` });
        price = found;
        product = prod;
      } else {
        if (item.price_data!.recurring) return fail(oneTimeOnly(`${param}[price_data][recurring]`));
        const made = await insertPrice(s, deps, ctx, item.price_data!, { event: false, param: `${param}[price_data]` });
        if (!made.ok) return made;
        ({ price, product } = made.value);
      }
      if (price.type !== 'one_time') return fail(oneTimeOnly(`${param}[price]`));
      const first = lines[0];
      if (first && price.currency !== first.price.currency) {
        return fail(invalid('parameter_invalid', `All line items must be in one currency: line_items[0] is in ${first.price.currency}, ${param} in ${price.currency}. Create one Checkout Session per currency.`, `${param}[${item.price ? 'price' : 'price_data][currency'}]`));
      }
      lines.push({ price, product, quantity: item.quantity ?? 1, description: item.description ?? product.name });
    }
    const currency = lines[0]!.price.currency;
    if (p.currency && p.currency.toUpperCase() !== currency) {
      return fail(invalid('parameter_invalid', `currency is ${p.currency.toUpperCase()} but the line items are in ${currency}.`, 'currency'));
    }
    const total = lines.reduce((sum, l) => sum + l.price.unit_amount * l.quantity, 0);
    if (!Number.isSafeInteger(total) || total <= 0) return fail(invalid('invalid_amount', 'The line items must add up to more than zero.', 'line_items'));

    const methods = chooseMethods(p, currency, total);
    if (!methods.ok) return methods;

    const id = newId('checkoutSession');
    const pi = await insertPaymentIntent(s, deps, ctx, {
      amount: total,
      currency,
      payment_method_types: methods.value,
      payment_method_options: p.payment_method_options,
      return_url: deps.urls.checkoutReturn(id),
      description: p.payment_intent_data?.description ?? describe(lines),
      metadata: p.payment_intent_data?.metadata,
      receipt_email: p.customer_email ?? null,
      checkout_session_id: id,
    });
    if (!pi.ok) return pi;
    const session: CheckoutSessionRecord = {
      id,
      account_id: ctx.scope.account_id,
      livemode: ctx.scope.livemode,
      created: now,
      updated: now,
      expires_at: p.expires_at ?? now + DEFAULT_CHECKOUT_LIFETIME_MS,
      status: 'open',
      payment_status: 'unpaid',
      mode: 'payment',
      currency,
      amount_subtotal: total,
      amount_total: total,
      success_url: p.success_url,
      cancel_url: p.cancel_url ?? null,
      customer_email: p.customer_email ?? null,
      client_reference_id: p.client_reference_id ?? null,
      billing_address_collection: p.billing_address_collection ?? 'auto',
      payment_method_types: methods.value,
      payment_method_options: p.payment_method_options ?? {},
      metadata: p.metadata ?? {},
      locale: p.locale ?? null,
      payment_intent_id: pi.value.id,
      completed_at: null,
      expired_at: null,
      idempotency_key: ctx.idempotency_key,
    };
    await s.checkoutSessions.insert(session);
    for (const [position, l] of lines.entries()) {
      const li: LineItemRecord = {
        id: newId('lineItem'),
        session_id: id,
        position,
        price_id: l.price.id,
        quantity: l.quantity,
        currency,
        description: l.description,
        amount_subtotal: l.price.unit_amount * l.quantity,
        amount_total: l.price.unit_amount * l.quantity,
      };
      await s.lineItems.insert(li);
    }
    return ok(session);
  });
}

function oneTimeOnly(param: string): CoreError {
  return invalid('parameter_invalid', 'Alipay and Alipay+ take one-time prices only; recurring prices cannot be sold in this Checkout Session.', param);
}

/** Named methods, else the ones whose options were given, else every method presenting the currency. */
function chooseMethods(p: CreateCheckoutSessionParams, currency: string, total: number): Result<PaymentMethodType[]> {
  const named = p.payment_method_types ?? (p.payment_method_options ? (Object.keys(p.payment_method_options) as PaymentMethodType[]) : undefined);
  if (named && named.length > 0) {
    for (const [i, m] of named.entries()) {
      const problem = checkAmount(m, currency, total);
      if (problem) {
        const param = p.payment_method_types ? `payment_method_types[${i}]` : `payment_method_options[${m}]`;
        return fail(invalid(problem.code === 'currency_not_supported' ? 'currency_not_supported' : 'invalid_amount',
          `${problem.message}${problem.code === 'currency_not_supported' ? ` The line items are in ${currency}.` : ''}`, param));
      }
    }
    return ok([...new Set(named)]);
  }
  const usable = methodsForCurrency(currency).filter((m) => !checkAmount(m, currency, total));
  if (usable.length === 0) {
    const presents = Object.values(METHODS).map((m) => `${m.type}: ${Object.keys(m.currencies).join(', ')}`).join('; ');
    return fail(invalid('currency_not_supported', `No payment method takes ${formatAmount(total, currency)} (${presents}).`, 'line_items[0][price_data][currency]'));
  }
  return ok(usable);
}

function describe(lines: Line[]): string {
  const first = lines[0]!.description;
  return lines.length === 1 ? first : `${first} and ${lines.length - 1} more`;
}
