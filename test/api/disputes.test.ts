/**
 * Disputes end to end through Antom's protocol: the simulator opens and judges a dispute and sends
 * the signed notifyDispute messages; the gateway verifies them, keeps a Stripe-shaped Dispute,
 * marks the charge, refuses refunds while the dispute is open, and delivers the events as webhooks.
 * Every way a dispute ends, each through the simulator's signed notifications: won, lost, accepted
 * (closed), withdrawn by the buyer, lost past its window; a retrieval request (Stripe's inquiry)
 * closed, or escalated to a chargeback. Each ends validated against Stripe's dispute schema.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { paidIntent, simulator } from '../helpers/payments.js';
import { signedNotification } from '../helpers/notifications.js';
import { check, STRIPE } from '../helpers/stripe-schemas.js';

/** Seed 000's PaymentIntent, paid in the simulator (500 CNY minor units unless said). */
const paid = (g: TestGateway, amount = 500, currency = 'CNY') => paidIntent(g, amount, currency);

/** The gateway's dispute of a PaymentIntent, once Antom's DISPUTE_CREATED has been applied. */
async function disputeOf(g: TestGateway, piId: string, status = 'needs_response') {
  return eventually(async () => {
    const list = (await g.api('GET', `/v1/disputes?payment_intent=${piId}`)).body;
    return list.data?.[0]?.status === status ? list.data[0] : undefined;
  });
}

/** The dispute as Stripe's SDKs get it, validated against Stripe's schema. */
async function checked(g: TestGateway, id: string) {
  const d = (await g.api('GET', `/v1/disputes/${id}`, undefined, { headers: STRIPE })).body;
  check('dispute', d);
  return d;
}

/** The simulator's view of a dispute once its notifications of these types are all delivered. */
async function delivered(g: TestGateway, disputeId: string, types: string[]) {
  return eventually(async () => {
    const v = (await (await fetch(`${g.url}/simulator/v1/disputes/${disputeId}`)).json()) as any;
    const sent = v.notifications.filter((n: any) => n.delivered_at !== null).map((n: any) => n.notify_type);
    return JSON.stringify(sent) === JSON.stringify(types) ? v : undefined;
  });
}

async function statusIs(g: TestGateway, id: string, status: string) {
  return eventually(async () => {
    const d = (await g.api('GET', `/v1/disputes/${id}`)).body;
    return d.status === status ? d : undefined;
  });
}

