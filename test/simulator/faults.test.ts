import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, createPayment, getJson, paidPayment, payRequest, postJson, rawCall, startSimulator, uid, verifyNotification, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ notifyScheduleMs: [0, 50, 100] });
});
after(async () => {
  await h.close();
});
beforeEach(async () => {
  await postJson(h, '/simulator/v1/faults', undefined, 'DELETE');
  h.receiver.respond = () => ({ status: 200, body: ACK });
});

async function fault(body: Record<string, unknown>) {
  const res = await postJson(h, '/simulator/v1/faults', body);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json;
}

const reason = (o: unknown) => (o as { reason?: string }).reason;

const SETTLE_MS = 600_000;
/** Moves the simulator's clock ten minutes on while `fn` waits for what that makes due, then back. */
async function afterSettling<T>(fn: () => Promise<T>): Promise<T> {
  h.clock.offset += SETTLE_MS;
  try {
    return await fn();
  } finally {
    h.clock.offset -= SETTLE_MS;
  }
}
const code = (o: unknown) => (o as { code?: string }).code;

test('unknown: pay answers U UNKNOWN_EXCEPTION without creating the payment; the retry creates it', async () => {
  await fault({ api: 'pay', kind: 'unknown' });
  const req = payRequest(h);
  const first = await h.client.pay(req);
  assert.equal(first.status, 'unknown');
  assert.match(reason(first)!, /U UNKNOWN_EXCEPTION/);
  const raw = await rawCall(h, 'inquiryPayment', { paymentRequestId: req.paymentRequestId });
  assert.equal(raw.json.result?.resultCode, 'ORDER_NOT_EXIST', 'not processed');
  assert.equal((await h.client.pay(req)).status, 'action_required');
});

test('timeout: the pay is processed but answered too late; the retry gets the same payment', async () => {
  await fault({ api: 'pay', kind: 'timeout', delay_ms: 800 });
  const req = payRequest(h);
  const started = Date.now();
  const first = await h.clientWith(300).pay(req);
  assert.equal(first.status, 'unknown');
  assert.match(reason(first)!, /timeout/);
  assert.ok(Date.now() - started < 750);
  const inquiry = await rawCall(h, 'inquiryPayment', { paymentRequestId: req.paymentRequestId });
  assert.equal(inquiry.json.paymentStatus, 'PROCESSING', 'processed despite the timeout');
  const retry = await h.client.pay(req);
  assert.equal(retry.status, 'action_required');
  assert.equal((retry as { paymentId?: string }).paymentId, inquiry.json.paymentId);
});

test('timeout with the default delay stalls well past any client timeout', async () => {
  await fault({ api: 'inquiryPayment', kind: 'timeout' });
  const p = await createPayment(h);
  const out = await h.clientWith(200).inquiryPayment(p.req.paymentRequestId);
  assert.match(reason(out)!, /timeout/);
});

test('http_500: HTTP 500 and nothing processed', async () => {
  await fault({ api: 'refund', kind: 'http_500' });
  const p = await paidPayment(h);
  const req = { refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 100, currency: 'PHP' };
  const out = await h.client.refund(req);
  assert.deepEqual([out.status, reason(out)], ['unknown', 'HTTP 500']);
  assert.equal((await rawCall(h, 'inquiryRefund', { refundRequestId: req.refundRequestId })).json.result?.resultCode, 'ORDER_NOT_EXIST');
  assert.equal((await h.client.refund(req)).status, 'succeeded');
});

test('bad_signature: processed, but the client rejects the answer; the retry verifies', async () => {
  await fault({ api: 'cancel', kind: 'bad_signature' });
  const p = await createPayment(h);
  const out = await h.client.cancel(p.req.paymentRequestId);
  assert.deepEqual([out.status, reason(out)], ['unknown', 'response signature invalid']);
  assert.equal((await rawCall(h, 'inquiryPayment', { paymentId: p.paymentId })).json.paymentStatus, 'CANCELLED', 'processed');
  assert.equal((await h.client.cancel(p.req.paymentRequestId)).status, 'canceled');
});

test('fail: result F with the given code (PROCESS_FAIL by default), nothing processed', async () => {
  await fault({ api: 'pay', kind: 'fail', code: 'RISK_REJECT' });
  const req = payRequest(h);
  const out = await h.client.pay(req);
  assert.deepEqual([out.status, code(out)], ['failed', 'RISK_REJECT']);
  assert.equal((await rawCall(h, 'inquiryPayment', { paymentRequestId: req.paymentRequestId })).json.result?.resultCode, 'ORDER_NOT_EXIST');

  await fault({ api: 'refund', kind: 'fail' });
  const p = await paidPayment(h);
  const refund = await h.client.refund({ refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 30000, currency: 'PHP' });
  assert.deepEqual([refund.status, code(refund)], ['failed', 'PROCESS_FAIL']);
  assert.deepEqual((await getJson(h, `/simulator/v1/payments/${p.paymentId}`)).json.refunds, []);
});

