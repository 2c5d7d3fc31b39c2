/** /v1/webhook_endpoints, /v1/events and /v1/webhook_deliveries */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { eventPublic, webhookDeliveryPublic, webhookEndpointPublic } from '../../../core/model.js';
import { createWebhookEndpoint, deleteWebhookEndpoint, getWebhookEndpoint, updateWebhookEndpoint } from '../../../core/webhooks/endpoints.js';
import { getDelivery, getEvent, listDeliveries, listEvents, listWebhookEndpoints } from '../../../core/webhooks/read.js';
import * as P from '../params.js';
import { parseParams, scopeOf, sendResult } from '../plugin.js';
import { requestContext } from './payment-intents.js';
import { listBody } from './list.js';
import { dialectOfHeaders } from '../dialect.js';

type Id = { Params: { id: string } };

export function webhookRoutes(core: CoreDeps) {
  return async (app: FastifyInstance) => {
    const store = core.store;

    app.post('/webhook_endpoints', async (req, reply) => {
      const parsed = parseParams(reply, P.createWebhookEndpoint, req.body, 'none');
      if (!parsed) return reply;
      // A Stripe SDK that names no api_version gets its events in the version it speaks (dialect.ts).
      const stripeVersion = dialectOfHeaders(req.headers) === 'stripe' ? String(req.headers['stripe-version']) : undefined;
      const params = { ...parsed.params, api_version: parsed.params.api_version ?? stripeVersion };
      // The secret is shown here and never again.
      return sendResult(reply, await createWebhookEndpoint(core, requestContext(req), params), (w) => webhookEndpointPublic(w, { withSecret: true }));
    });

    app.get('/webhook_endpoints', async (req, reply) => {
      const parsed = parseParams(reply, P.listOnly, req.query, 'none', true);
      if (!parsed) return reply;
      return sendResult(reply, await listWebhookEndpoints(store, scopeOf(req), P.toListQuery(parsed.params)), (pg) => listBody('/v1/webhook_endpoints', pg, (w) => webhookEndpointPublic(w)));
    });

    app.get<Id>('/webhook_endpoints/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'none');
      if (!parsed) return reply;
      return sendResult(reply, await getWebhookEndpoint(core, scopeOf(req), req.params.id), (w) => webhookEndpointPublic(w));
    });

    app.post<Id>('/webhook_endpoints/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.updateWebhookEndpoint, req.body, 'none');
      if (!parsed) return reply;
      return sendResult(reply, await updateWebhookEndpoint(core, requestContext(req), req.params.id, parsed.params), (w) => webhookEndpointPublic(w));
    });

    app.delete<Id>('/webhook_endpoints/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'none');
      if (!parsed) return reply;
      return sendResult(reply, await deleteWebhookEndpoint(core, requestContext(req), req.params.id), (w) => ({ id: w.id, object: 'webhook_endpoint', deleted: true }));
    });

    app.get('/events', async (req, reply) => {
      const parsed = parseParams(reply, P.listEvents, req.query, 'none', true);
      if (!parsed) return reply;
      const { params: p } = parsed;
      const page = await listEvents(store, scopeOf(req), { ...P.toListQuery(p), type: p.type, types: p.types });
      return sendResult(reply, page, (pg) => listBody('/v1/events', pg, eventPublic));
    });

    app.get<Id>('/events/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'none');
      if (!parsed) return reply;
      return sendResult(reply, await getEvent(store, scopeOf(req), req.params.id), eventPublic);
    });

    app.get('/webhook_deliveries', async (req, reply) => {
      const parsed = parseParams(reply, P.listDeliveries, req.query, 'none', true);
      if (!parsed) return reply;
      const { params: p } = parsed;
      const page = await listDeliveries(store, scopeOf(req), { ...P.toListQuery(p), event: p.event, webhook_endpoint: p.webhook_endpoint, status: p.status });
      return sendResult(reply, page, (pg) => listBody('/v1/webhook_deliveries', pg, webhookDeliveryPublic));
    });

    app.get<Id>('/webhook_deliveries/:id', async (req, reply) => {
      const parsed = parseParams(reply, P.retrieve, req.query, 'none');
      if (!parsed) return reply;
      return sendResult(reply, await getDelivery(store, scopeOf(req), req.params.id), webhookDeliveryPublic);
    });
  };
}
