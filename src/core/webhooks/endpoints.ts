/**
 * Webhook endpoints: where an account's events go. The secret (whsec_…) signs every delivery and
 * is shown once, on create. Deleting or disabling an endpoint gives up its pending deliveries.
 */
import { fail, invalid, ok, type Result } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { isEventType, EVENT_TYPES } from '../events.js';
import type { Metadata, WebhookEndpointRecord } from '../model.js';
import { inTx, type CoreDeps, type RequestContext } from '../context.js';
import type { Scope, StoreTx } from '../store.js';
import { mergeMetadata } from '../payment-intents/update.js';

export interface CreateWebhookEndpointParams {
  url: string;
  enabled_events: string[];
  description?: string | null;
  metadata?: Metadata;
  api_version?: string | null;
}

export interface UpdateWebhookEndpointParams {
  url?: string;
  enabled_events?: string[];
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  disabled?: boolean;
}

function checkEvents(events: string[]): Result<string[]> {
  if (events.length === 0) return fail(invalid('parameter_invalid_empty', 'enabled_events must name at least one event type, or "*" for all.', 'enabled_events'));
  for (const [i, e] of events.entries()) {
    if (e !== '*' && !isEventType(e)) {
      return fail(invalid('parameter_invalid', `Invalid enabled_events[${i}]: ${JSON.stringify(e)} is not an event type. Known types: *, ${EVENT_TYPES.join(', ')}.`, `enabled_events[${i}]`));
    }
  }
  return ok(events.includes('*') ? ['*'] : [...new Set(events)]);
}

async function checkUrl(deps: CoreDeps, url: string, livemode: boolean): Promise<Result<string>> {
  const problem = await deps.checkWebhookUrl(url, livemode);
  return problem ? fail(invalid('url_invalid', `Invalid url: ${problem}`, 'url')) : ok(url);
}

export async function createWebhookEndpoint(deps: CoreDeps, ctx: RequestContext, p: CreateWebhookEndpointParams): Promise<Result<WebhookEndpointRecord>> {
  const events = checkEvents(p.enabled_events);
  if (!events.ok) return events;
  const url = await checkUrl(deps, p.url, ctx.scope.livemode);
  if (!url.ok) return url;
  const now = deps.clock.now();
  const w: WebhookEndpointRecord = {
    id: newId('webhookEndpoint'),
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    created: now,
    updated: now,
    url: url.value,
    description: p.description ?? null,
    enabled_events: events.value,
    api_version: p.api_version ?? null,
    status: 'enabled',
    metadata: p.metadata ?? {},
    secret: `whsec_${randomToken(32)}`,
    deleted: false,
    failing_since: null,
    disabled_reason: null,
  };
  await deps.store.webhookEndpoints.insert(w);
  return ok(w);
}

export async function updateWebhookEndpoint(deps: CoreDeps, ctx: RequestContext, id: string, p: UpdateWebhookEndpointParams): Promise<Result<WebhookEndpointRecord>> {
  const events = p.enabled_events ? checkEvents(p.enabled_events) : undefined;
  if (events && !events.ok) return events;
  const url = p.url !== undefined ? await checkUrl(deps, p.url, ctx.scope.livemode) : undefined;
  if (url && !url.ok) return url;
  return inTx(deps.store, async (s) => {
    const found = await s.webhookEndpoints.lock(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'webhook_endpoint', id, param: 'webhook_endpoint' });
    const w: WebhookEndpointRecord = { ...found, updated: deps.clock.now() };
    if (url?.ok) w.url = url.value;
    if (events?.ok) w.enabled_events = events.value;
    if (p.description !== undefined) w.description = p.description;
    if (p.metadata === null) w.metadata = {};
    else if (p.metadata) w.metadata = mergeMetadata(w.metadata, p.metadata);
    if (p.disabled === true && w.status === 'enabled') {
      w.status = 'disabled';
      w.disabled_reason = 'disabled by request';
      await giveUpPending(s, deps, w.id);
    } else if (p.disabled === false && w.status === 'disabled') {
      w.status = 'enabled';
      w.disabled_reason = null;
      w.failing_since = null;
    }
    await s.webhookEndpoints.update(w);
    return ok(w);
  });
}

export async function deleteWebhookEndpoint(deps: CoreDeps, ctx: RequestContext, id: string): Promise<Result<WebhookEndpointRecord>> {
  return inTx(deps.store, async (s) => {
    const found = await s.webhookEndpoints.lock(ctx.scope, id);
    if (!found) return fail({ kind: 'not_found', resource: 'webhook_endpoint', id, param: 'webhook_endpoint' });
    const w: WebhookEndpointRecord = { ...found, deleted: true, status: 'disabled', disabled_reason: 'deleted', updated: deps.clock.now() };
    await giveUpPending(s, deps, w.id);
    await s.webhookEndpoints.update(w);
    return ok(w);
  });
}

/** An endpoint that will not be called again: its pending deliveries end, and their events stop counting them. */
export async function giveUpPending(s: StoreTx, deps: Pick<CoreDeps, 'clock'>, endpointId: string): Promise<void> {
  const now = deps.clock.now();
  for (const d of await s.deliveries.pendingFor(endpointId)) {
    await s.deliveries.update({ ...d, status: 'failed', next_attempt_at: null, completed_at: now });
    await s.events.adjustPending(d.event_id, -1);
  }
}

export async function getWebhookEndpoint(deps: CoreDeps, scope: Scope, id: string): Promise<Result<WebhookEndpointRecord>> {
  const w = await deps.store.webhookEndpoints.get(scope, id);
  return w ? ok(w) : fail({ kind: 'not_found', resource: 'webhook_endpoint', id, param: 'webhook_endpoint' });
}
