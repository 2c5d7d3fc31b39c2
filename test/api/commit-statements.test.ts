/**
 * How many statements a change takes to the store (issue 10: the count, not the work in each, is
 * what costs). Create with confirm=true commits the PaymentIntent, its payment method, its event and the
 * attempt Antom is then asked to pay in ONE statement (issue 10): the transaction reads nothing
 * (the business profile is read just before it), so all of it is deferred writes that go out
 * together, shared with whatever else commits at that moment, instead of BEGIN, a flush, a read
 * and COMMIT. A read added inside that transaction splits the statement, and this test fails.
 * A refund's success writes its three events (refund.updated, charge.refund.updated,
 * charge.refunded) as one INSERT, before the Trust Payments follow-ups read anything.
 * Each test file runs in its own process, so the wrapped prototypes see this file's gateway only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgliteStatements } from '../../src/store/pglite-statements.js';
import { startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { paidIntent } from '../helpers/payments.js';

const sent: string[] = [];
const textOf = (q: unknown): string => (typeof q === 'string' ? q : ((q as { text?: string })?.text ?? ''));
// PGlite: every preparable statement goes through PgliteStatements.run.
const run = (PgliteStatements.prototype as unknown as { run: (...a: unknown[]) => Promise<unknown> }).run;
(PgliteStatements.prototype as unknown as { run: (...a: unknown[]) => Promise<unknown> }).run = function (this: unknown, ...a: unknown[]) {
  sent.push(textOf(a[0]));
  return run.apply(this, a);
};
// PostgreSQL: every statement goes through pg.Client.query.
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: unknown, ...a: unknown[]) {
  sent.push(textOf(a[0]));
  return query.apply(this, a);
};

for (const { kind, skip } of await stores()) {
  describe(`statements per change [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('the PaymentIntent, its payment method, its event and its attempt are inserted by one statement', async () => {
      for (let i = 0; i < 5; i++) {
        sent.length = 0;
        const res = await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 700 + i, currency: 'CNY' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.status, 'requires_action');
        const attempts = sent.filter((s) => /INSERT INTO payment_attempts\b/.test(s));
        assert.equal(attempts.length, 1, `one statement inserts the attempt:\n${attempts.join('\n')}`);
        for (const table of ['payment_intents', 'payment_methods', 'events']) {
          assert.match(attempts[0]!, new RegExp(`INSERT INTO ${table}\\b`), `${table} in the attempt's statement`);
        }
      }
    });

    test('a refund that succeeds writes its three events in one statement', async () => {
      const pi = await paidIntent(g, 5_000);
      for (let i = 0; i < 3; i++) {
        sent.length = 0;
        const res = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.status, 'succeeded');
        const rows = sent.filter((s) => /INSERT INTO events\b/.test(s)).map((s) => s.split('oc_enqueue_deliveries(').length - 1);
        assert.ok(rows.includes(3), `one INSERT of the three events; the event inserts had ${JSON.stringify(rows)} rows`);
      }
    });
  });
}
