/**
 * Webhooks in the dashboard: the endpoints and their recent health, an endpoint's deliveries, and
 * what a person may do to endpoints — add, edit, disable, enable, delete — through the same core
 * operations as `/v1/webhook_endpoints`.
 */
import type { FastifyReply } from 'fastify';
import {
  createWebhookEndpoint, deleteWebhookEndpoint, getWebhookEndpoint, updateWebhookEndpoint,
} from '../../core/webhooks/endpoints.js';
import type { WebhookEndpointRecord } from '../../core/model.js';
import {
  EMPTY_ENDPOINT_FORM, endpointPage, webhooksPage, type EndpointForm, type EndpointView, type WebhooksView,
} from '../../pages/dashboard/webhooks.js';
import { webhookError } from '../../pages/dashboard/words.js';
import { cursorParam, DAY_MS, PAGE_SIZE } from './filters.js';
import { requestContext, type DashboardKit, type Signed } from './session.js';

/** The window of the endpoints' success rate. */
export const STATS_DAYS = 7;

function text(v: unknown, max = 5000): string {
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** The endpoint form as posted: `enabled_events[]` checkboxes, at most one of each. */
export function readEndpointForm(body: Record<string, unknown>): EndpointForm {
  const raw = body.enabled_events;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const events = [...new Set(list.filter((e): e is string => typeof e === 'string'))].slice(0, 100);
  return { url: text(body.url, 2048), description: text(body.description), events };
}

export function webhookRoutes(kit: DashboardKit): void {
  const { queries, core } = kit.opts;
  const since = () => core.clock.now() - STATS_DAYS * DAY_MS;

  async function listPage(reply: FastifyReply, s: Signed, extra: Partial<Omit<WebhooksView, 'stats'>> = {}, status = 200) {
    const stats = await queries.endpoints(s.scope, since());
    return kit.html(reply, webhooksPage(s.ctx, { form: EMPTY_ENDPOINT_FORM, ...extra, stats }), status);
  }

  async function showEndpoint(reply: FastifyReply, s: Signed, w: WebhookEndpointRecord, extra: Partial<EndpointView> & { after?: string; before?: string } = {}, status = 200) {
    const { after, before, ...rest } = extra;
    const [stats, deliveries] = await Promise.all([
      queries.endpoints(s.scope, since()),
      queries.deliveries(s.scope, w.id, { limit: PAGE_SIZE, after: cursorParam(after), before: cursorParam(before) }),
    ]);
    return kit.html(reply, endpointPage(s.ctx, { endpoint: w, stats: stats.find((x) => x.endpoint.id === w.id), deliveries, ...rest }), status);
  }

  /** A URL naming no endpoint of this account in this mode (or a deleted one): the list, saying so. */
  async function listNotFound(reply: FastifyReply, s: Signed, id: string) {
    return listPage(reply, s, { problem: `There is no webhook endpoint ${id} in ${s.scope.livemode ? 'live' : 'test'} mode. It may have been deleted.` }, 404);
  }

  kit.get('/dashboard/webhooks', async (req, reply, s) => {
    const done = req.query.done === 'deleted' ? 'Endpoint deleted. Nothing more is sent to it.' : undefined;
    return listPage(reply, s, { done });
  });

  kit.post('/dashboard/webhooks', async (req, reply, s, body) => {
    const form = readEndpointForm(body);
    const result = await createWebhookEndpoint(core, requestContext(req, s), {
      url: form.url, description: form.description || null, enabled_events: form.events,
    });
    if (!result.ok) return listPage(reply, s, { form, error: webhookError(result.error) }, 400);
    // The one answer that carries the secret: rendered here, never redirected to.
    return showEndpoint(reply, s, result.value, { secret: result.value.secret }, 201);
  });

  kit.get<{ id: string }>('/dashboard/webhooks/:id', async (req, reply, s) => {
    const found = await getWebhookEndpoint(core, s.scope, req.params.id);
    if (!found.ok) return listNotFound(reply, s, req.params.id);
    const done = req.query.done;
    const text = done === 'saved' ? 'Changes saved.' : done === 'disabled' ? 'Endpoint disabled: nothing is sent to it until you enable it again.'
      : done === 'enabled' ? 'Endpoint enabled: new events are sent to it again.' : undefined;
    return showEndpoint(reply, s, found.value, { ...(text ? { notice: { kind: 'ok', text } } : {}), after: req.query.after, before: req.query.before });
  });

  kit.post<{ id: string }>('/dashboard/webhooks/:id', async (req, reply, s, body) => {
    const form = readEndpointForm(body);
    const result = await updateWebhookEndpoint(core, requestContext(req, s), req.params.id, {
      url: form.url, description: form.description || null, enabled_events: form.events,
    });
    if (!result.ok) {
      if (result.error.kind === 'not_found') return listNotFound(reply, s, req.params.id);
      const found = await getWebhookEndpoint(core, s.scope, req.params.id);
      if (!found.ok) return listNotFound(reply, s, req.params.id);
      return showEndpoint(reply, s, found.value, { form, formError: webhookError(result.error) }, 400);
    }
    return reply.redirect(`/dashboard/webhooks/${encodeURIComponent(req.params.id)}?done=saved`, 303);
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    kit.post<{ id: string }>(`/dashboard/webhooks/:id/${action}`, async (req, reply, s) => {
      const result = await updateWebhookEndpoint(core, requestContext(req, s), req.params.id, { disabled });
      if (!result.ok) return listNotFound(reply, s, req.params.id);
      return reply.redirect(`/dashboard/webhooks/${encodeURIComponent(req.params.id)}?done=${action}d`, 303);
    });
  }

  kit.post<{ id: string }>('/dashboard/webhooks/:id/delete', async (req, reply, s) => {
    const result = await deleteWebhookEndpoint(core, requestContext(req, s), req.params.id);
    if (!result.ok) return listNotFound(reply, s, req.params.id);
    return reply.redirect('/dashboard/webhooks?done=deleted', 303);
  });
}
