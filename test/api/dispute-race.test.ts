/**
 * A refund racing Antom's DISPUTE_CREATED for the same charge, many times, on both stores. Both
 * take the charge's row lock (core/refunds/create.ts, core/disputes/notify.ts), so one of two
 * orders happens, never a mix: the refund comes first and the dispute opens on a refunded charge,
 * or the dispute comes first and the refund is refused with charge_disputed. The dispute is always
 * kept (it is Antom's word), and no refund is ever made after its charge's dispute opened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { signedNotification } from '../helpers/notifications.js';

const ROUNDS = 14;

for (const { kind, skip } of await stores()) {
  describe(`a refund racing a dispute [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test(`${ROUNDS} rounds: refund first or dispute first, never both after the dispute`, { timeout: 240_000 }, async (t) => {
      const orders = { refundFirst: 0, disputeFirst: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
        assert.equal((await g.complete(pi.next_action.redirect_to_url.url, 'succeeded')).status, 200);
        const paid = await eventually(async () => {
          const p = (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body;
          return p.status === 'succeeded' ? p : undefined;
        });
        const [sim] = await g.gateway.db.query<{ payment_id: string; payment_request_id: string; amount: number }>(
          "SELECT payment_id, payment_request_id, amount FROM sim_payments WHERE reference_order_id = $1 AND status = 'SUCCESS'", [pi.id]);
        const n = signedNotification(g, {
          paymentRequestId: sim!.payment_request_id, disputeId: `RACE${round}${Date.now()}`, paymentId: sim!.payment_id, disputeTime: new Date().toISOString(),
          disputeAmount: { currency: 'CNY', value: String(sim!.amount) }, disputeNotificationType: 'DISPUTE_CREATED', disputeReasonMsg: 'not received',
          defenseDueTime: new Date(Date.now() + 86_400_000).toISOString(), defendable: true,
        });

        // One of the two starts up to 9 ms after the other, by an offset that moves each round, so
        // that over the rounds they reach the charge's lock in both orders.
        const offset = ((round % 7) - 3) * 3;
        const later = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
        const [refund, notified] = await Promise.all([
          later(offset).then(() => g.api('POST', '/v1/refunds', { payment_intent: pi.id })),
          later(-offset).then(() => fetch(`${g.url}/antom/notify`, { method: 'POST', headers: n.headers, body: n.raw })).then(async (r) => ({ status: r.status, text: await r.text() })),
        ]);
        assert.equal(notified.status, 200, `the dispute is always kept: ${notified.text}`);
        const dispute = (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data[0];
        assert.ok(dispute, 'one dispute');
        const charge = (await g.api('GET', `/v1/charges/${paid.latest_charge}`)).body;
        assert.equal(charge.disputed, true);
        const seqOf = async (type: string, objectId: string) =>
          (await g.gateway.db.query<{ seq: number }>('SELECT seq FROM events WHERE type = $1 AND object_id = $2', [type, objectId]))[0]?.seq;
        const opened = await seqOf('charge.dispute.created', dispute.id);
        assert.ok(opened !== undefined);
        if (refund.status === 200) {
          orders.refundFirst++;
          const made = await seqOf('refund.created', refund.body.id);
          assert.ok(made !== undefined && Number(made) < Number(opened), `round ${round}: the refund was made before the dispute opened`);
        } else {
          orders.disputeFirst++;
          assert.equal(refund.status, 400, JSON.stringify(refund.body));
          assert.equal(refund.body.error.code, 'charge_disputed');
          const [row] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds WHERE charge_id = $1', [paid.latest_charge]);
          assert.equal(row!.n, 0, 'a refused refund stored nothing');
        }
      }
      t.diagnostic(`refund first ${orders.refundFirst}, dispute first ${orders.disputeFirst}`);
      assert.equal(orders.refundFirst + orders.disputeFirst, ROUNDS);
    });
  });
}
