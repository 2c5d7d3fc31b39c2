import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alipayPlusWallets, checkAmount, formatAmount, methodsForCurrency, toAntomAmount } from '../../src/core/money.js';

test('Alipay presents CNY, GBP, USD, EUR and HKD (seed 000) and seed 004\'s currencies, from 0.01 CNY, with no maximum short of exact integers', () => {
  for (const c of ['CNY', 'GBP', 'USD', 'EUR', 'HKD']) assert.equal(checkAmount('alipay', c, 1), undefined, c);
  for (const c of ['AUD', 'CAD', 'CHF', 'DKK', 'JPY', 'KRW', 'NOK', 'NZD', 'SEK', 'SGD', 'THB']) assert.equal(checkAmount('alipay', c, 1), undefined, c);
  assert.equal(checkAmount('alipay', 'MYR', 100)?.code, 'currency_not_supported');
  assert.equal(checkAmount('alipay', 'IDR', 10000)?.code, 'currency_not_supported');
  assert.equal(checkAmount('alipay', 'CNY', 0)?.code, 'amount_invalid');
  assert.equal(checkAmount('alipay', 'CNY', 99_999_999_999)?.code, undefined);
  assert.equal(checkAmount('alipay', 'XYZ', 1)?.code, 'currency_unknown');
});

test('Alipay+ presents CNY, HKD, GBP, IDR, MYR, PHP and THB; IDR in whole rupiah', () => {
  for (const c of ['CNY', 'HKD', 'GBP', 'MYR', 'PHP', 'THB']) assert.equal(checkAmount('alipayplus', c, 5), undefined, c);
  assert.equal(checkAmount('alipayplus', 'IDR', 200), undefined);
  assert.equal(checkAmount('alipayplus', 'IDR', 250)?.code, 'amount_invalid');
  assert.match(checkAmount('alipayplus', 'IDR', 250)!.message, /whole rupiah/);
  assert.equal(checkAmount('alipayplus', 'USD', 100)?.code, 'currency_not_supported');
  assert.deepEqual(methodsForCurrency('idr'), ['alipayplus']);
  assert.deepEqual(methodsForCurrency('CNY'), ['alipay', 'alipayplus']);
  assert.deepEqual(methodsForCurrency('usd'), ['alipay']);
});

test('the currency decides the Alipay+ wallets, and each wallet its minimum', () => {
  const names = (c: string, a: number) => alipayPlusWallets(c, a).map((w) => `${w.wallet.code}${w.available ? '' : '(min)'}`);
  assert.deepEqual(names('HKD', 100), ['ALIPAY_HK']);
  assert.deepEqual(names('PHP', 10000), ['GCASH', 'BPI', 'AKULAKU_PAYLATER_PH']);
  assert.deepEqual(names('PHP', 50), ['GCASH(min)', 'BPI', 'AKULAKU_PAYLATER_PH']);
  assert.deepEqual(names('MYR', 100), ['TNG', 'BOOST']);
  assert.deepEqual(names('THB', 100), ['RABBIT_LINE_PAY']);
  assert.deepEqual(names('IDR', 30000), ['DANA', 'AKULAKU_PAYLATER']);
  assert.deepEqual(names('IDR', 200), ['DANA(min)', 'AKULAKU_PAYLATER']);
  assert.deepEqual(names('CNY', 10), ['ALIPAY_CN']);
  assert.deepEqual(names('USD', 100), []);
});

test('amounts go to Antom as strings of minor units, and read back for people with the exponent', () => {
  assert.deepEqual(toAntomAmount(20, 'cny'), { currency: 'CNY', value: '20' });
  assert.equal(formatAmount(20, 'CNY'), 'CNY 0.20');
  assert.equal(formatAmount(30000, 'IDR'), 'IDR 300.00');
  assert.equal(formatAmount(500, 'JPY'), 'JPY 500');
  assert.equal(formatAmount(5, 'GBP'), 'GBP 0.05');
});
