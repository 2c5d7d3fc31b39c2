/** /v1/products and /v1/prices */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { pricePublic, productPublic, type PriceRecord, type ProductRecord } from '../../../core/model.js';
import type { Scope } from '../../../core/store.js';
import { createProduct, getProduct, listProducts, updateProduct } from '../../../core/catalog/products.js';
import { createPrice, getPrice, listPrices, updatePrice } from '../../../core/catalog/prices.js';
import * as P from '../params.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { requestContext } from './payment-intents.js';
import { listBody } from './list.js';

type Id = { Params: { id: string } };

export function catalogRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;
    const renderProduct = async (scope: Scope, p: ProductRecord, expand: string[]) => {
      const out = productPublic(p);
      if (expand.includes('default_price') && p.default_price_id) {
        const price = await store.prices.get(scope, p.default_price_id);
        if (price) return { ...out, default_price: pricePublic(price) };
      }
      return out;
    };
    const renderPrice = async (scope: Scope, p: PriceRecord, expand: string[]) => {
      if (!expand.includes('product')) return pricePublic(p);
      return pricePublic(p, await store.products.get(scope, p.product_id));
    };

    app.post('/products', async (req, reply) => {
      const parsed = parseParams(reply, P.createProduct, req.body, 'product');
      if (!parsed) return reply;
      const { expand: _e, ...p } = parsed.params;
      return sendResult(reply, await createProduct(core, requestContext(req), { ...p, images: p.images ?? undefined }), (x) => renderProduct(scopeOf(req), x, parsed.expand));
    });
    app.get<Id>('/products/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'product');
      if (!parsed) return reply;
      return sendResult(reply, await getProduct(core, scopeOf(req), req.params.id), (x) => renderProduct(scopeOf(req), x, parsed.expand));
    });
    app.post<Id>('/products/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updateProduct, req.body, 'product');
      if (!parsed) return reply;
      return sendResult(reply, await updateProduct(core, requestContext(req), req.params.id, parsed.params), (x) => renderProduct(scopeOf(req), x, parsed.expand));
    });
    app.get('/products', async (req, reply) => {
      const parsed = parseParams(reply, P.listProducts, req.query, 'product', true);
      if (!parsed) return reply;
      const page = await listProducts(core, scopeOf(req), { ...P.toListQuery(parsed.params), active: parsed.params.active });
      return sendResult(reply, page, (pg) => listBody('/v1/products', pg, (x) => renderProduct(scopeOf(req), x, parsed.expand)));
    });

    app.post('/prices', async (req, reply) => {
      const parsed = parseParams(reply, P.createPrice, req.body, 'price');
      if (!parsed) return reply;
      return sendResult(reply, await createPrice(core, requestContext(req), parsed.params), (x) => renderPrice(scopeOf(req), x, parsed.expand));
    });
    app.get<Id>('/prices/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'price');
      if (!parsed) return reply;
      return sendResult(reply, await getPrice(core, scopeOf(req), req.params.id), (x) => renderPrice(scopeOf(req), x, parsed.expand));
    });
    app.post<Id>('/prices/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updatePrice, req.body, 'price');
      if (!parsed) return reply;
      return sendResult(reply, await updatePrice(core, requestContext(req), req.params.id, parsed.params), (x) => renderPrice(scopeOf(req), x, parsed.expand));
    });
    app.get('/prices', async (req, reply) => {
      const parsed = parseParams(reply, P.listPrices, req.query, 'price', true);
      if (!parsed) return reply;
      const { params: p } = parsed;
      const page = await listPrices(core, scopeOf(req), { ...P.toListQuery(p), product: p.product, active: p.active, currency: p.currency, type: p.type, lookup_keys: p.lookup_keys });
      return sendResult(reply, page, (pg) => listBody('/v1/prices', pg, (x) => renderPrice(scopeOf(req), x, parsed.expand)));
    });
  };
}
