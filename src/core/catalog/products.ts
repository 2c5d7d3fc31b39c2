/** Products: what a price is for; named on the hosted checkout page and in line items. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { productPublic, type Metadata, type ProductRecord } from '../model.js';
import { inTx, recordEvent, type CoreDeps, type RequestContext } from '../context.js';
import type { ListQuery, Page, Scope, StoreTx } from '../store.js';
import { mergeMetadata } from '../payment-intents/update.js';

export interface ProductData {
  name: string;
  active?: boolean;
  description?: string | null;
  metadata?: Metadata;
  url?: string | null;
  images?: string[] | null;
}

export interface UpdateProductParams {
  name?: string;
  active?: boolean;
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  url?: string | null;
  images?: string[] | null;
  default_price?: string | null;
}

/** Inserts a product in the caller's transaction (used by price_data's product_data too). */
export async function insertProduct(s: StoreTx, deps: CoreDeps, ctx: RequestContext, p: ProductData, opts: { event: boolean }): Promise<ProductRecord> {
  const now = deps.clock.now();
  const product: ProductRecord = {
    id: newId('product'),
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    created: now,
    updated: now,
    name: p.name,
    active: p.active ?? true,
    description: p.description ?? null,
    url: p.url ?? null,
    images: p.images ?? [],
    metadata: p.metadata ?? {},
    default_price_id: null,
  };
  await s.products.insert(product);
  if (opts.event) await recordEvent(s, deps, ctx, 'product.created', productPublic(product));
  return product;
}

export async function createProduct(deps: CoreDeps, ctx: RequestContext, p: ProductData): Promise<Result<ProductRecord>> {
  return inTx(deps.store, async (s) => ok(await insertProduct(s, deps, ctx, p, { event: true })));
}

export async function updateProduct(deps: CoreDeps, ctx: RequestContext, id: string, p: UpdateProductParams): Promise<Result<ProductRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.products.get(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'product', id, param: 'id' });
    const next: ProductRecord = { ...found, updated: deps.clock.now() };
    const previous: Record<string, unknown> = {};
    const set = <K extends keyof ProductRecord>(key: K, value: ProductRecord[K] | undefined) => {
      if (value === undefined || JSON.stringify(value) === JSON.stringify(found[key])) return;
      previous[key === 'default_price_id' ? 'default_price' : key] = found[key];
      next[key] = value;
    };
    set('name', p.name);
    set('active', p.active);
    set('description', p.description);
    set('url', p.url);
    set('images', p.images === null ? [] : p.images);
    set('metadata', p.metadata === null ? {} : p.metadata ? mergeMetadata(found.metadata, p.metadata) : undefined);
    if (p.default_price !== undefined) {
      if (p.default_price !== null) {
        const price = await s.prices.get(ctx.scope, p.default_price);
        if (!price || price.product_id !== id) return fail({ kind: 'invalid_request', code: 'parameter_invalid', param: 'default_price', message: `The price ${p.default_price} is not a price of ${id}.` });
      }
      set('default_price_id', p.default_price);
    }
    await s.products.update(next);
    if (Object.keys(previous).length > 0) await recordEvent(s, deps, ctx, 'product.updated', productPublic(next), previous);
    return ok(next);
  });
}

export async function getProduct(deps: CoreDeps, scope: Scope, id: string): Promise<Result<ProductRecord>> {
  const p = await deps.store.products.get(scope, id);
  return p ? ok(p) : fail({ kind: 'not_found', resource: 'product', id, param: 'id' });
}

export async function listProducts(deps: CoreDeps, scope: Scope, q: ListQuery & { active?: boolean }): Promise<Result<Page<ProductRecord>>> {
  return pageOr(await deps.store.products.list(scope, q), q);
}
