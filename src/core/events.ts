/**
 * The event types OpenCashier records, as data: what `enabled_events` may name, and what
 * `GET /v1/events?type=` filters on. Each is recorded in the same transaction as its change.
 */
export const EVENT_TYPES = [
  'payment_intent.created',
  'payment_intent.requires_action',
  'payment_intent.processing',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'webhook_endpoint.disabled',
  'checkout.session.completed',
  'checkout.session.expired',
  'product.created',
  'product.updated',
  'price.created',
  'price.updated',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/**
 * Whether an endpoint with these `enabled_events` wants an event of this type. The store applies
 * the same rule when it enqueues a new event's deliveries in the event's own INSERT
 * (`oc_enqueue_deliveries`, migration 0014): a change here must be made there too.
 */
export function wantsEvent(enabledEvents: readonly string[], type: string): boolean {
  return enabledEvents.includes('*') || enabledEvents.includes(type);
}
