/**
 * What the background work has still to do, for `GET /metrics` (metrics.ts): the outboxes (webhook
 * deliveries, Trust Payments URL notifications) and the pollers' and expiry's due rows. One
 * statement; every count runs on the partial index its worker claims from, so a scrape costs what
 * one claim does.
 */
import type { Queryable } from './db.js';

export interface Backlogs {
  webhooksPending: number;
  /** `created` of the oldest pending webhook delivery (ms), or null when none waits. */
  webhooksOldest: number | null;
  urlNotificationsPending: number;
  urlNotificationsOldest: number | null;
  /** Payment attempts and refunds whose next inquiry to Antom is due now. */
  paymentPollsDue: number;
  refundPollsDue: number;
  /** Open Checkout Sessions past their expires_at, not yet expired by the worker. */
  sessionsToExpire: number;
}

export async function backlogs(q: Queryable, now: number): Promise<Backlogs> {
  const [r] = await q.query<Record<string, number | null>>(
    `SELECT
       (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS webhooks_pending,
       (SELECT min(created) FROM webhook_deliveries WHERE status = 'pending') AS webhooks_oldest,
       (SELECT count(*) FROM tp_notifications WHERE status = 'pending') AS notifications_pending,
       (SELECT min(created) FROM tp_notifications WHERE status = 'pending') AS notifications_oldest,
       (SELECT count(*) FROM payment_attempts WHERE next_poll_at <= $1) AS payment_polls,
       (SELECT count(*) FROM refunds WHERE next_poll_at <= $1 AND status = 'pending') AS refund_polls,
       (SELECT count(*) FROM checkout_sessions WHERE status = 'open' AND expires_at <= $1) AS sessions`,
    [now],
  );
  const n = (v: number | null | undefined) => Number(v ?? 0);
  return {
    webhooksPending: n(r?.webhooks_pending),
    webhooksOldest: r?.webhooks_oldest ?? null,
    urlNotificationsPending: n(r?.notifications_pending),
    urlNotificationsOldest: r?.notifications_oldest ?? null,
    paymentPollsDue: n(r?.payment_polls),
    refundPollsDue: n(r?.refund_polls),
    sessionsToExpire: n(r?.sessions),
  };
}
