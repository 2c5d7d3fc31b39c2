/**
 * Ids and tokens come from the CSPRNG through a 4 KiB pool (core/ids.ts): every byte used once,
 * base62 without bias, nothing repeated across refills.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIdOf, newId, randomBytesPooled, randomToken } from '../../src/core/ids.js';

test('ids: the prefix, 24 base62 characters, and no two alike in 200,000', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200_000; i++) {
    const id = newId('paymentIntent');
    assert.match(id, /^pi_[0-9A-Za-z]{24}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 200_000);
  assert.ok(isIdOf('paymentIntent', newId('paymentIntent')));
});

test('tokens are base62 without bias: each of the 62 characters within 5% of its share over 620,000', () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) for (const c of randomToken(62)) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const [c, n] of counts) assert.ok(Math.abs(n - 10_000) < 500, `${c}: ${n}`);
});

test('pooled bytes: draws across many refills never hand out the same bytes twice', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5_000; i++) {
    const b = randomBytesPooled(i % 2 === 0 ? 16 : 4096);
    assert.equal(b.length, i % 2 === 0 ? 16 : 4096);
    seen.add(b.toString('hex'));
  }
  assert.equal(seen.size, 5_000);
});
