/**
 * Sending an event again to one endpoint: a new delivery in the outbox, signed and sent by the
 * webhook worker exactly like the first (delivery/webhooks.ts), with its own attempts. The event
 * counts it in `pending_webhooks` until it ends.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { newId } from '../ids.js';
import { wantsEvent } from '../events.js';
import type { WebhookDeliveryRecord } from '../model.js';
import { inTx, type CoreDeps, type RequestContext } from '../context.js';

export async function resendEvent(deps: CoreDeps, ctx: RequestContext, eventId: string, endpointId: string): Promise<Result<WebhookDeliveryRecord>> {
  const result = await inTx(deps.store, async (s): Promise<Result<WebhookDeliveryRecord>> => {
    // Lock order everywhere: the endpoint, then its deliveries. Two resends at once queue one.
    const endpoint = await s.webhookEndpoints.lock(ctx.scope, endpointId);
    if (!endpoint) return fail({ kind: 'not_found', resource: 'webhook_endpoint', id: endpointId, param: 'webhook_endpoint' });
    const event = await s.events.get(ctx.scope, eventId);
    if (!event) return fail({ kind: 'not_found', resource: 'event', id: eventId, param: 'id' });
    if (endpoint.status !== 'enabled') {
      return fail(invalid('parameter_invalid', `The endpoint ${endpoint.url} is disabled, so nothing is sent to it. Enable it first, then resend the event.`, 'webhook_endpoint'));
    }
    if (!wantsEvent(endpoint.enabled_events, event.type)) {
      return fail(invalid('parameter_invalid', `The endpoint ${endpoint.url} does not listen for ${event.type} events. Add the type to its events first, then resend.`, 'webhook_endpoint'));
    }
    const waiting = await s.deliveries.list(ctx.scope, { limit: 1, event: event.id, webhook_endpoint: endpoint.id, status: 'pending' });
    if (waiting?.data[0]) {
      return fail(invalid('parameter_invalid', `This event is already waiting to be sent to ${endpoint.url}; it is retried on its own, so nothing new was queued.`, 'webhook_endpoint'));
    }
    const now = deps.clock.now();
    const delivery: WebhookDeliveryRecord = {
      id: newId('webhookDelivery'), account_id: endpoint.account_id, livemode: endpoint.livemode, event_id: event.id, endpoint_id: endpoint.id,
      created: now, status: 'pending', attempts: 0, next_attempt_at: now, last_attempt_at: null, last_status: null, completed_at: null,
    };
    await s.deliveries.insert(delivery);
    await s.events.adjustPending(event.id, 1);
    return ok(delivery);
  });
  // After the commit, so the worker finds the delivery when it looks.
  if (result.ok) deps.outboxChanged();
  return result;
}
