/** /v1/charges: read-only, as WooshPay has them. */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { getCharge, listCharges } from '../../../core/payment-intents/read.js';
import * as P from '../params.js';
import { checkExpand, renderCharge } from '../expand.js';
import { scopeOf, sendResult, valueOr } from '../plugin.js';

export function chargeRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.get<{ Params: { id: string } }>('/charges/:id', async (req, reply) => {
      const p = valueOr(reply, P.parse(P.retrieve, req.query));
      if (!p) return reply;
      const expand = valueOr(reply, checkExpand('charge', p.expand));
      if (!expand) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await getCharge(store, scope, req.params.id), (ch) => renderCharge(store, scope, ch, expand));
    });

    app.get('/charges', async (req, reply) => {
      const p = valueOr(reply, P.parse(P.listCharges, req.query));
      if (!p) return reply;
      const expand = valueOr(reply, checkExpand('charge', p.expand, true));
      if (!expand) return reply;
      const scope = scopeOf(req);
      const page = await listCharges(store, scope, { ...P.toListQuery(p), payment_intent: p.payment_intent });
      return sendResult(reply, page, async (pg) => ({
        object: 'list',
        url: '/v1/charges',
        has_more: pg.has_more,
        data: await Promise.all(pg.data.map((ch) => renderCharge(store, scope, ch, expand))),
      }));
    });
  };
}
