import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RefundOutcome, RefundRequest, UnknownOutcome } from '../../src/core/connector.js';
import { complete, createPayment, getJson, paidPayment, rawCall, startSimulator, uid, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ worker: false });
});
after(async () => {
  await h.close();
});

const DAY = 86_400_000;

function refundOf(paymentId: string, amount: number, over: Partial<RefundRequest> = {}): RefundRequest {
  return { refundRequestId: uid('RR'), paymentId, amount, currency: 'PHP', reason: 'customer request', ...over };
}

const code = (o: RefundOutcome | UnknownOutcome) => (o as { code?: string }).code;

test('a full refund succeeds and inquiryRefund reports it', async () => {
  const p = await paidPayment(h);
  const req = refundOf(p.paymentId, 30000);
  const out = await h.client.refund(req);
  assert.equal(out.status, 'succeeded');
  const refundId = (out as { refundId?: string }).refundId!;
  assert.match(refundId, /^\d{20,64}$/);
  assert.ok((out as { refundedAt?: number }).refundedAt);
  const inquiry = await h.client.inquiryRefund(req.refundRequestId);
  assert.deepEqual([inquiry.status, (inquiry as { refundId?: string }).refundId], ['succeeded', refundId]);
  const raw = await rawCall(h, 'inquiryRefund', { refundId });
  assert.equal(raw.json.refundStatus, 'SUCCESS');
  assert.equal(raw.json.refundRequestId, req.refundRequestId);
  assert.deepEqual(raw.json.refundAmount, { currency: 'PHP', value: '30000' });
  assert.match(String(raw.json.refundTime), /\+08:00$/);
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  assert.equal(view.json.refunds.length, 1);
  assert.equal(view.json.refunds[0].status, 'SUCCESS');
  const inquiryPayment = await rawCall(h, 'inquiryPayment', { paymentId: p.paymentId });
  assert.equal((inquiryPayment.json.transactions as { transactionType: string }[])[0]!.transactionType, 'REFUND');
});

test('several partial refunds succeed up to the amount; one more is REFUND_AMOUNT_EXCEED', async () => {
  const p = await paidPayment(h);
  for (const amount of [10000, 5000, 15000]) assert.equal((await h.client.refund(refundOf(p.paymentId, amount))).status, 'succeeded', String(amount));
  const over = await h.client.refund(refundOf(p.paymentId, 1));
  assert.deepEqual([over.status, code(over)], ['failed', 'REFUND_AMOUNT_EXCEED']);
});

test('a single refund above the payment amount is REFUND_AMOUNT_EXCEED', async () => {
  const p = await paidPayment(h);
  const out = await h.client.refund(refundOf(p.paymentId, 30001));
  assert.deepEqual([out.status, code(out)], ['failed', 'REFUND_AMOUNT_EXCEED']);
  assert.equal((await h.client.refund(refundOf(p.paymentId, 30000))).status, 'succeeded', 'a refused refund reserves nothing');
});

test('ten concurrent refunds never exceed the payment amount', async () => {
  const p = await paidPayment(h);
  const outs = await Promise.all(Array.from({ length: 10 }, () => h.client.refund(refundOf(p.paymentId, 7000))));
  const ok = outs.filter((o) => o.status === 'succeeded');
  assert.equal(ok.length, 4, '4 × 70.00 fit in 300.00, a fifth does not');
  assert.ok(outs.filter((o) => o.status !== 'succeeded').every((o) => code(o) === 'REFUND_AMOUNT_EXCEED'));
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  const total = (view.json.refunds as { amount: number; status: string }[]).filter((r) => r.status !== 'FAIL').reduce((s, r) => s + r.amount, 0);
  assert.equal(total, 28000);
});

