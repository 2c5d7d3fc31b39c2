import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AntomNotificationVerifier } from '../../src/connectors/antom/notify.js';
import { SimulatorWorker } from '../../src/simulator/index.js';
import { ACK, complete, createPayment, getJson, postJson, rawCall, sleep, startSimulator, verifyNotification, type Harness, type Received } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ notifyScheduleMs: [0, 50, 100] });
});
after(async () => {
  await h.close();
});
beforeEach(() => {
  h.receiver.respond = () => ({ status: 200, body: ACK });
});

const forPayment = (paymentId: string) => (r: Received) => r.json.paymentId === paymentId;

const verified = (r: Received) => verifyNotification(h, r);

test('a succeeded payment sends a notifyPayment signed over the notify path and query, which the gateway verifier accepts', async () => {
  const p = await createPayment(h);
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  const [n] = await h.receiver.waitFor(forPayment(p.paymentId));
  assert.equal(n!.path, '/antom/notify?account=acct_1');
  assert.equal(n!.headers['client-id'], h.clientId);
  assert.match(n!.headers['request-time'] as string, /^\d{13}$/);
  assert.match(n!.headers.signature as string, /^algorithm=RSA256,keyVersion=1,signature=/);
  assert.equal(verified(n!), true);
  assert.equal(verified({ ...n!, body: n!.body.replace('GCASH', 'BPI') }), false);
  assert.equal(n!.json.notifyType, 'PAYMENT_RESULT');
  assert.deepEqual(n!.json.result, { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' });
  assert.equal(n!.json.paymentRequestId, p.req.paymentRequestId);
  assert.deepEqual(n!.json.paymentAmount, { currency: 'PHP', value: '30000' });
  assert.equal(n!.json.paymentMethodType, 'GCASH');
  assert.match(String(n!.json.paymentTime), /\+08:00$/);
  assert.equal((n!.json.pspCustomerInfo as { pspName: string }).pspName, 'GCASH');

  const verifier = new AntomNotificationVerifier([{ clientId: h.clientId, antomPublicKeyBase64: h.antom.publicKeyBase64, livemode: false }], 60_000, () => Date.now());
  const v = verifier.verify({ method: 'POST', path: n!.path, headers: n!.headers, rawBody: n!.body });
  assert.equal(v.ok, true, JSON.stringify(v));
  if (v.ok) {
    assert.equal(v.notification.kind, 'payment');
    assert.equal(v.notification.kind === 'payment' && v.notification.paymentRequestId, p.req.paymentRequestId);
    assert.equal(v.notification.outcome.status, 'succeeded');
  }
  await sleep(60);
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  const note = view.json.notifications[0];
  assert.equal(note.attempts, 1);
  assert.ok(note.delivered_at);
  assert.equal(note.next_attempt_at, null);
});

test('an unacknowledged notification is retried on the schedule and stops after the acknowledgement', async () => {
  const p = await createPayment(h);
  h.receiver.respond = (r) => {
    const n = h.receiver.received.filter((x) => x.json.paymentId === r.json.paymentId).length;
    return n <= 2 ? { status: 500, body: 'boom' } : { status: 200, body: ACK };
  };
  const completedAt = Date.now();
  await complete(h, p.normalUrl, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
  const got = await h.receiver.waitFor(forPayment(p.paymentId), 3000, 3);
  assert.equal(got.length, 3);
  // Attempt i is due at completion + schedule[i] = 0, 50, 100 ms.
  assert.ok(got[1]!.at - completedAt >= 45, `second attempt at +${got[1]!.at - completedAt} ms`);
  assert.ok(got[2]!.at - completedAt >= 95, `third attempt at +${got[2]!.at - completedAt} ms`);
  // Each attempt is signed afresh.
  assert.ok(got.every(verified));
  assert.equal(new Set(got.map((g) => g.headers['request-time'])).size, 3);
  assert.equal(got[0]!.json.notifyType, 'PAYMENT_RESULT');
  assert.deepEqual(got[0]!.json.result, { resultCode: 'USER_BALANCE_NOT_ENOUGH', resultStatus: 'F', resultMessage: 'The user balance is not enough for this payment.' });
  await sleep(250);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 3, 'no more attempts after the acknowledgement');
  const note = (await getJson(h, `/simulator/v1/payments/${p.paymentId}`)).json.notifications[0];
  assert.equal(note.attempts, 3);
  assert.ok(note.delivered_at);
  assert.deepEqual(note.attempt_log.map((a: { http_status: number; delivered: boolean }) => [a.http_status, a.delivered]), [[500, false], [500, false], [200, true]]);
});

test('a notification never acknowledged is given up after the last scheduled attempt', async () => {
  const p = await createPayment(h);
  // HTTP 200 is not enough: the body must say resultStatus S.
  h.receiver.respond = () => ({ status: 200, body: JSON.stringify({ result: { resultStatus: 'F' } }) });
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'BPI' });
  await h.receiver.waitFor(forPayment(p.paymentId), 3000, 3);
  await sleep(250);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 3);
  const note = (await getJson(h, `/simulator/v1/payments/${p.paymentId}`)).json.notifications[0];
  assert.equal(note.attempts, 3);
  assert.equal(note.delivered_at, null);
  assert.ok(note.gave_up_at);
  assert.equal(note.next_attempt_at, null);
  assert.match(note.last_error, /resultStatus/);
});

