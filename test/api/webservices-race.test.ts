/**
 * TRANSACTIONUPDATE settlestatus 3 (cancel) racing the shopper paying the same AUTH, many times,
 * on both stores. Every run ends in one truth shared by the reply, the AUTH, the PaymentIntent
 * and the simulator's Antom:
 * - the cancel won: the reply is 0, the AUTH is 3 and was never authorised (nothing counts as
 *   paid, it never settles), the PaymentIntent is canceled, Antom's payment CANCELLED;
 * - the payment won: the reply is 60017, the AUTH is authorised and settles (100), the
 *   PaymentIntent succeeded, Antom's payment SUCCESS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_004_AUTH } from '../helpers/seeds.js';
import { seedTrustPayments, tp } from '../helpers/webservices.js';

const RUNS = Number(process.env.RACE_RUNS ?? 14);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Offsets (ms) of the shopper's payment relative to the cancel: before, together, after. */
const offsetFor = (i: number) => [-15, -5, 0, 0, 5, 15, 30][i % 7]!;

for (const { kind, skip } of await stores()) {
  describe(`Trust Payments cancel vs. the shopper paying [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind, env: { OPENCASHIER_TP_SETTLE_DELAY_SECONDS: '0', POLL_SCHEDULE_MS: '300,600,1200' } });
      await seedTrustPayments(g);
    });
    after(async () => g?.stop());

    test(`${RUNS} races end with the reply, the AUTH, the PaymentIntent and Antom agreeing`, async () => {
      const outcomes = { cancelled: 0, paid: 0 };
      for (let i = 0; i < RUNS; i++) {
        const auth = await tp(g, { ...SEED_004_AUTH, orderreference: `race-${i}` });
        assert.equal(auth.errorcode, '0');
        const offset = offsetFor(i);
        const pay = (async () => {
          if (offset > 0) await pause(offset);
          return g.complete(auth.redirecturl, 'succeeded');
        })();
        const cancel = (async () => {
          if (offset < 0) await pause(-offset);
          return tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: auth.transactionreference }] }, updates: { settlestatus: '3' } });
        })();
        const [, reply] = await Promise.all([pay, cancel]);
        assert.ok(['0', '60017'].includes(reply.errorcode), `run ${i}: ${JSON.stringify(reply)}`);
        const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
        const piId = row!.payment_intent_id;
        const end = await eventually(async () => {
          const [t] = await g.gateway.db.query<{ settle_status: number; authorised_at: string | null }>(
            'SELECT settle_status, authorised_at FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
          const [sim] = await g.gateway.db.query<{ status: string }>('SELECT status FROM sim_payments WHERE reference_order_id = $1', [piId]);
          const pi = (await g.api('GET', `/v1/payment_intents/${piId}`)).body;
          const final = (t!.settle_status === 3 && pi.status === 'canceled' && sim?.status === 'CANCELLED')
            || (t!.settle_status === 100 && pi.status === 'succeeded' && sim?.status === 'SUCCESS');
          return final ? { t: t!, pi, sim: sim! } : undefined;
        });
        if (reply.errorcode === '0') {
          outcomes.cancelled++;
          assert.equal(end.t.settle_status, 3, `run ${i}: cancelled AUTH`);
          assert.equal(end.t.authorised_at, null, `run ${i}: a cancelled AUTH never counted as paid`);
          const succeeded = await g.gateway.db.query("SELECT 1 FROM events WHERE object_id = $1 AND type = 'payment_intent.succeeded'", [piId]);
          assert.equal(succeeded.length, 0, `run ${i}: no payment_intent.succeeded for a cancelled AUTH`);
        } else {
          outcomes.paid++;
          assert.equal(end.t.settle_status, 100, `run ${i}: the payment won and settles`);
          assert.equal(end.pi.status, 'succeeded');
        }
      }
      assert.equal(outcomes.cancelled + outcomes.paid, RUNS);
      console.log(`# ${kind}: ${outcomes.cancelled} cancelled, ${outcomes.paid} paid`);
    });
  });
}
