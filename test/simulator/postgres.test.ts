// The same simulator over PostgreSQL 15, where concurrent requests really run on separate
// connections: the row locks, SKIP LOCKED claims and atomic fault consumption must hold there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SIMULATOR_MIGRATIONS, SimulatorWorker } from '../../src/simulator/index.js';
import { migrate } from '../../src/store/migrate.js';
import { complete, createPayment, getJson, paidPayment, postgresSchema, postJson, rawCall, sleep, startSimulator, uid, type Harness, type Received } from './helpers.js';

const pg = await postgresSchema();
const skip = 'skip' in pg ? pg.skip : false;
let h: Harness;

before(async () => {
  if ('db' in pg) h = await startSimulator({ db: pg.db, notifyScheduleMs: [0, 50, 100] });
});
after(async () => {
  if ('db' in pg) {
    await h.close();
    await pg.drop();
  }
});

const forPayment = (paymentId: string) => (r: Received) => r.json.paymentId === paymentId;

test('the migrations run on PostgreSQL and a second run applies nothing', { skip }, async () => {
  assert.deepEqual(await migrate(h.db, SIMULATOR_MIGRATIONS), []);
  const tables = await h.db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'sim_%' ORDER BY 1",
  );
  assert.deepEqual(tables.map((t) => t.table_name), ['sim_disputes', 'sim_faults', 'sim_notification_attempts', 'sim_notifications', 'sim_payments', 'sim_refunds']);
});

test('ten concurrent refunds on separate connections never exceed the payment amount', { skip }, async () => {
  const p = await paidPayment(h);
  const outs = await Promise.all(Array.from({ length: 10 }, () => h.client.refund({ refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 7000, currency: 'PHP' })));
  assert.equal(outs.filter((o) => o.status === 'succeeded').length, 4);
  assert.ok(outs.filter((o) => o.status !== 'succeeded').every((o) => (o as { code?: string }).code === 'REFUND_AMOUNT_EXCEED'));
  const view = await getJson(h, `/simulator/v1/payments/${p.paymentId}`);
  assert.equal((view.json.refunds as { amount: number }[]).reduce((s, r) => s + r.amount, 0), 28000);
});

test('concurrent repeats of one refundRequestId or paymentRequestId create one object', { skip }, async () => {
  const p = await paidPayment(h);
  const req = { refundRequestId: uid('RR'), paymentId: p.paymentId, amount: 100, currency: 'PHP' };
  const refunds = await Promise.all(Array.from({ length: 8 }, () => h.client.refund(req)));
  assert.equal(new Set(refunds.map((r) => (r as { refundId?: string }).refundId)).size, 1);
  assert.ok(refunds.every((r) => r.status === 'succeeded'));
  const pay = await createPayment(h);
  const pays = await Promise.all(Array.from({ length: 8 }, () => h.client.pay(pay.req)));
  assert.ok(pays.every((o) => (o as { paymentId?: string }).paymentId === pay.paymentId));
});

test('a double-clicked button completes the payment once and notifies once', { skip }, async () => {
  const p = await createPayment(h);
  const outs = await Promise.all(Array.from({ length: 5 }, () => complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' })));
  assert.deepEqual(outs.map((o) => o.status).sort(), [200, 409, 409, 409, 409]);
  await h.receiver.waitFor(forPayment(p.paymentId));
  await sleep(150);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 1);
});

test('a fault with times: 3 is consumed by exactly three of ten concurrent calls', { skip }, async () => {
  const p = await createPayment(h);
  await postJson(h, '/simulator/v1/faults', { api: 'inquiryPayment', kind: 'http_500', times: 3 });
  const outs = await Promise.all(Array.from({ length: 10 }, () => rawCall(h, 'inquiryPayment', { paymentId: p.paymentId })));
  assert.equal(outs.filter((o) => o.status === 500).length, 3);
  assert.equal(outs.filter((o) => o.json.paymentStatus === 'PROCESSING').length, 7);
});

test('three workers deliver each notification exactly once', { skip }, async () => {
  const others = [new SimulatorWorker(h.opts), new SimulatorWorker(h.opts)];
  for (const w of others) w.start();
  try {
    const payments = await Promise.all(Array.from({ length: 10 }, () => createPayment(h)));
    await Promise.all(payments.map((p) => complete(h, p.normalUrl, 'succeeded', { wallet: 'BPI' })));
    for (const p of payments) await h.receiver.waitFor(forPayment(p.paymentId));
    await sleep(200);
    for (const p of payments) assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 1);
  } finally {
    await Promise.all(others.map((w) => w.stop()));
  }
});