test('notify:false completes upstream without a notification, so only polling sees it', async () => {
  const p = await createPayment(h);
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH', notify: false });
  assert.equal((await h.client.inquiryPayment(p.req.paymentRequestId)).status, 'succeeded');
  await sleep(150);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 0);
  assert.deepEqual((await getJson(h, `/simulator/v1/payments/${p.paymentId}`)).json.notifications, []);
});

test('processing sends PAYMENT_PENDING with result S, then the final PAYMENT_RESULT follows', async () => {
  const p = await createPayment(h);
  await complete(h, p.normalUrl, 'processing', { wallet: 'GCASH' });
  const [pending] = await h.receiver.waitFor(forPayment(p.paymentId));
  assert.equal(pending!.json.notifyType, 'PAYMENT_PENDING');
  assert.equal((pending!.json.result as { resultStatus: string }).resultStatus, 'S');
  assert.equal(pending!.json.paymentTime, undefined);
  await complete(h, p.normalUrl, 'succeeded');
  const both = await h.receiver.waitFor(forPayment(p.paymentId), 3000, 2);
  assert.equal(both[1]!.json.notifyType, 'PAYMENT_RESULT');
  assert.equal(both[1]!.json.paymentMethodType, 'GCASH');
});

test('an expired payment is announced exactly once, by the worker or by whoever sees it first', async () => {
  const p = await createPayment(h);
  h.clock.offset += 15 * 60_000;
  await Promise.all([h.client.inquiryPayment(p.req.paymentRequestId), h.worker.runOnce(), rawCall(h, 'cancel', { paymentId: p.paymentId })]);
  const [n] = await h.receiver.waitFor(forPayment(p.paymentId));
  assert.equal(n!.json.notifyType, 'PAYMENT_RESULT');
  assert.equal((n!.json.result as { resultCode: string }).resultCode, 'ORDER_IS_CLOSED');
  await sleep(150);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 1);
});

test('the worker closes expired payments on its own and notifies', async () => {
  const p = await createPayment(h);
  h.clock.offset += 15 * 60_000;
  const [n] = await h.receiver.waitFor(forPayment(p.paymentId), 3000);
  assert.equal((n!.json.result as { resultCode: string }).resultCode, 'ORDER_IS_CLOSED');
});

test('a notify fault withholds the next attempts, which count as failed, and the retry delivers', async () => {
  assert.equal((await postJson(h, '/simulator/v1/faults', { api: 'notify', kind: 'fail', times: 2 })).status, 200);
  const p = await createPayment(h);
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  const [n] = await h.receiver.waitFor(forPayment(p.paymentId), 3000);
  assert.ok(n);
  await sleep(50);
  const note = (await getJson(h, `/simulator/v1/payments/${p.paymentId}`)).json.notifications[0];
  assert.equal(note.attempts, 3);
  assert.deepEqual(note.attempt_log.map((a: { delivered: boolean }) => a.delivered), [false, false, true]);
  assert.match(note.attempt_log[0].error, /fault/);
});

test('two workers on one database deliver each notification once', async () => {
  const second = new SimulatorWorker(h.opts);
  second.start();
  try {
    const payments = await Promise.all(Array.from({ length: 6 }, () => createPayment(h)));
    await Promise.all(payments.map((p) => complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' })));
    for (const p of payments) await h.receiver.waitFor(forPayment(p.paymentId));
    await sleep(200);
    for (const p of payments) assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 1);
  } finally {
    await second.stop();
  }
});
