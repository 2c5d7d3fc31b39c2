/** /v1/refunds */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { createRefund } from '../../../core/refunds/create.js';
import { getRefund, listRefunds } from '../../../core/refunds/read.js';
import { updateRefund } from '../../../core/refunds/update.js';
import * as P from '../params.js';
import { renderRefund } from '../expand.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { requestContext } from './payment-intents.js';
import { listBody } from './list.js';

export function refundRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.post('/refunds', async (req, reply) => {
      const parsed = parseParams(reply, P.createRefund, req.body, 'refund');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await createRefund(core, requestContext(req), parsed.params), (r) => renderRefund(store, scope, r, parsed.expand));
    });

    app.get<{ Params: { id: string } }>('/refunds/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'refund');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await getRefund(core, scope, req.params.id), (r) => renderRefund(store, scope, r, parsed.expand));
    });

    app.post<{ Params: { id: string } }>('/refunds/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updateRefund, req.body, 'refund');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await updateRefund(core, requestContext(req), req.params.id, parsed.params), (r) => renderRefund(store, scope, r, parsed.expand));
    });

    app.get('/refunds', async (req, reply) => {
      const parsed = parseParams(reply, P.listRefunds, req.query, 'refund', true);
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const page = await listRefunds(core, scope, { ...P.toListQuery(p), payment_intent: p.payment_intent, charge: p.charge });
      return sendResult(reply, page, (pg) => listBody('/v1/refunds', pg, (r) => renderRefund(store, scope, r, expand)));
    });
  };
}