test('three workers send each dispute\'s DEFENSE_DUE_ALERT once and, when its window ends undefended, judge or escalate it once', { skip }, async () => {
  const disputes: { id: string; retrieval: boolean }[] = [];
  for (let i = 0; i < 6; i++) {
    const p = await paidPayment(h);
    const retrieval = i % 2 === 1;
    const opened = await postJson(h, '/simulator/v1/disputes', { url: p.normalUrl, defense_window_seconds: 3600, ...(retrieval ? { kind: 'retrieval' } : {}) });
    assert.equal(opened.status, 200, JSON.stringify(opened.json));
    disputes.push({ id: opened.json.dispute_id as string, retrieval });
  }
  const about = (id: string, type: string) => (r: Received) => r.json.disputeId === id && r.json.disputeNotificationType === type;
  const others = [new SimulatorWorker(h.opts), new SimulatorWorker(h.opts)];
  for (const w of others) w.start();
  try {
    h.clock.offset += 31 * 60_000; // past the alert (halfway through a 1 h window)
    for (const d of disputes) await h.receiver.waitFor(about(d.id, 'DEFENSE_DUE_ALERT'));
    // Each delivery recorded before the clock jumps again: a jump past a claim's lease would hand an attempt in flight to another worker.
    for (const d of disputes) {
      for (let until = Date.now() + 3000; ; await sleep(20)) {
        const view = await getJson(h, `/simulator/v1/disputes/${d.id}`);
        if ((view.json.notifications as { delivered_at: number | null }[]).every((n) => n.delivered_at !== null)) break;
        assert.ok(Date.now() < until, `${d.id}: notifications delivered`);
      }
    }
    h.clock.offset += 30 * 60_000; // past the window
    for (const d of disputes) await h.receiver.waitFor(about(d.id, d.retrieval ? 'DISPUTE_CREATED' : 'DISPUTE_JUDGED'), 3000, d.retrieval ? 2 : 1);
    await sleep(300);
    for (const d of disputes) {
      assert.equal(h.receiver.received.filter(about(d.id, 'DEFENSE_DUE_ALERT')).length, 1, `${d.id}: one alert`);
      assert.equal(h.receiver.received.filter(about(d.id, 'DISPUTE_CREATED')).length, d.retrieval ? 2 : 1, `${d.id}: escalated once`);
      assert.equal(h.receiver.received.filter(about(d.id, 'DISPUTE_JUDGED')).length, d.retrieval ? 0 : 1, `${d.id}: judged once`);
      const view = await getJson(h, `/simulator/v1/disputes/${d.id}`);
      assert.equal(view.json.status, d.retrieval ? 'OPEN' : 'JUDGED');
      assert.equal(view.json.dispute_type, 'CHARGEBACK');
    }
  } finally {
    await Promise.all(others.map((w) => w.stop()));
    h.clock.offset -= 61 * 60_000;
  }
});

test('an expiry seen by many at once is announced once', { skip }, async () => {
  const p = await createPayment(h);
  h.clock.offset += 15 * 60_000;
  await Promise.all([
    ...Array.from({ length: 5 }, () => h.client.inquiryPayment(p.req.paymentRequestId)),
    h.worker.runOnce(),
    fetch(p.normalUrl),
  ]);
  await h.receiver.waitFor(forPayment(p.paymentId));
  await sleep(150);
  assert.equal(h.receiver.received.filter(forPayment(p.paymentId)).length, 1);
});
