/** /v1/disputes: the chargebacks Antom told us of (notifyDispute); closing one accepts it at Antom. */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { getDispute, listDisputes } from '../../../core/disputes/read.js';
import { closeDispute } from '../../../core/disputes/close.js';
import { updateDispute } from '../../../core/disputes/update.js';
import { requestContext } from './payment-intents.js';
import * as P from '../params.js';
import { renderDispute } from '../expand.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { listBody } from './list.js';

export function disputeRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.get<{ Params: { id: string } }>('/disputes/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'dispute');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await getDispute(core, scope, req.params.id), (d) => renderDispute(store, scope, d, parsed.expand, core.clock.now()));
    });

    app.post<{ Params: { id: string } }>('/disputes/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updateDispute, req.body, 'dispute');
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const result = await updateDispute(core, requestContext(req), req.params.id, { evidence: p.evidence, metadata: p.metadata, submit: p.submit });
      return sendResult(reply, result, (d) => renderDispute(store, scope, d, expand, core.clock.now()));
    });

    app.post<{ Params: { id: string } }>('/disputes/:id/close', async (req, reply) => {
      const parsed = parseParams(reply, P.closeDispute, req.body, 'dispute');
      if (!parsed) return reply;
      const scope = scopeOf(req);
      return sendResult(reply, await closeDispute(core, requestContext(req), req.params.id), (d) => renderDispute(store, scope, d, parsed.expand, core.clock.now()));
    });

    app.get('/disputes', async (req, reply) => {
      const parsed = parseParams(reply, P.listDisputes, req.query, 'dispute', true);
      if (!parsed) return reply;
      const { params: p, expand } = parsed;
      const scope = scopeOf(req);
      const page = await listDisputes(core, scope, { ...P.toListQuery(p), payment_intent: p.payment_intent, charge: p.charge });
      const now = core.clock.now();
      return sendResult(reply, page, (pg) => listBody('/v1/disputes', pg, (d) => renderDispute(store, scope, d, expand, now)));
    });
  };
}