test('async refund: U REFUND_IN_PROCESS, then SUCCESS a moment later with a signed notifyRefund', async () => {
  // Settles ten minutes later on the simulator's clock: "still in process" holds however slow this machine is.
  await fault({ api: 'refund', kind: 'async', delay_ms: SETTLE_MS });
  const p = await paidPayment(h);
  const req = { refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 10000, currency: 'PHP', notifyUrl: `${h.receiver.url}/refund-notify` };
  const out = await h.client.refund(req);
  assert.equal(out.status, 'pending');
  const refundId = (out as { refundId?: string }).refundId;
  assert.ok(refundId);
  assert.equal((await h.client.inquiryRefund(req.refundRequestId)).status, 'pending');
  assert.equal((await h.client.refund(req)).status, 'pending', 'a repeat while in process answers the same');
  const [n] = await afterSettling(() => h.receiver.waitFor((r) => r.json.refundId === refundId));
  assert.equal(n!.path, '/refund-notify');
  assert.equal(verifyNotification(h, n!), true);
  assert.equal(n!.json.notifyType, 'REFUND_RESULT');
  assert.equal(n!.json.refundStatus, 'SUCCESS');
  assert.equal((n!.json.result as { resultStatus: string }).resultStatus, 'S');
  assert.equal(n!.json.refundRequestId, req.refundRequestId);
  assert.deepEqual(n!.json.refundAmount, { currency: 'PHP', value: '10000' });
  assert.ok(n!.json.refundTime);
  const done = await h.client.inquiryRefund(req.refundRequestId);
  assert.deepEqual([done.status, (done as { refundId?: string }).refundId], ['succeeded', refundId]);
  assert.equal((await h.client.refund(req)).status, 'succeeded');
});

test('async refund with a code fails later, notifies FAIL, and frees the amount', async () => {
  await fault({ api: 'refund', kind: 'async', code: 'REFUND_FAILED', delay_ms: SETTLE_MS });
  const p = await paidPayment(h);
  const req = { refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 30000, currency: 'PHP', notifyUrl: `${h.receiver.url}/refund-notify` };
  const out = await h.client.refund(req);
  assert.equal(out.status, 'pending');
  const during = await h.client.refund({ ...req, refundRequestId: uid('RR'), amount: 1 });
  assert.equal(code(during), 'REFUND_AMOUNT_EXCEED', 'a refund in process reserves its amount');
  const [n] = await afterSettling(() => h.receiver.waitFor((r) => r.json.refundRequestId === req.refundRequestId));
  assert.equal(n!.json.refundStatus, 'FAIL');
  assert.deepEqual([(n!.json.result as { resultStatus: string }).resultStatus, (n!.json.result as { resultCode: string }).resultCode], ['F', 'REFUND_FAILED']);
  const inquiry = await h.client.inquiryRefund(req.refundRequestId);
  assert.deepEqual([inquiry.status, code(inquiry)], ['failed', 'REFUND_FAILED']);
  assert.equal((await h.client.refund({ ...req, refundRequestId: uid('RR') })).status, 'succeeded');
});

test('times: a fault applies to exactly that many calls, then calls behave again', async () => {
  await fault({ api: 'inquiryPayment', kind: 'http_500', times: 2 });
  const p = await createPayment(h);
  const outs = [];
  for (let i = 0; i < 3; i++) outs.push((await h.client.inquiryPayment(p.req.paymentRequestId)).status);
  assert.deepEqual(outs, ['unknown', 'unknown', 'action_required']);
});

test('faults are queued in order, listed, and cleared by DELETE', async () => {
  await fault({ api: 'pay', kind: 'unknown', times: 3 });
  await fault({ api: 'cancel', kind: 'fail', code: 'ORDER_STATUS_INVALID' });
  const listed = await getJson(h, '/simulator/v1/faults');
  assert.deepEqual(listed.json.faults.map((f: { api: string; remaining: number }) => [f.api, f.remaining]), [['pay', 3], ['cancel', 1]]);
  const cleared = await postJson(h, '/simulator/v1/faults', undefined, 'DELETE');
  assert.equal(cleared.json.deleted, 2);
  assert.equal((await h.client.pay(payRequest(h))).status, 'action_required');
});

test('a fault is consumed only by a call that passed authentication', async () => {
  await fault({ api: 'pay', kind: 'unknown' });
  const refused = await rawCall(h, 'pay', {}, { clientId: 'NOBODY' });
  assert.equal(refused.json.result?.resultCode, 'INVALID_CLIENT');
  assert.equal((await h.client.pay(payRequest(h))).status, 'unknown');
});

test('invalid faults are refused with 400', async () => {
  for (const body of [
    { api: 'pay', kind: 'async' },
    { api: 'notify', kind: 'timeout' },
    { api: 'consult', kind: 'fail' },
    { api: 'pay', kind: 'explode' },
    { api: 'pay', kind: 'fail', times: 0 },
    { api: 'pay', kind: 'fail', code: 'lower case' },
  ]) {
    const res = await postJson(h, '/simulator/v1/faults', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(typeof res.json.error?.code, 'string');
  }
});
