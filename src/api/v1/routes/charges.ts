/** /v1/charges: read-only, as WooshPay has them. */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { getCharge, listCharges } from '../../../core/payment-intents/read.js';
import * as P from '../params.js';
import { renderCharge } from '../expand.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { listBody } from './list.js';

export function chargeRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.get<{ Params: { id: string } }>('/charges/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'charge');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      return sendResult(reply, await getCharge(store, scope, req.params.id), (ch) => renderCharge(store, scope, ch, expand));
    });

    app.get('/charges', async (req, reply) => {
      const parsed = parseParams(reply, P.listCharges, req.query, 'charge', true);
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const page = await listCharges(store, scope, { ...P.toListQuery(p), payment_intent: p.payment_intent });
      return sendResult(reply, page, (pg) => listBody('/v1/charges', pg, (ch) => renderCharge(store, scope, ch, expand)));
    });
  };
}
