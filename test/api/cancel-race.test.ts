/**
 * A cancel (or a Checkout Session's expiry) racing the shopper's payment, many times, on both
 * stores: whatever the interleaving, the gateway and the simulator's Antom end up agreeing.
 * - Antom SUCCESS: the PaymentIntent is succeeded with a plain charge, and the cancel was refused.
 * - Antom CANCELLED: the PaymentIntent is canceled and no `payment_intent.succeeded` was ever
 *   recorded; if the shopper had paid before the cancel reached Antom (Antom gave the money back),
 *   the charge is recorded and fully reversed by a succeeded refund.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_CHECKOUT, SEED_000_WEB } from '../helpers/seeds.js';

const RUNS = Number(process.env.RACE_RUNS ?? 24);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Offsets (ms) of the cancel relative to the shopper's payment: before, together, after. */
const offsetFor = (i: number) => [-15, -5, 0, 0, 5, 15, 30][i % 7]!;

type Upstream = { status: string; paid_at: number | null };

async function upstreamOf(g: TestGateway, piId: string): Promise<{ attempt: string; sim: Upstream }> {
  const [a] = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [piId]);
  const [sim] = await g.gateway.db.query<Upstream>('SELECT status, paid_at FROM sim_payments WHERE payment_request_id = $1', [a!.id]);
  return { attempt: a!.id, sim: { status: sim!.status, paid_at: sim!.paid_at === null ? null : Number(sim!.paid_at) } };
}

