/**
 * Keeps the Trust Payments view of a payment in step with core, inside the transaction of the
 * change (called by recordEvent for every event): a PaymentIntent created through the /json/ door
 * gets its AUTH, the wallet's answer moves settlestatus, a refund of an AUTH — made through either
 * door — becomes a REFUND, and each of these enqueues the site's URL notifications.
 *
 * settlestatus of an AUTH (seed 004):
 *   10 created, the shopper pays at the wallet; still 10 once authorised, until settlement
 *   100 settled by the settlement job (settle.ts), which may also take a declined AUTH from 3 to
 *      100 when the wallet confirms it later
 *    3 declined or failed (errorcode 70000), or cancelled
 *    2 suspended by TRANSACTIONUPDATE; 0/1 when a suspension is lifted
 */
import { newId, randomToken } from '../ids.js';
import type { CoreDeps, RequestContext } from '../context.js';
import type { StoreTx } from '../store.js';
import { SETTLE, type NotificationTrigger, type TpSiteRecord, type TpTransactionRecord } from './records.js';
import { responseSiteSecurity, tpDate, transactionFields } from './fields.js';

type EventObject = { id: string } & Record<string, unknown>;

/** True when a URL notification was enqueued (the caller wakes the outbox worker after commit). */
export async function followEvent(
  s: StoreTx, deps: Pick<CoreDeps, 'clock'>, ctx: RequestContext, type: string, object: EventObject,
): Promise<boolean> {
  const now = deps.clock.now();
  switch (type) {
    case 'payment_intent.created':
      if (ctx.via) await insertAuth(s, ctx, object, now);
      return false;
    case 'payment_intent.succeeded': {
      const t = await s.tp.lockAuthOf(object.id);
      if (!t || t.authorised_at !== null) return false;
      const next = { ...t, authorised_at: now, updated: now };
      await s.tp.update(next);
      // A late success after a decline is announced by its settlement (3 → 100), not here.
      return next.settle_status === SETTLE.cancelled ? false : notify(s, next, 'authorisation', now);
    }
    case 'payment_intent.payment_failed': {
      const t = await s.tp.lockAuthOf(object.id);
      if (!t || t.authorised_at !== null || t.settle_status === SETTLE.cancelled) return false;
      const next: TpTransactionRecord = { ...t, settle_status: SETTLE.cancelled, error_code: '70000', updated: now };
      await s.tp.update(next);
      return notify(s, next, 'authorisation', now);
    }
    case 'payment_intent.canceled': {
      const t = await s.tp.lockAuthOf(object.id);
      if (!t || t.settled_at !== null || t.settle_status === SETTLE.cancelled) return false;
      const next: TpTransactionRecord = { ...t, settle_status: SETTLE.cancelled, updated: now };
      await s.tp.update(next);
      return notify(s, next, 'settlement', now);
    }
    case 'refund.created':
      return insertRefund(s, ctx, object, now);
    case 'refund.updated':
    case 'refund.failed': {
      if (object.status !== 'succeeded' && object.status !== 'failed') return false;
      const t = await s.tp.lockByRefund(object.id);
      if (!t || t.settle_status !== SETTLE.inProgress) return false;
      const next: TpTransactionRecord = object.status === 'succeeded'
        ? { ...t, settle_status: SETTLE.settled, settled_at: now, updated: now }
        : { ...t, settle_status: SETTLE.cancelled, error_code: '40001', updated: now };
      await s.tp.update(next);
      return notify(s, next, 'refund', now);
    }
    default:
      return false;
  }
}

async function newReference(s: StoreTx, site: TpSiteRecord): Promise<string> {
  return `1-${site.number}-${await s.tp.nextNumber()}`;
}

async function insertAuth(s: StoreTx, ctx: RequestContext, pi: EventObject, now: number): Promise<void> {
  const via = ctx.via!;
  const site = await s.tp.site(via.site_reference);
  if (!site) throw new Error(`site ${via.site_reference} vanished while its AUTH was created`);
  await s.tp.insert({
    reference: await newReference(s, site),
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    site_reference: site.site_reference,
    request_type: 'AUTH',
    payment_intent_id: pi.id,
    refund_id: null,
    parent_reference: null,
    order_reference: via.order_reference ?? null,
    base_amount: Number(pi.amount),
    currency: String(pi.currency).toUpperCase(),
    settle_status: SETTLE.inProgress,
    settle_due_date: tpDate(now),
    error_code: '0',
    operator_name: via.operator_name,
    application_type: via.application_type ?? null,
    return_url: via.return_url ?? null,
    fields: via.fields ?? {},
    authorised_at: null,
    settled_at: null,
    investigate_at: null,
    created: now,
    updated: now,
  });
}

/** A refund of an AUTH's PaymentIntent, from either door, is a REFUND of that AUTH. */
async function insertRefund(s: StoreTx, ctx: RequestContext, refund: EventObject, now: number): Promise<boolean> {
  const piId = typeof refund.payment_intent === 'string' ? refund.payment_intent : undefined;
  if (!piId) return false;
  const auth = await s.tp.authOf(piId);
  // A payment returned by a cancel (payment-intents/reverse.ts) is shown by its cancelled AUTH.
  if (!auth || auth.authorised_at === null) return false;
  const site = await s.tp.site(auth.site_reference);
  if (!site) return false;
  const settled = refund.status === 'succeeded';
  const via = ctx.via;
  const t: TpTransactionRecord = {
    reference: await newReference(s, site),
    account_id: auth.account_id,
    livemode: auth.livemode,
    site_reference: auth.site_reference,
    request_type: 'REFUND',
    payment_intent_id: piId,
    refund_id: refund.id,
    parent_reference: auth.reference,
    order_reference: via?.order_reference ?? auth.order_reference,
    base_amount: Number(refund.amount),
    currency: auth.currency,
    settle_status: settled ? SETTLE.settled : SETTLE.inProgress,
    settle_due_date: tpDate(now),
    error_code: '0',
    operator_name: via?.operator_name ?? null,
    application_type: null,
    return_url: null,
    fields: {},
    authorised_at: now,
    settled_at: settled ? now : null,
    investigate_at: null,
    created: now,
    updated: now,
  };
  await s.tp.insert(t);
  return settled ? notify(s, t, 'refund', now) : false;
}

/**
 * Enqueues one URL notification per rule of the site for this trigger, its body fixed now (the
 * same notificationreference and bytes on every retry).
 */
export async function notify(s: StoreTx, t: TpTransactionRecord, trigger: NotificationTrigger, now: number): Promise<boolean> {
  const rules = await s.tp.rules(t.site_reference, trigger);
  if (rules.length === 0) return false;
  const site = await s.tp.site(t.site_reference);
  if (!site) return false;
  const all = transactionFields(t, site);
  for (const rule of rules) {
    const fields: Record<string, string> = {};
    for (const name of rule.fields) if (all[name] !== undefined) fields[name] = all[name];
    const reference = `${site.number}-${randomToken(10)}`;
    const body = new URLSearchParams({ ...fields, notificationreference: reference });
    if (site.notification_password) body.append('responsesitesecurity', responseSiteSecurity(fields, site.notification_password));
    await s.tp.enqueueNotification({
      id: newId('urlNotification'),
      account_id: t.account_id,
      livemode: t.livemode,
      site_reference: t.site_reference,
      rule_id: rule.id,
      transaction_reference: t.reference,
      notification_reference: reference,
      url: rule.url,
      body: body.toString(),
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_attempt_at: null,
      last_status: null,
      created: now,
      completed_at: null,
    });
  }
  return true;
}
