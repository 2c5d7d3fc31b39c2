/**
 * Prices: an amount in one currency for a product. Checkout takes one-time prices only (the
 * seeds' rule); recurring prices can be stored but not sold here.
 */
import { fail, invalid, ok, pageOr, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { currencyInfo } from '../money.js';
import { pricePublic, type Metadata, type PriceRecord, type ProductRecord } from '../model.js';
import { inTx, recordEvent, type CoreDeps, type RequestContext } from '../context.js';
import type { ListQuery, Page, Scope, StoreTx } from '../store.js';
import { mergeMetadata } from '../payment-intents/update.js';
import { insertProduct, type ProductData } from './products.js';

export interface PriceData {
  currency: string;
  unit_amount: number;
  product?: string | null;
  product_data?: ProductData;
  active?: boolean;
  nickname?: string | null;
  lookup_key?: string | null;
  metadata?: Metadata;
  billing_scheme?: string;
  recurring?: { interval: string; interval_count?: number } | null;
}

export interface UpdatePriceParams {
  active?: boolean;
  nickname?: string | null;
  lookup_key?: string | null;
  metadata?: Record<string, string | null> | null;
}

/**
 * Inserts a price (and its product, from product_data) in the caller's transaction. `param` is the
 * parameter path errors name, e.g. `line_items[0][price_data]`.
 */
export async function insertPrice(
  s: StoreTx, deps: CoreDeps, ctx: RequestContext, p: PriceData, opts: { event: boolean; param: string },
): Promise<Result<{ price: PriceRecord; product: ProductRecord }>> {
  const currency = currencyInfo(p.currency);
  if (!currency) return fail(invalid('currency_not_supported', `Invalid currency: ${p.currency}.`, `${opts.param}[currency]`));
  if (p.billing_scheme === 'tiered') return fail(invalid('parameter_invalid', 'Tiered prices are not supported: use billing_scheme per_unit.', `${opts.param}[billing_scheme]`));
  let product: ProductRecord | undefined;
  if (p.product && p.product_data) return fail(invalid('parameters_exclusive', 'Give either product or product_data, not both.', `${opts.param}[product]`));
  if (p.product) {
    product = await s.products.get(ctx.scope, p.product);
    if (!product) return fail({ kind: 'not_found', resource: 'product', id: p.product, param: `${opts.param}[product]` });
  } else if (p.product_data) {
    product = await insertProduct(s, deps, ctx, p.product_data, { event: opts.event });
  } else {
    return fail(invalid('parameter_missing', `Name the product: ${opts.param}[product] or ${opts.param}[product_data][name].`, `${opts.param}[product_data]`));
  }
  const now = deps.clock.now();
  const price: PriceRecord = {
    id: newId('price'),
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    created: now,
    updated: now,
    product_id: product.id,
    active: p.active ?? true,
    currency: currency.code,
    unit_amount: p.unit_amount,
    nickname: p.nickname ?? null,
    lookup_key: p.lookup_key ?? null,
    // Only per-unit pricing exists here; seed 000 sends "testscheme" and shows per_unit back.
    billing_scheme: 'per_unit',
    type: p.recurring ? 'recurring' : 'one_time',
    recurring: p.recurring ? { interval: p.recurring.interval, interval_count: p.recurring.interval_count ?? 1 } : null,
    metadata: p.metadata ?? {},
  };
  await s.prices.insert(price);
  if (opts.event) await recordEvent(s, deps, ctx, 'price.created', pricePublic(price));
  return ok({ price, product });
}

export async function createPrice(deps: CoreDeps, ctx: RequestContext, p: PriceData): Promise<Result<PriceRecord>> {
  return inTx(deps.store, async (s) => {
    const r = await insertPrice(s, deps, ctx, p, { event: true, param: 'price' });
    return r.ok ? ok(r.value.price) : r;
  });
}

export async function updatePrice(deps: CoreDeps, ctx: RequestContext, id: string, p: UpdatePriceParams): Promise<Result<PriceRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.prices.get(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'price', id, param: 'price' });
    const next: PriceRecord = { ...found, updated: deps.clock.now() };
    const previous: Record<string, unknown> = {};
    if (p.active !== undefined && p.active !== found.active) { previous.active = found.active; next.active = p.active; }
    if (p.nickname !== undefined && p.nickname !== found.nickname) { previous.nickname = found.nickname; next.nickname = p.nickname; }
    if (p.lookup_key !== undefined && p.lookup_key !== found.lookup_key) { previous.lookup_key = found.lookup_key; next.lookup_key = p.lookup_key; }
    if (p.metadata !== undefined) {
      const metadata = p.metadata === null ? {} : mergeMetadata(found.metadata, p.metadata);
      if (JSON.stringify(metadata) !== JSON.stringify(found.metadata)) { previous.metadata = found.metadata; next.metadata = metadata; }
    }
    await s.prices.update(next);
    if (Object.keys(previous).length > 0) await recordEvent(s, deps, ctx, 'price.updated', pricePublic(next), previous);
    return ok(next);
  });
}

export async function getPrice(deps: CoreDeps, scope: Scope, id: string): Promise<Result<PriceRecord>> {
  const p = await deps.store.prices.get(scope, id);
  return p ? ok(p) : fail({ kind: 'not_found', resource: 'price', id, param: 'price' });
}

export async function listPrices(
  deps: CoreDeps, scope: Scope, q: ListQuery & { product?: string; active?: boolean; currency?: string; type?: string; lookup_keys?: string[] },
): Promise<Result<Page<PriceRecord>>> {
  return pageOr(await deps.store.prices.list(scope, q), q);
}
