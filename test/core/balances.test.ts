/** The settlement currency and fee schedule as configured, and the one rounding rule of converted and percentage amounts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config.js';
import { convert, convertShare, divRound, percentOf } from '../../src/core/balances/amounts.js';
import { feeOn, feeRuleFor, parseFees } from '../../src/core/balances/settings.js';
import { mapInquiryPayment, mapPay, mapPaymentNotification } from '../../src/connectors/antom/mapping.js';

test('the settlement currency: OPENCASHIER_SETTLEMENT_CURRENCY, else the older ANTOM_SETTLEMENT_CURRENCY, else USD; others are refused at start', () => {
  assert.equal(loadConfig({}).balances.settlementCurrency, 'USD');
  assert.equal(loadConfig({ OPENCASHIER_SETTLEMENT_CURRENCY: 'GBP' }).balances.settlementCurrency, 'GBP');
  assert.equal(loadConfig({ ANTOM_SETTLEMENT_CURRENCY: 'HKD' }).balances.settlementCurrency, 'HKD');
  assert.equal(loadConfig({ OPENCASHIER_SETTLEMENT_CURRENCY: 'eur', ANTOM_SETTLEMENT_CURRENCY: 'HKD' }).balances.settlementCurrency, 'EUR');
  assert.throws(() => loadConfig({ OPENCASHIER_SETTLEMENT_CURRENCY: 'JPY' }), (e: unknown) =>
    e instanceof ConfigError && /OPENCASHIER_SETTLEMENT_CURRENCY=JPY .*USD, GBP, HKD, EUR/.test(e.message));
  assert.throws(() => loadConfig({ ANTOM_SETTLEMENT_CURRENCY: 'XX' }), (e: unknown) => e instanceof ConfigError && /ANTOM_SETTLEMENT_CURRENCY=XX/.test(e.message));
});

test('the fee schedule: per method or wallet, a percentage plus a fixed amount; none by default; a bad one stops the start', () => {
  assert.deepEqual(loadConfig({}).balances.fees, {});
  const fees = loadConfig({ OPENCASHIER_FEES: 'alipay=2.9%+30, alipayplus=3.4%, GCASH=1.5%+10, *=50' }).balances.fees;
  assert.deepEqual(fees, {
    alipay: { percent: '2.9', fixed: 30 }, alipayplus: { percent: '3.4', fixed: 0 }, GCASH: { percent: '1.5', fixed: 10 }, '*': { percent: '0', fixed: 50 },
  });
  assert.equal(feeRuleFor(fees, 'alipayplus', 'GCASH')?.key, 'GCASH');
  assert.equal(feeRuleFor(fees, 'alipayplus', 'DANA')?.key, 'alipayplus');
  assert.equal(feeRuleFor({ alipay: fees.alipay! }, 'alipayplus', null), undefined);
  assert.equal(feeOn(10_000, fees.alipay!), 320);
  assert.equal(feeOn(20, fees.alipay!), 20, 'never more than the amount');
  for (const bad of ['alipay', 'alipay=abc', 'alipay=120%', 'alipay=1%,alipay=2%']) {
    assert.ok('problem' in parseFees(bad), bad);
    assert.throws(() => loadConfig({ OPENCASHIER_FEES: bad }), ConfigError);
  }
  assert.equal(loadConfig({ OPENCASHIER_AVAILABLE_DELAY_SECONDS: '2' }).balances.availableAfterMs.test, 2000);
});

test('rounding: to the nearest minor unit, halves away from zero, in exact integers, across exponents', () => {
  assert.equal(divRound(5n, 2n), 3n);
  assert.equal(divRound(-5n, 2n), -3n);
  assert.equal(divRound(4n, 3n), 1n);
  assert.equal(convert(30_000, 'PHP', 'USD', '0.01750000'), 525);
  assert.equal(convert(1, 'CNY', 'USD', '0.5'), 1, 'half a cent rounds up');
  assert.equal(convert(100, 'JPY', 'USD', '0.0067'), 67);
  assert.equal(convert(100, 'USD', 'JPY', '149.25373134'), 149);
  assert.equal(convert(123, 'USD', 'USD', '2'), 123, 'one currency: no conversion');
  assert.equal(percentOf(1000, '2.9'), 29);
  assert.equal(percentOf(50, '1'), 1, 'half a unit rounds up');
});

test('parts of an amount converted cumulatively always add up to the converted whole', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 10_000_000 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
    fc.integer({ min: 1, max: 99_999_999 }),
    (whole, weights, rateDigits) => {
      const rate = (rateDigits / 1e6).toFixed(6);
      const total = weights.reduce((a, b) => a + b, 0);
      const parts = weights.map((w) => Math.floor((whole * w) / total));
      parts[parts.length - 1]! += whole - parts.reduce((a, b) => a + b, 0);
      let before = 0;
      let sum = 0;
      for (const p of parts) {
        sum += convertShare(before, p, 'PHP', 'USD', rate);
        before += p;
      }
      assert.equal(sum, convert(whole, 'PHP', 'USD', rate));
    },
  ));
});

test('the connector reads grossSettlementAmount and settlementQuote from pay, inquiryPayment and notifyPayment', () => {
  const quote = {
    grossSettlementAmount: { currency: 'USD', value: '525' },
    settlementQuote: { quoteId: 'QT1', quoteCurrencyPair: 'PHP/USD', quotePrice: '0.01750000', quoteStartTime: '2026-01-01T12:00:00+08:00', quoteExpiryTime: '2026-01-02T12:00:00+08:00' },
  };
  const expected = { amount: 525, currency: 'USD', rate: '0.01750000', quoteId: 'QT1', currencyPair: 'PHP/USD', startsAt: Date.parse('2026-01-01T04:00:00Z'), expiresAt: Date.parse('2026-01-02T04:00:00Z') };
  const pay = mapPay({ result: { resultStatus: 'U', resultCode: 'PAYMENT_IN_PROCESS' }, normalUrl: 'https://x.example/', ...quote });
  assert.deepEqual((pay as { settlement?: unknown }).settlement, expected);
  const inq = mapInquiryPayment({ result: { resultStatus: 'S' }, paymentStatus: 'SUCCESS', paymentAmount: { currency: 'PHP', value: '30000' }, ...quote });
  assert.deepEqual((inq as { settlement?: unknown }).settlement, expected);
  const n = mapPaymentNotification({ notifyType: 'PAYMENT_RESULT', result: { resultStatus: 'S' }, paymentRequestId: 'PR1', paymentAmount: { currency: 'PHP', value: '30000' }, ...quote });
  assert.deepEqual((n!.outcome as { settlement?: unknown }).settlement, expected);
  const bad = mapPay({ result: { resultStatus: 'S' }, grossSettlementAmount: { currency: 'USD', value: '525' }, settlementQuote: { quotePrice: '-1' } });
  assert.deepEqual((bad as { settlement?: unknown }).settlement, { amount: 525, currency: 'USD' }, 'a rate that is no positive decimal is not taken');
});
