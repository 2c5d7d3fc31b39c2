/** The simulator quotes every payment in the settlement currency its pay named, from its fixed test rate table. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { complete, createPayment, rawCall, payBody, startSimulator, type Harness } from './helpers.js';
import { testRate } from '../../src/simulator/rates.js';
import { convert } from '../../src/core/balances/amounts.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ notifyScheduleMs: [0, 50, 100] });
});
after(async () => h.close());

test('pay, inquiryPayment and notifyPayment carry the same grossSettlementAmount and settlementQuote, from the test rate table', async () => {
  const p = await createPayment(h);
  const rate = testRate('PHP', 'USD')!;
  assert.equal(rate, '0.01750000');
  const expected = { amount: convert(30_000, 'PHP', 'USD', rate), currency: 'USD', rate, currencyPair: 'PHP/USD' };
  const again = await h.client.pay(p.req);
  assert.equal(again.status, 'action_required');
  assert.deepEqual({ ...(again as { settlement: object }).settlement, quoteId: undefined, startsAt: undefined, expiresAt: undefined }, { ...expected, quoteId: undefined, startsAt: undefined, expiresAt: undefined });
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  const inq = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal(inq.status, 'succeeded');
  const s = (inq as { settlement: { quoteId: string; startsAt: number; expiresAt: number } }).settlement;
  assert.deepEqual((again as { settlement: object }).settlement, s, 'one quote per payment');
  assert.equal(s.expiresAt - s.startsAt, 86_400_000);
  const [n] = await h.receiver.waitFor((r) => r.json.paymentId === p.paymentId);
  assert.deepEqual(n!.json.grossSettlementAmount, { currency: 'USD', value: String(expected.amount) });
  assert.equal((n!.json.settlementQuote as { quoteId: string }).quoteId, s.quoteId);
});

test('a payment in the settlement currency settles one for one, without a quote; another settlement currency gets its own quote', async () => {
  const same = await rawCall(h, 'pay', payBody(h, { settlementStrategy: { settlementCurrency: 'PHP' } }));
  assert.deepEqual(same.json.grossSettlementAmount, { currency: 'PHP', value: '30000' });
  assert.equal(same.json.settlementQuote, undefined);
  const gbp = await rawCall(h, 'pay', payBody(h, { settlementStrategy: { settlementCurrency: 'GBP' } }));
  assert.equal((gbp.json.settlementQuote as { quoteCurrencyPair: string }).quoteCurrencyPair, 'PHP/GBP');
  assert.deepEqual(gbp.json.grossSettlementAmount, { currency: 'GBP', value: String(convert(30_000, 'PHP', 'GBP', testRate('PHP', 'GBP')!)) });
});
