/** Events, endpoints and deliveries as the API reads them, scoped to the caller. */
import { fail, ok, pageOr, type Result } from '../errors.js';
import type { EventRecord, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord } from '../model.js';
import type { ListQuery, Page, Scope, Store } from '../store.js';

export async function getEvent(store: Store, scope: Scope, id: string): Promise<Result<EventRecord>> {
  const e = await store.events.get(scope, id);
  return e ? ok(e) : fail({ kind: 'not_found', resource: 'event', id, param: 'id' });
}

export async function listEvents(store: Store, scope: Scope, q: ListQuery & { type?: string; types?: string[] }): Promise<Result<Page<EventRecord>>> {
  return pageOr(await store.events.list(scope, q), q);
}

export async function listWebhookEndpoints(store: Store, scope: Scope, q: ListQuery): Promise<Result<Page<WebhookEndpointRecord>>> {
  return pageOr(await store.webhookEndpoints.list(scope, q), q);
}

export type DeliveryWithAttempts = WebhookDeliveryRecord & { attempt_log: WebhookAttemptRecord[] };

export async function getDelivery(store: Store, scope: Scope, id: string): Promise<Result<DeliveryWithAttempts>> {
  const d = await store.deliveries.get(scope, id);
  return d ? ok({ ...d, attempt_log: await store.deliveries.attempts(d.id) }) : fail({ kind: 'not_found', resource: 'webhook_delivery', id, param: 'id' });
}

export async function listDeliveries(
  store: Store, scope: Scope, q: ListQuery & { event?: string; webhook_endpoint?: string; status?: string },
): Promise<Result<Page<DeliveryWithAttempts>>> {
  const page = pageOr(await store.deliveries.list(scope, q), q);
  if (!page.ok) return page;
  return ok({ has_more: page.value.has_more, data: await Promise.all(page.value.data.map(async (d) => ({ ...d, attempt_log: await store.deliveries.attempts(d.id) }))) });
}