async function fault(g: TestGateway, body: Record<string, unknown>) {
  const res = await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

async function clearFaults(g: TestGateway) {
  await fetch(`${g.url}/simulator/v1/faults`, { method: 'DELETE' });
}

/** Quiet: Antom's state is final, every notification about it is delivered, no cancel is still being settled. */
async function settled(g: TestGateway, piId: string) {
  return eventually(async () => {
    const { attempt, sim } = await upstreamOf(g, piId);
    if (!['SUCCESS', 'CANCELLED', 'FAIL'].includes(sim.status)) return false;
    const [pending] = await g.gateway.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sim_notifications n JOIN sim_payments p ON p.payment_id = n.payment_id
        WHERE p.payment_request_id = $1 AND n.delivered_at IS NULL AND n.gave_up_at IS NULL`, [attempt]);
    if (pending!.n > 0) return false;
    const [a] = await g.gateway.db.query<{ status: string; cancel_requested_at: string | null; next_poll_at: string | null }>(
      'SELECT status, cancel_requested_at, next_poll_at FROM payment_attempts WHERE id = $1', [attempt]);
    if (['pending', 'redirected', 'processing'].includes(a!.status)) return false;
    const pi = (await g.api('GET', `/v1/payment_intents/${piId}`)).body;
    if (!['succeeded', 'canceled'].includes(pi.status)) return false;
    return { sim, pi };
  }, 20_000);
}

async function ledgerOf(g: TestGateway, piId: string) {
  const events = (await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY seq', [piId])).map((e) => e.type);
  const charges = (await g.api('GET', `/v1/charges?payment_intent=${piId}`)).body.data as any[];
  const refunds = (await g.api('GET', `/v1/refunds?payment_intent=${piId}`)).body.data as any[];
  return { events, charges, refunds };
}

/** The one truth both sides must tell; returns which way this run went. */
async function checkAgreement(g: TestGateway, piId: string, cancelStatus: number, label: string): Promise<string> {
  const { sim, pi } = await settled(g, piId);
  const { events, charges, refunds } = await ledgerOf(g, piId);
  const why = `${label}: Antom ${sim.status} (paid_at ${sim.paid_at}), gateway ${pi.status}, cancel HTTP ${cancelStatus}, events ${events.join(',')}, charges ${JSON.stringify(charges.map((c) => [c.status, c.amount_refunded]))}`;
  if (sim.status === 'SUCCESS') {
    assert.equal(pi.status, 'succeeded', why);
    assert.equal(cancelStatus, 400, why);
    assert.ok(!events.includes('payment_intent.canceled'), why);
    assert.deepEqual(charges.map((c) => [c.status, c.amount_refunded]), [['succeeded', 0]], why);
    return 'kept';
  }
  assert.equal(sim.status, 'CANCELLED', why);
  assert.equal(pi.status, 'canceled', why);
  assert.equal(cancelStatus, 200, why);
  assert.ok(!events.includes('payment_intent.succeeded'), why);
  const paid = charges.filter((c) => c.status === 'succeeded');
  if (sim.paid_at === null) {
    assert.equal(paid.length, 0, why);
    return 'canceled before paying';
  }
  // The shopper paid and Antom's cancel gave it back: recorded and reversed, never a plain success.
  assert.equal(paid.length, 1, why);
  assert.equal(paid[0].refunded, true, why);
  assert.equal(paid[0].amount_refunded, paid[0].amount, why);
  assert.equal(refunds.length, 1, why);
  assert.equal(refunds[0].status, 'succeeded', why);
  assert.equal(refunds[0].amount, paid[0].amount, why);
  return 'paid, then reversed by the cancel';
}

for (const { kind, skip } of await stores()) {
  describe(`cancel racing the shopper's payment [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test(`POST …/cancel against POST /simulator/v1/complete, ${RUNS} times: the gateway and Antom agree every time`, async () => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
        assert.equal(pi.status, 'requires_action');
        const offset = offsetFor(i);
        const [cancel] = await Promise.all([
          pause(Math.max(0, offset)).then(() => g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {})),
          pause(Math.max(0, -offset)).then(() => g.complete(pi.next_action.redirect_to_url.url, 'succeeded')),
        ]);
        assert.ok([200, 400].includes(cancel.status), JSON.stringify(cancel.body));
        const way = await checkAgreement(g, pi.id, cancel.status, `run ${i} (cancel ${offset} ms after paying)`);
        seen[way] = (seen[way] ?? 0) + 1;
      }
      console.log(`# ${kind}: ${JSON.stringify(seen)}`);
    });

    test('a cancel Antom does not answer: 502, a success arriving meanwhile is held, and the poller finishes the cancel', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      await fault(g, { api: 'cancel', kind: 'unknown', times: 3 });
      const cancel = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {});
      assert.equal(cancel.status, 502, JSON.stringify(cancel.body));
      assert.equal(cancel.body.error.type, 'api_error');
      const paid = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      assert.equal(paid.status, 200);
      // The wallet's success notification is acknowledged, but nothing is reported as paid.
      await eventually(async () => {
        const [n] = await g.gateway.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM sim_notifications WHERE payment_id = $1 AND delivered_at IS NOT NULL", [paid.body.payment_id]);
        return n!.n === 1;
      });
      const meanwhile = (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body;
      assert.equal(meanwhile.status, 'requires_action');
      assert.ok(!(await ledgerOf(g, pi.id)).events.includes('payment_intent.succeeded'));
      // No further fault: the poller's next round cancels at Antom, which gives the money back.
      const way = await checkAgreement(g, pi.id, 200, 'unanswered cancel');
      assert.equal(way, 'paid, then reversed by the cancel');
    });

    test('a cancel Antom refuses because the payment is final there: the inquiry\'s truth stands and the cancel is a 400', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      await fault(g, { api: 'notify', kind: 'fail', times: 10 });
      const paid = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      assert.equal(paid.status, 200);
      await fault(g, { api: 'cancel', kind: 'fail', code: 'CANCEL_WINDOW_EXCEED', times: 1 });
      const cancel = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {});
      assert.equal(cancel.status, 400, JSON.stringify(cancel.body));
      assert.equal(cancel.body.error.code, 'payment_intent_unexpected_state');
      const after = (await g.api('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge`)).body;
      assert.equal(after.status, 'succeeded');
      assert.equal(after.latest_charge.amount_refunded, 0);
      const { sim } = await upstreamOf(g, pi.id);
      assert.equal(sim.status, 'SUCCESS');
      await clearFaults(g);
    });

    test(`POST /v1/checkout/sessions/:id/expire against the shopper paying on the hosted page, ${RUNS} times`, async () => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const cs = (await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body;
        const started = await fetch(`${g.url}/pay/${cs.id}`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ method: 'alipay' }),
        });
        assert.equal(started.status, 200, await started.text());
        const pi = (await g.api('GET', `/v1/payment_intents/${cs.payment_intent}`)).body;
        const offset = offsetFor(i);
        const [expire] = await Promise.all([
          pause(Math.max(0, offset)).then(() => g.api('POST', `/v1/checkout/sessions/${cs.id}/expire`, {})),
          pause(Math.max(0, -offset)).then(() => g.complete(pi.next_action.redirect_to_url.url, 'succeeded')),
        ]);
        assert.ok([200, 400].includes(expire.status), JSON.stringify(expire.body));
        const way = await checkAgreement(g, pi.id, expire.status, `run ${i} (expire ${offset} ms after paying)`);
        const session = (await g.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
        const sessionEvents = (await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1', [cs.id])).map((e) => e.type);
        if (way === 'kept') {
          assert.deepEqual([session.status, session.payment_status], ['complete', 'paid']);
          assert.ok(!sessionEvents.includes('checkout.session.expired'));
        } else {
          assert.deepEqual([session.status, session.payment_status], ['expired', 'unpaid'], `run ${i}: ${way}`);
          assert.ok(!sessionEvents.includes('checkout.session.completed'), `run ${i}: ${sessionEvents.join(',')}`);
        }
        seen[way] = (seen[way] ?? 0) + 1;
      }
      console.log(`# ${kind}: ${JSON.stringify(seen)}`);
    });
  });
}

