/**
 * `opencashier reset`: forget every test-mode object — payments, refunds, checkout sessions,
 * products, webhook endpoints, events, the log of calls to Antom, the simulator's payments, Trust
 * Payments transactions and their notifications, disputes — and keep everything live (and every Trust
 * Payments site, user and rule). The account stays; its test keys are replaced unless asked to keep them.
 */
import type { Db } from './db.js';

/** In an order the foreign keys allow: what refers to a row goes before it. */
const STEPS: readonly (readonly [table: string, sql: string])[] = [
  // Trust Payments: test transactions and the notifications about them (and those of test sites).
  // Sites, webservices users and notification rules are configuration and stay.
  ['tp_notification_attempts', `DELETE FROM tp_notification_attempts WHERE notification_id IN (SELECT id FROM tp_notifications
     WHERE NOT livemode OR site_reference IN (SELECT site_reference FROM tp_sites WHERE NOT livemode))`],
  ['tp_notifications', `DELETE FROM tp_notifications
     WHERE NOT livemode OR site_reference IN (SELECT site_reference FROM tp_sites WHERE NOT livemode)`],
  ['tp_transactions', 'DELETE FROM tp_transactions WHERE NOT livemode'],
  ['webhook_attempts', 'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE NOT livemode)'],
  ['webhook_deliveries', 'DELETE FROM webhook_deliveries WHERE NOT livemode'],
  ['checkout_line_items', 'DELETE FROM checkout_line_items WHERE session_id IN (SELECT id FROM checkout_sessions WHERE NOT livemode)'],
  ['checkout_sessions', 'DELETE FROM checkout_sessions WHERE NOT livemode'],
  ['balance_transactions', 'DELETE FROM balance_transactions WHERE NOT livemode'],
  ['balance_totals', 'DELETE FROM balance_totals WHERE NOT livemode'],
  ['refunds', 'DELETE FROM refunds WHERE NOT livemode'],
  ['disputes', 'DELETE FROM disputes WHERE NOT livemode'],
  ['charges', 'DELETE FROM charges WHERE NOT livemode'],
  // Antom's notifications about test payments; refused ones name no payment of ours and go too.
  ['upstream_notifications', `DELETE FROM upstream_notifications WHERE verdict = 'refused'
     OR payment_request_id IN (SELECT id FROM payment_attempts WHERE NOT livemode)
     OR payment_request_id IN (SELECT id FROM refunds WHERE NOT livemode)`],
  ['payment_attempts', 'DELETE FROM payment_attempts WHERE NOT livemode'],
  ['events', 'DELETE FROM events WHERE NOT livemode'],
  ['payment_intents', 'DELETE FROM payment_intents WHERE NOT livemode'],
  ['payment_methods', 'DELETE FROM payment_methods WHERE NOT livemode'],
  ['prices', 'DELETE FROM prices WHERE NOT livemode'],
  ['products', 'DELETE FROM products WHERE NOT livemode'],
  ['webhook_endpoints', 'DELETE FROM webhook_endpoints WHERE NOT livemode'],
  ['idempotency_keys', 'DELETE FROM idempotency_keys WHERE NOT livemode'],
  ['upstream_calls', 'DELETE FROM upstream_calls WHERE NOT livemode'],
  // The simulator is Antom for test mode only: all of it is test data.
  ['sim_notification_attempts', 'DELETE FROM sim_notification_attempts'],
  ['sim_notifications', 'DELETE FROM sim_notifications'],
  ['sim_refunds', 'DELETE FROM sim_refunds'],
  ['sim_disputes', 'DELETE FROM sim_disputes'],
  ['sim_payments', 'DELETE FROM sim_payments'],
  ['sim_faults', 'DELETE FROM sim_faults'],
];

/** Deletes every test-mode row in one transaction; returns how many rows each table lost. */
export async function resetTestData(db: Db): Promise<Record<string, number>> {
  return db.tx(async (q) => {
    const counts: Record<string, number> = {};
    for (const [table, sql] of STEPS) {
      counts[table] = (await q.query(`${sql} RETURNING 1`)).length;
    }
    return counts;
  });
}