async function eventTypes(g: TestGateway, objectId: string) {
  return (await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY seq', [objectId])).map((e) => e.type);
}

/** A merchant's webhook receiver on loopback. */
class Receiver {
  readonly got: { body: string; signature: string }[] = [];
  private server!: Server;
  url = '';
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        this.got.push({ body, signature: String(req.headers['stripe-signature']) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
    return this;
  }
  about(id: string) {
    return this.got.filter((r) => (JSON.parse(r.body) as { data: { object: { id: string } } }).data.object.id === id);
  }
  close() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const DISPUTE_EVENTS = ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated'];

for (const { kind, skip } of await stores()) {
  describe(`disputes [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Receiver;
    let endpoint: { id: string; secret: string };
    before(async () => {
      g = await startGateway({ store: kind });
      rx = await new Receiver().start();
      endpoint = (await g.api('POST', '/v1/webhook_endpoints', { url: rx.url, enabled_events: DISPUTE_EVENTS })).body;
      assert.match(endpoint.id, /^we_/);
    });
    after(async () => {
      await g?.stop();
      await rx?.close();
    });

    test('a dispute Antom opens is a needs_response Dispute, the charge shows it, a refund is refused while it is open; judged for the buyer\'s loss it is won', async () => {
      const pi = await paid(g, 500);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, amount: 300, reason: 'The buyer says the goods were not received.' });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      assert.equal(opened.body.status, 'OPEN');
      const created = opened.body.notifications[0].body;
      assert.equal(created.disputeNotificationType, 'DISPUTE_CREATED');
      assert.deepEqual(created.disputeAmount, { currency: 'CNY', value: '300' });
      assert.equal(created.disputeId, opened.body.dispute_id);
      assert.equal(created.defendable, true);

      const d = await disputeOf(g, pi.id);
      assert.match(d.id, /^dp_/);
      assert.equal(d.object, 'dispute');
      assert.equal(d.amount, 300);
      assert.equal(d.currency, 'CNY');
      assert.equal(d.reason, 'product_not_received');
      assert.equal(d.charge, pi.latest_charge);
      assert.equal(d.payment_intent, pi.id);
      assert.equal(d.livemode, false);
      assert.equal(d.is_charge_refundable, false);
      assert.equal(d.evidence_details.due_by, Date.parse(created.defenseDueTime), 'due_by is Antom\'s defenseDueTime');
      assert.equal(d.evidence_details.past_due, false);
      assert.equal(d.evidence_details.has_evidence, false);
      assert.equal(d.evidence_details.submission_count, 0);
      assert.deepEqual(d.metadata, {});
      assert.deepEqual((await g.api('GET', `/v1/disputes/${d.id}`)).body, d);

      const charge = (await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body;
      assert.equal(charge.disputed, true);

      const refused = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.type, 'invalid_request_error');
      assert.equal(refused.body.error.code, 'charge_disputed');
      assert.equal(refused.body.error.param, 'payment_intent');
      assert.match(refused.body.error.message, new RegExp(d.id));
      const byCharge = await g.api('POST', '/v1/refunds', { charge: pi.latest_charge });
      assert.equal(byCharge.body.error.code, 'charge_disputed');
      assert.equal(byCharge.body.error.param, 'charge');
      assert.equal((await g.api('GET', `/v1/refunds?payment_intent=${pi.id}`)).body.data.length, 0, 'nothing was refunded');

      const judged = await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      assert.equal(judged.status, 200, JSON.stringify(judged.body));
      const won = await eventually(async () => {
        const now = (await g.api('GET', `/v1/disputes/${d.id}`)).body;
        return now.status === 'won' ? now : undefined;
      });
      assert.equal(won.amount, 300);
      assert.equal((await checked(g, d.id)).status, 'won');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);
      assert.equal((await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.disputed, true, 'a charge once disputed stays disputed');
      // Each event carries the dispute's balance transactions as they were: what it withdrew, then what it reinstated.
      const carried = await g.gateway.db.query<{ type: string; data: { object: { balance_transactions: { reporting_category: string; amount: number }[] } } }>(
        'SELECT type, data FROM events WHERE object_id = $1 ORDER BY seq', [d.id]);
      assert.deepEqual(carried.map((e) => [e.type, e.data.object.balance_transactions.map((t) => t.reporting_category)]), [
        ['charge.dispute.created', ['dispute']], ['charge.dispute.funds_withdrawn', ['dispute']],
        ['charge.dispute.closed', ['dispute', 'dispute_reversal']], ['charge.dispute.funds_reinstated', ['dispute', 'dispute_reversal']],
      ]);
      assert.deepEqual(won.balance_transactions.map((t: { id: string }) => t.id), carried.at(-1)!.data.object.balance_transactions.map((t: any) => t.id),
        'the API shows the transactions the last event carried');

      // Both notifications were acknowledged by the gateway, first time.
      const sim = (await (await fetch(`${g.url}/simulator/v1/disputes/${opened.body.dispute_id}`)).json()) as any;
      assert.deepEqual(sim.notifications.map((n: any) => [n.notify_type, n.attempts, n.delivered_at !== null]),
        [['DISPUTE_CREATED', 1, true], ['DISPUTE_JUDGED', 1, true]]);

      // Closed: the charge may be refunded again.
      const refund = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 });
      assert.equal(refund.status, 200, JSON.stringify(refund.body));
      assert.equal(refund.body.status, 'succeeded');
    });

    test('judged at the merchant\'s cost the dispute is lost, closed without reinstating the funds', async () => {
      const pi = await paid(g, 800);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, reason: 'Unauthorized transaction: the buyer reports fraud.' });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      const d = await disputeOf(g, pi.id);
      assert.equal(d.amount, 800, 'the whole payment by default');
      assert.equal(d.reason, 'fraudulent');
      await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_MERCHANT' });
      await eventually(async () => (await g.api('GET', `/v1/disputes/${d.id}`)).body.status === 'lost');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
      const [closed] = await g.gateway.db.query<{ data: any }>("SELECT data FROM events WHERE object_id = $1 AND type = 'charge.dispute.closed'", [d.id]);
      assert.equal(closed!.data.object.status, 'lost');
      assert.deepEqual(closed!.data.previous_attributes, { status: 'needs_response' });
      // Judging again is refused by the simulator and changes nothing here.
      const again = await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      assert.equal(again.status, 409);
      assert.equal((await checked(g, d.id)).status, 'lost');
    });

    test('every dispute event reaches the merchant\'s endpoint, signed so the stripe SDK verifies it', async () => {
      const pi = await paid(g, 600);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, amount: 600 });
      const d = await disputeOf(g, pi.id);
      await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      const got = await eventually(async () => {
        const mine = rx.about(d.id);
        return mine.length >= 4 ? mine : undefined;
      });
      const stripe = new Stripe('sk_test_unused');
      const types = got.map((r) => {
        const ev = stripe.webhooks.constructEvent(r.body, r.signature, endpoint.secret);
        assert.equal((ev.data.object as { object: string }).object, 'dispute');
        return ev.type;
      });
      assert.deepEqual(types.sort(), ['charge.dispute.closed', 'charge.dispute.created', 'charge.dispute.funds_reinstated', 'charge.dispute.funds_withdrawn']);
    });

    test('a forged, altered, stale or replayed notifyDispute is refused and kept with its reason; one that does not fit the charge too', async () => {
      const pi = await paid(g, 400);
      const [sim] = await g.gateway.db.query<{ payment_id: string; payment_request_id: string }>(
        "SELECT payment_id, payment_request_id FROM sim_payments WHERE reference_order_id = $1 AND status = 'SUCCESS'", [pi.id]);
      const body = (value: string) => ({
        paymentRequestId: sim!.payment_request_id, disputeId: `2026113019401150${Date.now()}`, paymentId: sim!.payment_id,
        disputeTime: new Date().toISOString(), disputeAmount: { currency: 'CNY', value }, disputeNotificationType: 'DISPUTE_CREATED',
        disputeReasonMsg: 'duplicate charge', defenseDueTime: new Date(Date.now() + 86_400_000).toISOString(), defendable: true,
      });
      const post = async (raw: string, headers: Record<string, string>) => {
        const res = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers, body: raw });
        return { status: res.status, body: (await res.json()) as any };
      };
      const refusedWith = async (reason: RegExp) => {
        const [row] = await g.gateway.db.query<{ verdict: string; reason: string }>('SELECT verdict, reason FROM upstream_notifications ORDER BY id DESC LIMIT 1');
        assert.equal(row!.verdict, 'refused');
        assert.match(row!.reason, reason);
      };
      const disputes = async () => (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data.length;

      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
      const forged = signedNotification(g, body('400'), { key: otherKey });
      const f = await post(forged.raw, forged.headers);
      assert.equal(f.status, 400);
      assert.equal(f.body.result.resultStatus, 'F');
      await refusedWith(/signature does not verify/);

      const genuine = signedNotification(g, body('400'));
      const altered = await post(genuine.raw.replace('"value":"400"', '"value":"40"'), genuine.headers);
      assert.equal(altered.status, 400);
      await refusedWith(/signature does not verify/);

      const stale = signedNotification(g, body('400'), { time: String(Date.now() - 3_600_000) });
      assert.equal((await post(stale.raw, stale.headers)).status, 400);
      await refusedWith(/outside the .* window/);

      const tooMuch = signedNotification(g, body('401'));
      assert.equal((await post(tooMuch.raw, tooMuch.headers)).status, 400);
      await refusedWith(/does not fit the charge/);
      assert.equal(await disputes(), 0, 'nothing refused made a dispute');

      const ok = await post(genuine.raw, genuine.headers);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.result.resultStatus, 'S');
      assert.equal(await disputes(), 1);
      const d = (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data[0];
      assert.equal(d.reason, 'duplicate');

      const replay = await post(genuine.raw, genuine.headers);
      assert.equal(replay.status, 400);
      await refusedWith(/replayed/);
      assert.equal(await disputes(), 1);
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn'], 'the replay recorded nothing');
    });

    test('out of order and the rest of Antom\'s messages: a judgement before its DISPUTE_CREATED opens and closes it, DEFENSE_SUPPLIED puts it under review, DISPUTE_CANCELLED wins it', async () => {
      const notify = async (piId: string, disputeId: string, type: string, extra: object = {}) => {
        const [sim] = await g.gateway.db.query<{ payment_id: string; payment_request_id: string; amount: number }>(
          "SELECT payment_id, payment_request_id, amount FROM sim_payments WHERE reference_order_id = $1 AND status = 'SUCCESS'", [piId]);
        const n = signedNotification(g, {
          paymentRequestId: sim!.payment_request_id, disputeId, paymentId: sim!.payment_id, disputeTime: new Date().toISOString(),
          disputeAmount: { currency: 'CNY', value: String(sim!.amount) }, disputeNotificationType: type, disputeReasonMsg: 'not received',
          defenseDueTime: new Date(Date.now() + 86_400_000).toISOString(), defendable: true, ...extra,
        });
        const res = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: n.headers, body: n.raw });
        assert.equal(res.status, 200, await res.text());
      };
      const late = await paid(g, 200);
      const lateId = `LATE${Date.now()}`;
      await notify(late.id, lateId, 'DISPUTE_JUDGED', { disputeJudgedResult: 'ACCEPT_BY_MERCHANT', disputeJudgedTime: new Date().toISOString() });
      const lost = await disputeOf(g, late.id, 'lost');
      assert.deepEqual(await eventTypes(g, lost.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
      await notify(late.id, lateId, 'DISPUTE_CREATED');
      assert.equal((await g.api('GET', `/v1/disputes/${lost.id}`)).body.status, 'lost', 'a late DISPUTE_CREATED changes nothing');
      assert.equal((await eventTypes(g, lost.id)).length, 3);

      const defended = await paid(g, 200);
      const id = `DEF${Date.now()}`;
      await notify(defended.id, id, 'DISPUTE_CREATED');
      await notify(defended.id, id, 'DEFENSE_DUE_ALERT');
      assert.equal((await disputeOf(g, defended.id)).status, 'needs_response', 'the alert changes nothing');
      await notify(defended.id, id, 'DEFENSE_SUPPLIED');
      const review = await disputeOf(g, defended.id, 'under_review');
      await notify(defended.id, id, 'DISPUTE_CANCELLED');
      await disputeOf(g, defended.id, 'won');
      assert.deepEqual(await eventTypes(g, review.id),
        ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);
    });

    test('closing a dispute accepts it at Antom: lost at once, Antom\'s judgement after it changes nothing, closing again is harmless; after the window Antom refuses', async () => {
      const pi = await paid(g, 700);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id });
      const d = await disputeOf(g, pi.id);
      const fault = await fetch(`${g.url}/simulator/v1/faults`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'acceptDispute', kind: 'http_500', times: 3 }),
      });
      assert.equal(fault.status, 200);
      const unanswered = await g.api('POST', `/v1/disputes/${d.id}/close`, {});
      assert.equal(unanswered.status, 502, JSON.stringify(unanswered.body));
      assert.equal(unanswered.body.error.code, 'upstream_unavailable');
      assert.equal((await g.api('GET', `/v1/disputes/${d.id}`)).body.status, 'needs_response', 'no answer changed nothing');
      const closed = await g.api('POST', `/v1/disputes/${d.id}/close`, {}, { idempotencyKey: `close-${d.id}` });
      assert.equal(closed.status, 200, JSON.stringify(closed.body));
      assert.equal(closed.body.status, 'lost');
      const sim = await eventually(async () => {
        const v = (await (await fetch(`${g.url}/simulator/v1/disputes/${opened.body.dispute_id}`)).json()) as any;
        return v.notifications.length === 2 && v.notifications[1].delivered_at !== null ? v : undefined;
      });
      assert.equal(sim.status, 'JUDGED');
      assert.equal(sim.judged_result, 'ACCEPT_BY_MERCHANT');
      assert.equal(sim.notifications[1].body.disputeJudgedResult, 'ACCEPT_BY_MERCHANT');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
      await g.gateway.upstreamCalls.flush();
      const calls = await g.gateway.db.query<{ outcome: string }>("SELECT outcome FROM upstream_calls WHERE api = 'acceptDispute' AND reference = $1 ORDER BY id", [opened.body.dispute_id]);
      assert.deepEqual(calls.map((c) => c.outcome), ['unknown', 'accepted'], 'Antom\'s own disputeId, in the log of calls');
      const again = await g.api('POST', `/v1/disputes/${d.id}/close`, {});
      assert.equal(again.status, 200);
      assert.equal(again.body.status, 'lost');
      assert.equal((await eventTypes(g, d.id)).length, 3);
      assert.equal((await checked(g, d.id)).status, 'lost');

      const won = await paid(g, 700);
      const wonSim = await simulator(g, 'disputes', { payment_intent: won.id });
      const wonD = await disputeOf(g, won.id);
      await simulator(g, `disputes/${wonSim.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      await disputeOf(g, won.id, 'won');
      const late = await g.api('POST', `/v1/disputes/${wonD.id}/close`, {});
      assert.equal(late.status, 400);
      assert.equal(late.body.error.code, 'dispute_already_closed');

      // Defended, a dispute past its window waits for Antom's judgement, and Antom takes no acceptance any more.
      const due = await paid(g, 700);
      await simulator(g, 'disputes', { payment_intent: due.id, defense_window_seconds: 3 });
      const dueD = await disputeOf(g, due.id);
      const defended = await g.api('POST', `/v1/disputes/${dueD.id}`, { evidence: { uncategorized_text: 'Delivered.' }, submit: true });
      assert.equal(defended.body.status, 'under_review', JSON.stringify(defended.body));
      await eventually(async () => Date.now() > dueD.evidence_details.due_by + 1000);
      const past = await g.api('POST', `/v1/disputes/${dueD.id}/close`, {});
      assert.equal(past.status, 400, JSON.stringify(past.body));
      assert.equal(past.body.error.code, 'dispute_past_due');
      assert.equal((await g.api('GET', `/v1/disputes/${dueD.id}`)).body.status, 'under_review', 'nothing changed');
      assert.equal((await g.api('GET', `/v1/disputes/${dueD.id}`)).body.evidence_details.past_due, true);
    });

    test('evidence is saved, submit=true sends it to Antom as supplyDefenseDocument: under review, then judged; after the window Antom refuses and the evidence stays', async () => {
      const pi = await paid(g, 900);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, reason: 'Goods never arrived' });
      const d = await disputeOf(g, pi.id);
      const saved = await g.api('POST', `/v1/disputes/${d.id}`, { evidence: { shipping_tracking_number: 'SF123456', product_description: '红茶 tea' }, metadata: { case: '7' } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.status, 'needs_response');
      assert.equal(saved.body.evidence.shipping_tracking_number, 'SF123456');
      assert.equal(saved.body.evidence.uncategorized_text, null);
      assert.equal(saved.body.evidence_details.has_evidence, true);
      assert.equal(saved.body.evidence_details.submission_count, 0);
      assert.deepEqual(saved.body.metadata, { case: '7' });

      const submitted = await g.api('POST', `/v1/disputes/${d.id}`, { evidence: { uncategorized_text: 'Delivered and signed for.' }, submit: true });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.equal(submitted.body.status, 'under_review');
      assert.equal(submitted.body.evidence_details.submission_count, 1);
      assert.equal(submitted.body.evidence.product_description, '红茶 tea', 'earlier evidence is kept');
      const sim = await eventually(async () => {
        const v = (await (await fetch(`${g.url}/simulator/v1/disputes/${opened.body.dispute_id}`)).json()) as any;
        return v.notifications.some((n: any) => n.notify_type === 'DEFENSE_SUPPLIED' && n.delivered_at !== null) ? v : undefined;
      });
      assert.match(sim.defense_document, /shipping_tracking_number:\nSF123456/);
      assert.match(sim.defense_document, /uncategorized_text:\nDelivered and signed for\./);
      assert.match(sim.defense_document, /红茶 tea/);
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.updated', 'charge.dispute.updated'],
        'evidence saved twice, then under review; Antom\'s DEFENSE_SUPPLIED after it changes nothing');
      await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      await eventually(async () => (await g.api('GET', `/v1/disputes/${d.id}`)).body.status === 'won');
      const closed = await g.api('POST', `/v1/disputes/${d.id}`, { evidence: { uncategorized_text: 'more' } });
      assert.equal(closed.status, 400);
      assert.equal(closed.body.error.code, 'dispute_already_closed');
      const meta = await g.api('POST', `/v1/disputes/${d.id}`, { metadata: { case: '8' } });
      assert.equal(meta.status, 200, 'metadata may change after the dispute closed');
      assert.deepEqual(meta.body.metadata, { case: '8' });

      // A second defence after the window: Antom refuses it (a defended dispute waits past its window for the judgement).
      const late = await paid(g, 900);
      await simulator(g, 'disputes', { payment_intent: late.id, defense_window_seconds: 3 });
      const lateD = await disputeOf(g, late.id);
      const first = await g.api('POST', `/v1/disputes/${lateD.id}`, { evidence: { product_description: 'tea' }, submit: true });
      assert.equal(first.body.status, 'under_review', JSON.stringify(first.body));
      await eventually(async () => Date.now() > lateD.evidence_details.due_by + 1000);
      const refused = await g.api('POST', `/v1/disputes/${lateD.id}`, { evidence: { uncategorized_text: 'too late' }, submit: true });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'dispute_past_due');
      const after = (await g.api('GET', `/v1/disputes/${lateD.id}`)).body;
      assert.equal(after.status, 'under_review');
      assert.equal(after.evidence.uncategorized_text, 'too late', 'the evidence stays saved');
      assert.equal(after.evidence_details.submission_count, 1);
    });

    test('Antom\'s DEFENSE_SUPPLIED applied while supplyDefenseDocument\'s answer is still out: the submit records no second status change', async () => {
      const pi = await paid(g, 950);
      await simulator(g, 'disputes', { payment_intent: pi.id });
      const d = await disputeOf(g, pi.id);
      // The simulator takes the defence and announces it at once, then holds its answer 2.5 s
      // (the test gateway gives Antom 3 s), long enough for the notification to be applied first.
      const fault = await fetch(`${g.url}/simulator/v1/faults`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'supplyDefenseDocument', kind: 'timeout', delay_ms: 2500 }),
      });
      assert.equal(fault.status, 200, await fault.text());
      let answered = false;
      const submitting = g.api('POST', `/v1/disputes/${d.id}`, { evidence: { uncategorized_text: 'Delivered.' }, submit: true }).finally(() => { answered = true; });
      await statusIs(g, d.id, 'under_review');
      assert.equal(answered, false, 'the notification was applied before the submit was answered');
      const submitted = await submitting;
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.equal(submitted.body.status, 'under_review');
      assert.equal(submitted.body.evidence_details.submission_count, 1);
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.updated'],
        'the evidence saved, then DEFENSE_SUPPLIED\'s change to under review; the submit\'s answer adds nothing');
      const changes = await g.gateway.db.query<{ previous: string | null }>(
        "SELECT data->'previous_attributes'->>'status' AS previous FROM events WHERE object_id = $1 AND type = 'charge.dispute.updated' ORDER BY seq", [d.id]);
      assert.deepEqual(changes.map((c) => c.previous), [null, 'needs_response'], 'one change of status, from needs_response');
    });

    test('the buyer withdraws the dispute: DISPUTE_CANCELLED wins it and reinstates the funds; only an open chargeback can be withdrawn', async () => {
      const pi = await paid(g, 650);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id });
      const d = await disputeOf(g, pi.id);
      const cancelled = await simulator(g, `disputes/${opened.body.dispute_id}/cancel`, {});
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.status, 'CANCELLED');
      await delivered(g, opened.body.dispute_id, ['DISPUTE_CREATED', 'DISPUTE_CANCELLED']);
      const won = await statusIs(g, d.id, 'won');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);
      assert.equal(won.is_charge_refundable, false);
      assert.equal((await checked(g, d.id)).status, 'won');
      const twice = await simulator(g, `disputes/${opened.body.dispute_id}/cancel`, {});
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'dispute_closed');
      assert.equal((await simulator(g, 'disputes/NO_SUCH_DISPUTE/cancel', {})).status, 404);
    });

    test('left undefended past its window the dispute is judged lost by the simulator; DEFENSE_DUE_ALERT comes first and is kept without changing it', async () => {
      const pi = await paid(g, 450);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, defense_window_seconds: 4 });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      // A window shorter than 48 h is alerted halfway; a week's window 24 h before its end.
      assert.equal(opened.body.alert_at, opened.body.created_at + 2000);
      const week = await simulator(g, 'disputes', { payment_intent: (await paid(g, 450)).id });
      assert.equal(week.body.alert_at, week.body.defense_due_at - 24 * 3_600_000);
      const d = await disputeOf(g, pi.id);
      const alert = await eventually(async () => {
        const rows = await g.gateway.db.query<{ verdict: string; body: string }>(
          'SELECT verdict, body FROM upstream_notifications WHERE body LIKE $1', [`%${opened.body.dispute_id}%DEFENSE_DUE_ALERT%`]);
        return rows[0];
      });
      assert.equal(alert.verdict, 'applied', 'the alert is acknowledged and kept');
      assert.equal(Date.parse(JSON.parse(alert.body).defenseDueTime), Math.floor(opened.body.defense_due_at / 1000) * 1000);
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn'], 'the alert changed nothing');
      const sim = await delivered(g, opened.body.dispute_id, ['DISPUTE_CREATED', 'DEFENSE_DUE_ALERT', 'DISPUTE_JUDGED']);
      assert.equal(sim.status, 'JUDGED');
      assert.equal(sim.judged_result, 'ACCEPT_BY_MERCHANT');
      assert.ok(sim.judged_at > sim.defense_due_at, 'judged when the window ended, not before');
      const lost = await statusIs(g, d.id, 'lost');
      assert.equal(lost.evidence_details.past_due, false, 'closed, so no longer past due');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
      assert.equal((await checked(g, d.id)).status, 'lost');
      // A defended one is not judged on its own: it waits for Antom's judgement.
      const defendedPi = await paid(g, 450);
      const defended = await simulator(g, 'disputes', { payment_intent: defendedPi.id, defense_window_seconds: 3 });
      const dd = await disputeOf(g, defendedPi.id);
      assert.equal((await g.api('POST', `/v1/disputes/${dd.id}`, { evidence: { uncategorized_text: 'Delivered.' }, submit: true })).body.status, 'under_review');
      await eventually(async () => Date.now() > dd.evidence_details.due_by + 1500);
      const waiting = await delivered(g, defended.body.dispute_id, ['DISPUTE_CREATED', 'DEFENSE_SUPPLIED']);
      assert.equal(waiting.status, 'OPEN', 'no alert and no judgement for a defended dispute');
      assert.equal((await checked(g, dd.id)).status, 'under_review');
    });

    test('a retrieval request is an inquiry: warning_needs_response with nothing withdrawn and the charge refundable; its documents put it under review; VALIDATE_SUCCESS closes it', async () => {
      const pi = await paid(g, 800);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, kind: 'retrieval', reason: 'I do not recognize this payment' });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      assert.equal(opened.body.dispute_type, 'RETRIEVAL_REQUEST');
      assert.equal(opened.body.notifications[0].body.disputeType, 'RETRIEVAL_REQUEST');
      const d = await disputeOf(g, pi.id, 'warning_needs_response');
      assert.equal(d.reason, 'unrecognized');
      assert.equal(d.is_charge_refundable, true);
      await checked(g, d.id);
      assert.equal((await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.disputed, true);
      const refund = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 });
      assert.equal(refund.status, 200, `an inquiry withdrew nothing: the charge may be refunded (${JSON.stringify(refund.body)})`);
      const wrong = await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      assert.equal(wrong.status, 409);
      assert.equal(wrong.body.error.code, 'wrong_result');
      assert.equal((await simulator(g, `disputes/${opened.body.dispute_id}/cancel`, {})).status, 409, 'Antom has no cancellation of a retrieval request');
      const close = await g.api('POST', `/v1/disputes/${d.id}/close`, {});
      assert.equal(close.status, 400, JSON.stringify(close.body));
      assert.equal(close.body.error.code, 'dispute_is_inquiry');
      assert.equal((await g.api('GET', `/v1/disputes/${d.id}`)).body.status, 'warning_needs_response', 'nothing changed');

      const submitted = await g.api('POST', `/v1/disputes/${d.id}`, { evidence: { product_description: 'Tea, 2 boxes', customer_name: 'Li' }, submit: true });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.equal(submitted.body.status, 'warning_under_review');
      assert.equal(submitted.body.evidence_details.submission_count, 1);
      await delivered(g, opened.body.dispute_id, ['DISPUTE_CREATED', 'DEFENSE_SUPPLIED']);
      const judged = await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'VALIDATE_SUCCESS' });
      assert.equal(judged.status, 200, JSON.stringify(judged.body));
      await delivered(g, opened.body.dispute_id, ['DISPUTE_CREATED', 'DEFENSE_SUPPLIED', 'DISPUTE_JUDGED']);
      await statusIs(g, d.id, 'warning_closed');
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.updated', 'charge.dispute.closed'],
        'no funds events for an inquiry');
      const [closed] = await g.gateway.db.query<{ data: any }>("SELECT data FROM events WHERE object_id = $1 AND type = 'charge.dispute.closed'", [d.id]);
      assert.deepEqual(closed!.data.previous_attributes, { status: 'warning_under_review' });
      assert.equal((await checked(g, d.id)).status, 'warning_closed');
      const more = await g.api('POST', `/v1/disputes/${d.id}`, { evidence: { uncategorized_text: 'late' } });
      assert.equal(more.body.error.code, 'dispute_already_closed');
    });

    test('a retrieval request escalates to a chargeback: by Antom (DISPUTE_CREATED of a chargeback), by VALIDATE_FAIL, or left unanswered past its window; the funds are withdrawn then', async () => {
      // Escalated by Antom: a chargeback with its own window; refunds stop; judged for the merchant it is won.
      const pi = await paid(g, 700);
      const opened = await simulator(g, 'disputes', { payment_intent: pi.id, kind: 'retrieval' });
      const d = await disputeOf(g, pi.id, 'warning_needs_response');
      const escalated = await simulator(g, `disputes/${opened.body.dispute_id}/escalate`, { defense_window_seconds: 10 * 86_400 });
      assert.equal(escalated.status, 200, JSON.stringify(escalated.body));
      assert.equal(escalated.body.dispute_type, 'CHARGEBACK');
      const chargeback = await statusIs(g, d.id, 'needs_response');
      assert.equal(chargeback.evidence_details.due_by, Math.floor(escalated.body.defense_due_at / 1000) * 1000, 'the chargeback\'s own defenseDueTime');
      assert.ok(chargeback.evidence_details.due_by > d.evidence_details.due_by);
      assert.equal(chargeback.is_charge_refundable, false);
      assert.deepEqual(await eventTypes(g, d.id), ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn']);
      const [updated] = await g.gateway.db.query<{ data: any }>("SELECT data FROM events WHERE object_id = $1 AND type = 'charge.dispute.updated'", [d.id]);
      assert.equal(updated!.data.previous_attributes.status, 'warning_needs_response');
      assert.equal((await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 100 })).body.error.code, 'charge_disputed');
      assert.equal((await simulator(g, `disputes/${opened.body.dispute_id}/escalate`, {})).status, 409, 'a chargeback does not escalate again');
      await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' });
      await statusIs(g, d.id, 'won');
      assert.deepEqual(await eventTypes(g, d.id),
        ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed', 'charge.dispute.funds_reinstated']);
      assert.equal((await checked(g, d.id)).status, 'won');

      // VALIDATE_FAIL: the documents did not satisfy it; a chargeback follows, the merchant may defend again.
      const failPi = await paid(g, 700);
      const failOpened = await simulator(g, 'disputes', { payment_intent: failPi.id, kind: 'retrieval' });
      const fd = await disputeOf(g, failPi.id, 'warning_needs_response');
      assert.equal((await g.api('POST', `/v1/disputes/${fd.id}`, { evidence: { uncategorized_text: 'Receipt attached.' }, submit: true })).body.status, 'warning_under_review');
      const failed = await simulator(g, `disputes/${failOpened.body.dispute_id}/judge`, { result: 'VALIDATE_FAIL' });
      assert.equal(failed.status, 200, JSON.stringify(failed.body));
      assert.equal(failed.body.status, 'OPEN');
      await statusIs(g, fd.id, 'needs_response');
      assert.deepEqual(await eventTypes(g, fd.id),
        ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.updated', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn']);
      assert.equal((await checked(g, fd.id)).status, 'needs_response');
      const again = await g.api('POST', `/v1/disputes/${fd.id}`, { evidence: { uncategorized_text: 'Signed delivery note.' }, submit: true });
      assert.equal(again.body.status, 'under_review', JSON.stringify(again.body));
      assert.equal(again.body.evidence_details.submission_count, 2);

      // Unanswered: the simulator escalates it when its window ends, then (still unanswered) judges the chargeback lost.
      const idlePi = await paid(g, 700);
      const idle = await simulator(g, 'disputes', { payment_intent: idlePi.id, kind: 'retrieval', defense_window_seconds: 3 });
      const id = await disputeOf(g, idlePi.id, 'warning_needs_response');
      await statusIs(g, id.id, 'needs_response');
      await statusIs(g, id.id, 'lost');
      await delivered(g, idle.body.dispute_id, ['DISPUTE_CREATED', 'DEFENSE_DUE_ALERT', 'DISPUTE_CREATED', 'DEFENSE_DUE_ALERT', 'DISPUTE_JUDGED']);
      assert.deepEqual(await eventTypes(g, id.id),
        ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn', 'charge.dispute.closed']);
      assert.equal((await checked(g, id.id)).status, 'lost');
    });

    test('a retrieval request\'s DEFENSE_SUPPLIED told after its VALIDATE_FAIL leaves the chargeback undefended (Antom\'s notifications may come in any order)', async () => {
      const pi = await paid(g, 450);
      const [sim] = await g.gateway.db.query<{ payment_id: string; payment_request_id: string }>(
        "SELECT payment_id, payment_request_id FROM sim_payments WHERE reference_order_id = $1 AND status = 'SUCCESS'", [pi.id]);
      const disputeId = `2026113014150000${Date.now()}`;
      const tell = async (type: string, extra: object = {}) => {
        const n = signedNotification(g, {
          paymentRequestId: sim!.payment_request_id, disputeId, paymentId: sim!.payment_id, disputeTime: new Date().toISOString(),
          disputeAmount: { currency: 'CNY', value: '450' }, disputeNotificationType: type, disputeReasonMsg: 'no receipt',
          disputeType: 'RETRIEVAL_REQUEST', defenseDueTime: new Date(Date.now() + 5 * 86_400_000).toISOString(), defendable: true, ...extra,
        });
        const res = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: n.headers, body: n.raw });
        assert.equal(res.status, 200, `${type}: ${await res.text()}`);
      };
      await tell('DISPUTE_CREATED');
      const d = await disputeOf(g, pi.id, 'warning_needs_response');
      await tell('DISPUTE_JUDGED', { disputeJudgedResult: 'VALIDATE_FAIL', disputeJudgedTime: new Date().toISOString(), disputeJudgedAmount: { currency: 'CNY', value: '450' } });
      assert.equal((await statusIs(g, d.id, 'needs_response')).evidence_details.submission_count, 0);
      const before = await eventTypes(g, d.id);
      await tell('DEFENSE_SUPPLIED');
      const after = (await g.api('GET', `/v1/disputes/${d.id}`)).body;
      assert.equal(after.status, 'needs_response', 'the chargeback still awaits its defence');
      assert.deepEqual(await eventTypes(g, d.id), before, 'nothing recorded');
      const [kept] = await g.gateway.db.query<{ verdict: string }>('SELECT verdict FROM upstream_notifications ORDER BY id DESC LIMIT 1');
      assert.equal(kept!.verdict, 'duplicate', 'acknowledged and kept as news that changes nothing');
    });

    test('GET /v1/disputes filters by charge, payment_intent and created, and pages like the other lists', async () => {
      const since = Date.now();
      const a = await paid(g, 300);
      const b = await paid(g, 300);
      // One after the other: the simulator's worker may deliver two queued DISPUTE_CREATED in either order.
      await simulator(g, 'disputes', { payment_intent: a.id });
      const da = await disputeOf(g, a.id);
      await simulator(g, 'disputes', { payment_intent: b.id });
      const db = await disputeOf(g, b.id);
      const byCharge = (await g.api('GET', `/v1/disputes?charge=${a.latest_charge}`)).body;
      assert.equal(byCharge.object, 'list');
      assert.equal(byCharge.url, '/v1/disputes');
      assert.deepEqual(byCharge.data.map((x: any) => x.id), [da.id]);
      const recent = (await g.api('GET', `/v1/disputes?created[gte]=${since}&limit=1`)).body;
      assert.deepEqual(recent.data.map((x: any) => x.id), [db.id], 'newest first');
      assert.equal(recent.has_more, true);
      const next = (await g.api('GET', `/v1/disputes?created[gte]=${since}&limit=1&starting_after=${db.id}`)).body;
      assert.deepEqual(next.data.map((x: any) => x.id), [da.id]);
      assert.equal(next.has_more, false);
      const expanded = (await g.api('GET', `/v1/disputes/${da.id}?expand[]=charge`)).body;
      assert.equal(expanded.charge.id, a.latest_charge);
      assert.equal(expanded.charge.disputed, true);
      const missing = await g.api('GET', '/v1/disputes/dp_missing');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'resource_missing');
    });
  });
}