test('a repeated refundRequestId with the same content answers the same refund; other content is REPEAT_REQ_INCONSISTENT', async () => {
  const p = await paidPayment(h);
  const req = refundOf(p.paymentId, 1000);
  const first = await h.client.refund(req);
  const again = await h.client.refund(req);
  assert.equal((again as { refundId?: string }).refundId, (first as { refundId?: string }).refundId);
  const twin = await Promise.all(Array.from({ length: 4 }, () => h.client.refund({ ...req, refundRequestId: req.refundRequestId + 'b' })));
  assert.equal(new Set(twin.map((t) => (t as { refundId?: string }).refundId)).size, 1, 'concurrent repeats make one refund');
  const changed = await h.client.refund({ ...req, amount: 2000 });
  // The simulator refuses it; the connector reads that as no answer (the refund under the id may
  // well be done: connectors/antom/mapping.ts), with Antom's code in the reason.
  assert.equal(changed.status, 'unknown');
  assert.match((changed as { reason?: string }).reason ?? '', /^F REPEAT_REQ_INCONSISTENT/);
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  assert.equal(view.json.refunds.length, 2);
});

test('refund preconditions: unknown payment, unpaid payment, failed payment, wrong currency, missing fields', async () => {
  const unknown = await h.client.refund(refundOf('2099010119401080999', 100));
  assert.deepEqual([unknown.status, code(unknown)], ['failed', 'ORDER_NOT_EXIST']);
  const open = await createPayment(h);
  const early = await rawCall(h, 'refund', { refundRequestId: uid('RR'), paymentId: open.paymentId, refundAmount: { currency: 'PHP', value: '100' } });
  assert.deepEqual([early.json.result?.resultStatus, early.json.result?.resultCode], ['U', 'PAYMENT_IN_PROCESS']);
  await complete(h, open.normalUrl, 'failed');
  const failed = await h.client.refund(refundOf(open.paymentId, 100));
  assert.deepEqual([failed.status, code(failed)], ['failed', 'ORDER_STATUS_INVALID']);
  const paid = await paidPayment(h);
  const currency = await h.client.refund(refundOf(paid.paymentId, 100, { currency: 'USD' }));
  assert.deepEqual([currency.status, code(currency)], ['failed', 'PARAM_ILLEGAL']);
  for (const body of [
    { paymentId: paid.paymentId, refundAmount: { currency: 'PHP', value: '100' } },
    { refundRequestId: uid('RR'), refundAmount: { currency: 'PHP', value: '100' } },
    { refundRequestId: uid('RR'), paymentId: paid.paymentId },
    { refundRequestId: uid('RR'), paymentId: paid.paymentId, refundAmount: { currency: 'PHP', value: '0' } },
    { refundRequestId: 'r'.repeat(65), paymentId: paid.paymentId, refundAmount: { currency: 'PHP', value: '100' } },
  ]) {
    assert.equal((await rawCall(h, 'refund', body)).json.result?.resultCode, 'PARAM_ILLEGAL', JSON.stringify(body));
  }
});

test('inquiryRefund of an unknown refund is ORDER_NOT_EXIST; without ids PARAM_ILLEGAL', async () => {
  assert.equal((await rawCall(h, 'inquiryRefund', { refundRequestId: 'nope' })).json.result?.resultCode, 'ORDER_NOT_EXIST');
  assert.equal((await rawCall(h, 'inquiryRefund', {})).json.result?.resultCode, 'PARAM_ILLEGAL');
  assert.equal((await h.client.inquiryRefund('nope')).status, 'unknown');
});

test('a refunded payment can no longer be cancelled', async () => {
  const p = await paidPayment(h);
  await h.client.refund(refundOf(p.paymentId, 100));
  const out = await h.client.cancel(p.req.paymentRequestId);
  assert.deepEqual([out.status, (out as { code?: string }).code], ['refused', 'ORDER_STATUS_INVALID']);
});

test('a cancelled paid payment cannot be refunded', async () => {
  const p = await paidPayment(h);
  assert.equal((await h.client.cancel(p.req.paymentRequestId)).status, 'canceled');
  const out = await h.client.refund(refundOf(p.paymentId, 100));
  assert.deepEqual([out.status, code(out)], ['failed', 'ORDER_STATUS_INVALID']);
});

test('refunds are accepted for 365 days after payment, then REFUND_WINDOW_EXCEED', async () => {
  const p = await paidPayment(h);
  h.clock.offset += 364 * DAY;
  assert.equal((await h.client.refund(refundOf(p.paymentId, 100))).status, 'succeeded');
  h.clock.offset += 2 * DAY;
  const late = await h.client.refund(refundOf(p.paymentId, 100));
  assert.deepEqual([late.status, code(late)], ['failed', 'REFUND_WINDOW_EXCEED']);
});
