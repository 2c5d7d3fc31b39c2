/**
 * Trust Payments URL notifications and settlement (seed 004): on authorisation and on settlement,
 * form-encoded POSTs with a notificationreference and, when the site has a notification password,
 * a `responsesitesecurity` the merchant can check — written with the change (the outbox), retried
 * until the merchant answers 200, every attempt recorded. And the 7-day investigation flag.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startReceiver, type Receiver } from '../helpers/processes.js';
import { SEED_004_AUTH } from '../helpers/seeds.js';
import { seedTrustPayments, tp, TP_SITE } from '../helpers/webservices.js';
import { responseSiteSecurity } from '../../src/core/settlement/fields.js';
import { addRule, setNotificationPassword } from '../../src/store/tp-accounts.js';
import { settleDue } from '../../src/core/settlement/settle.js';

const PASSWORD = 'notify-Secret 1';

test('responsesitesecurity matches Trust Payments\' documented example', () => {
  const fields = {
    errorcode: '0', orderreference: 'Order', paymenttypedescription: 'VISA', requestreference: 'RR555', settlestatus: '0',
    sitereference: 'test_site12345', transactionreference: '2-44-66', notificationreference: '1-A60356',
  };
  const expected = createHash('sha256').update('0OrderVISARR5550test_site123452-44-66PASSWORD').digest('hex');
  assert.equal(responseSiteSecurity(fields, 'PASSWORD'), expected);
  // The merchant's check: everything but notificationreference and responsesitesecurity, in name order.
  assert.equal(responseSiteSecurity({ ...fields, responsesitesecurity: 'x', notificationreference: 'other' }, 'PASSWORD'), expected);
  assert.notEqual(responseSiteSecurity(fields, 'password'), expected);
});

/** What a merchant's handler does with a notification: decode the form and verify its hash. */
function verified(body: string): Record<string, string> {
  const form = Object.fromEntries(new URLSearchParams(body));
  assert.ok(form.notificationreference, 'every notification has a notificationreference');
  assert.equal(form.responsesitesecurity, responseSiteSecurity(form, PASSWORD), `responsesitesecurity of ${body}`);
  return form;
}

