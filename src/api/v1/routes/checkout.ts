/** /v1/checkout/sessions */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { paymentIntentPublic, type CheckoutSessionRecord } from '../../../core/model.js';
import type { Scope } from '../../../core/store.js';
import { createCheckoutSession } from '../../../core/checkout/create.js';
import { expireCheckoutSession } from '../../../core/checkout/expire.js';
import { getCheckoutSession, lineItemsOf, listCheckoutSessions, sessionPublic } from '../../../core/checkout/read.js';
import * as P from '../params.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { requestContext } from './payment-intents.js';
import { listBody } from './list.js';

type Id = { Params: { id: string } };

export function checkoutRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;
    const render = async (scope: Scope, cs: CheckoutSessionRecord, expand: string[]) => {
      const out = await store.tx((s) => sessionPublic(s, core, cs));
      if (!expand.includes('payment_intent')) return out;
      const pi = await store.paymentIntents.get(scope, cs.payment_intent_id);
      return pi ? { ...out, payment_intent: paymentIntentPublic(pi) } : out;
    };

    app.post('/checkout/sessions', async (req, reply) => {
      const parsed = parseParams(reply, P.createCheckoutSession, req.body, 'checkout.session');
      if (!parsed) return reply;
      const { expand: _e, expires_at, ...p } = parsed.params;
      const result = await createCheckoutSession(core, requestContext(req), { ...p, expires_at: expires_at === undefined ? undefined : P.toMs(expires_at) });
      return sendResult(reply, result, (cs) => render(scopeOf(req), cs, parsed.expand));
    });

    app.get('/checkout/sessions', async (req, reply) => {
      const parsed = parseParams(reply, P.listCheckoutSessions, req.query, 'checkout.session', true);
      if (!parsed) return reply;
      const { params: p } = parsed;
      const page = await listCheckoutSessions(core, scopeOf(req), { ...P.toListQuery(p), payment_intent: p.payment_intent, status: p.status });
      return sendResult(reply, page, (pg) => listBody('/v1/checkout/sessions', pg, (cs) => render(scopeOf(req), cs, parsed.expand)));
    });

    app.get<Id>('/checkout/sessions/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'checkout.session');
      if (!parsed) return reply;
      return sendResult(reply, await getCheckoutSession(core, scopeOf(req), req.params.id), (cs) => render(scopeOf(req), cs, parsed.expand));
    });

    app.post<Id>('/checkout/sessions/:id/expire', async (req, reply) => {
      const parsed = parseParams(reply, P.expireCheckoutSession, req.body, 'checkout.session');
      if (!parsed) return reply;
      return sendResult(reply, await expireCheckoutSession(core, requestContext(req), req.params.id), (cs) => render(scopeOf(req), cs, parsed.expand));
    });

    app.get<Id>('/checkout/sessions/:id/line_items', async (req, reply) => {
      const parsed = parseParams(reply, P.listOnly, req.query, 'none', true);
      if (!parsed) return reply;
      const cs = await getCheckoutSession(core, scopeOf(req), req.params.id);
      return sendResult(reply, cs, async (session) => {
        const items = await store.tx((s) => lineItemsOf(s, session.id));
        const q = P.toListQuery(parsed.params);
        let start = 0;
        if (q.starting_after) start = items.findIndex((i) => i.id === q.starting_after) + 1;
        const data = items.slice(start, start + q.limit);
        return { object: 'list', url: `/v1/checkout/sessions/${session.id}/line_items`, has_more: start + q.limit < items.length, data };
      });
    });
  };
}