for (const { kind, skip } of await stores()) {
  describe(`cancel racing confirm's own pay call [${kind}]`, { skip }, () => {
    let g: TestGateway;
    const lines: string[] = [];
    before(async () => {
      g = await startGateway({ store: kind, env: { LOG_LEVEL: 'debug' }, logStream: { write: (l) => void lines.push(l) } });
    });
    after(async () => g?.stop());

    test(`POST …/cancel while Antom takes 60 ms to answer confirm's pay, ${RUNS} times: the PaymentIntent ends canceled and Antom agrees`, async () => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, confirm: false })).body;
        assert.equal(pi.status, 'requires_confirmation', JSON.stringify(pi));
        // Processed at once, answered 60 ms later (well inside the gateway's timeout).
        await fault(g, { api: 'pay', kind: 'timeout', times: 1, delay_ms: 60 });
        const offset = [0, 5, 15, 30, 45, 60, 90][i % 7]!;
        const [confirm, cancel] = await Promise.all([
          g.api('POST', `/v1/payment_intents/${pi.id}/confirm`, {}),
          pause(offset).then(() => g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {})),
        ]);
        await clearFaults(g);
        const why = `run ${i} (cancel ${offset} ms after confirm): confirm ${confirm.status} ${JSON.stringify(confirm.body.status ?? confirm.body.error?.code)}, cancel ${cancel.status} ${JSON.stringify(cancel.body.error?.message ?? cancel.body.status)}`;
        assert.ok([200, 400].includes(confirm.status), why);
        assert.equal(cancel.status, 200, why);
        const end = await eventually(async () => {
          const now = (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body;
          const [a] = await g.gateway.db.query<{ id: string; status: string }>('SELECT id, status FROM payment_attempts WHERE payment_intent_id = $1', [pi.id]);
          if (!a) return now.status === 'canceled' ? { now, sim: undefined } : false;
          if (['pending', 'redirected', 'processing'].includes(a.status)) return false;
          const [sim] = await g.gateway.db.query<{ status: string }>('SELECT status FROM sim_payments WHERE payment_request_id = $1', [a.id]);
          if (sim && sim.status !== 'CANCELLED') return false;
          return { now, sim };
        }, 20_000);
        assert.equal(end.now.status, 'canceled', why);
        const { events, charges } = await ledgerOf(g, pi.id);
        assert.ok(!events.includes('payment_intent.succeeded'), why);
        assert.equal(charges.filter((c) => c.status === 'succeeded').length, 0, why);
        const way = confirm.status === 400 ? 'canceled before confirm' : `confirm answered ${confirm.body.status}`;
        seen[way] = (seen[way] ?? 0) + 1;
      }
      const stale = lines.filter((l) => l.includes('the answer is applied under locks')).length;
      console.log(`# ${kind}: ${JSON.stringify(seen)}; answers applied under locks after a cancel: ${stale}`);
      assert.ok(stale > 0, 'some cancels landed while the pay answer was on its way, and the answer was applied under locks');
    });
  });
}