describe('URL notifications and settlement', () => {
  let g: TestGateway;
  let auth: Receiver;
  let settlement: Receiver;
  let refunds: Receiver;
  before(async () => {
    g = await startGateway({ store: 'pglite', env: { OPENCASHIER_TP_SETTLE_DELAY_SECONDS: '1', TP_NOTIFICATION_RETRY_SCHEDULE_MS: '200,400,800' } });
    await seedTrustPayments(g);
    auth = await startReceiver();
    settlement = await startReceiver();
    refunds = await startReceiver();
    const db = g.gateway.db;
    await setNotificationPassword(db, TP_SITE, PASSWORD);
    await addRule(db, { siteReference: TP_SITE, trigger: 'authorisation', url: auth.url, now: Date.now() });
    await addRule(db, { siteReference: TP_SITE, trigger: 'settlement', url: settlement.url, now: Date.now() });
    await addRule(db, { siteReference: TP_SITE, trigger: 'refund', url: refunds.url, now: Date.now() });
  });
  after(async () => {
    await g?.stop();
    await Promise.all([auth, settlement, refunds].map((r) => r?.close()));
  });

  test('a paid AUTH notifies its authorisation (seed 004\'s fields) and then its settlement (100), each verifiable', async () => {
    const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'notify-1' });
    await g.complete(a.redirecturl, 'succeeded');
    const authorised = verified((await eventually(async () => auth.received.find((r) => r.body.includes('notify-1'))))!.body);
    assert.match(String((auth.received[0]!.headers['content-type'])), /^application\/x-www-form-urlencoded; charset=UTF-8$/i);
    for (const k of ['baseamount', 'mainamount', 'billingcountryiso2a', 'currencyiso3a', 'errorcode', 'livestatus', 'orderreference', 'paymenttypedescription',
      'requesttypedescription', 'settlestatus', 'sitereference', 'transactionreference', 'transactionstartedtimestamp']) {
      assert.ok(k in authorised, `authorisation notification lacks ${k}`);
    }
    assert.deepEqual([authorised.transactionreference, authorised.baseamount, authorised.mainamount, authorised.currencyiso3a, authorised.errorcode, authorised.settlestatus, authorised.billingcountryiso2a],
      [a.transactionreference, '1050', '10.50', 'EUR', '0', '10', 'DE']);
    const settled = verified((await eventually(async () => settlement.received.find((r) => r.body.includes(a.transactionreference))))!.body);
    assert.deepEqual(Object.keys(settled).sort(), ['notificationreference', 'responsesitesecurity', 'settlestatus', 'sitereference', 'transactionreference']);
    assert.equal(settled.settlestatus, '100');
    assert.notEqual(settled.notificationreference, authorised.notificationreference);
  });

  test('a declined AUTH notifies settlestatus 3 with errorcode 70000', async () => {
    const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'notify-declined' });
    await g.complete(a.redirecturl, 'failed');
    const n = verified((await eventually(async () => auth.received.find((r) => r.body.includes('notify-declined'))))!.body);
    assert.equal(n.settlestatus, '3');
    assert.equal(n.errorcode, '70000');
  });

  test('until the merchant answers 200 the notification is sent again, the same notificationreference every time, each attempt recorded', async () => {
    let calls = 0;
    auth.policy = (r) => (r.body.includes('notify-retry') && ++calls < 3 ? 500 : 200);
    try {
      const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'notify-retry' });
      await g.complete(a.redirecturl, 'succeeded');
      const sent = await eventually(async () => {
        const all = auth.received.filter((r) => r.body.includes('notify-retry'));
        return all.length >= 3 && all.at(-1)!.status === 200 ? all : undefined;
      });
      assert.equal(new Set(sent.map((r) => r.body)).size, 1, 'every retry carries the very same body');
      // The 200 reaches the receiver before its attempt is recorded: wait for the outcome, which commits with it.
      await eventually(async () => {
        const [r] = await g.gateway.db.query<{ status: string }>('SELECT status FROM tp_notifications WHERE transaction_reference = $1 AND url = $2', [a.transactionreference, auth.url]);
        return r?.status === 'succeeded';
      });
      const rows = await g.gateway.db.query<{ status: string; attempts: number; n: number }>(
        `SELECT n.status, n.attempts, (SELECT count(*)::int FROM tp_notification_attempts x WHERE x.notification_id = n.id) AS n
           FROM tp_notifications n WHERE n.transaction_reference = $1 AND n.url = $2`, [a.transactionreference, auth.url]);
      assert.equal(rows.length, 1);
      assert.ok(rows[0]!.n >= 3, `attempts recorded: ${rows[0]!.n}`);
    } finally {
      auth.policy = () => 200;
    }
  });

  test('a REFUND notifies the refund rule; the notification is written with the refund, in its transaction', async () => {
    const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'notify-refund' });
    await g.complete(a.redirecturl, 'succeeded');
    await eventually(async () => (await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: a.transactionreference }] } })).records[0].settlestatus === '100');
    const r = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: a.transactionreference, baseamount: '250' });
    assert.equal(r.errorcode, '0');
    const [queued] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tp_notifications WHERE transaction_reference = $1', [r.transactionreference]);
    assert.equal(queued!.n, 1, 'queued when the refund committed');
    const n = verified((await eventually(async () => refunds.received.find((x) => x.body.includes(r.transactionreference))))!.body);
    assert.deepEqual([n.requesttypedescription, n.parenttransactionreference, n.baseamount, n.settlestatus], ['REFUND', a.transactionreference, '250', '100']);
  });
});

describe('an AUTH still pending settlement after 7 days', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite', workers: false });
    await seedTrustPayments(g);
  });
  after(async () => g?.stop());

  test('is flagged for investigation, and its query record says so', async () => {
    const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'stuck' });
    const core = g.gateway.core;
    const schedule = { delayMs: { test: 1000, live: 1000 } };
    await settleDue({ ...core, clock: { now: () => Date.now() + 6 * 86_400_000 } }, schedule);
    const query = async () => (await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: a.transactionreference }] } })).records[0];
    assert.equal((await query()).investigation, undefined, 'not yet after 6 days');
    assert.equal(await settleDue({ ...core, clock: { now: () => Date.now() + 7 * 86_400_000 + 60_000 } }, schedule), 1);
    const rec = await query();
    assert.equal(rec.settlestatus, '10');
    assert.match(rec.investigation, /^60034 Manual investigation required since \d{4}-\d{2}-\d{2} /);
    const flagged = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { settlestatus: [{ value: '10' }], orderreference: [{ value: 'stuck' }] } });
    assert.equal(flagged.records.length, 1);
  });
});
