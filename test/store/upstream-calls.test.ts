/**
 * The log of calls to Antom: every connector call of the gateway leaves a row (api, request id,
 * outcome, code, error, latency), written in batches off the request path, read back per reference.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PaymentConnector, PayRequest } from '../../src/core/connector.js';
import type { Queryable } from '../../src/store/db.js';
import { systemClock } from '../../src/core/clock.js';
import { AntomClient } from '../../src/connectors/antom/client.js';
import { Worker } from '../../src/jobs/worker.js';
import { resetTestData } from '../../src/store/reset.js';
import {
  CALL_RETENTION_MS, callsFor, recordingConnector, StoreCallSink, type UpstreamCall, type UpstreamCallRow,
} from '../../src/store/upstream-calls.js';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { paidIntent } from '../helpers/payments.js';
import { SEED_000_WEB } from '../helpers/seeds.js';

// ---------------------------------------------------------------------------------------------
// The sink and the decorator, against a fake store

interface Statement {
  sql: string;
  params: readonly unknown[];
}

function fakeStore(fail = false): Queryable & { inserts: Statement[]; rows(): number } {
  const inserts: Statement[] = [];
  return {
    inserts,
    rows: () => inserts.reduce((n, s) => n + s.params.length / 9, 0),
    async query(sql: string, params: readonly unknown[] = []) {
      // Yield first, as a real store does, so calls recorded meanwhile meet a write in flight.
      await new Promise((r) => setImmediate(r));
      if (fail) throw new Error('connection terminated');
      inserts.push({ sql, params });
      return [];
    },
  };
}

function fakeLog() {
  const warnings: { obj: object; msg?: string }[] = [];
  return { warnings, warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }) };
}

const payReq = (id: string): PayRequest => ({
  paymentRequestId: id, referenceOrderId: 'pi_x', description: 'x', amount: 100, currency: 'CNY', upstreamMethod: 'ALIPAY_CN',
  terminalType: 'WEB', redirectUrl: 'https://r.example', notifyUrl: 'https://n.example',
});

/** A connector whose answers the test sets. */
function fakeConnector(answer: () => Promise<{ status: string; [k: string]: unknown }>): PaymentConnector {
  const a = answer as () => Promise<never>;
  return { pay: a, inquiryPayment: a, cancel: a, refund: a, inquiryRefund: a, acceptDispute: a, supplyDefenseDocument: a };
}

describe('upstream call sink', () => {
  test('many calls are written in few multi-row INSERTs', async () => {
    const q = fakeStore();
    const sink = new StoreCallSink(q, { log: fakeLog() });
    const c = recordingConnector(fakeConnector(async () => ({ status: 'action_required', redirect: {} })), sink, false, systemClock);
    await Promise.all(Array.from({ length: 250 }, (_, i) => c.pay(payReq(`pa_${i}`))));
    await eventually(async () => q.rows() === 250);
    assert.ok(q.inserts.length <= 5, `${q.inserts.length} INSERTs for 250 calls`);
    assert.ok(q.inserts.every((s) => s.params.length <= 100 * 9), 'at most 100 rows per INSERT');
    assert.ok(q.inserts.every((s) => /^INSERT INTO upstream_calls \(.+\) VALUES \(\$1, .+\), \(/s.test(s.sql)), 'one statement, many rows');
  });

  test('a few calls wait a moment for company, then go in one INSERT', async () => {
    const q = fakeStore();
    const sink = new StoreCallSink(q, { log: fakeLog(), flushMs: 30 });
    const c = recordingConnector(fakeConnector(async () => ({ status: 'processing' })), sink, true, systemClock);
    for (let i = 0; i < 3; i++) await c.inquiryPayment(`pa_${i}`);
    assert.equal(q.inserts.length, 0, 'nothing written on the request path');
    await eventually(async () => q.inserts.length === 1);
    assert.equal(q.rows(), 3);
  });

  test('a failing INSERT never reaches the caller: the call answers, the failure is a warning', async () => {
    const q = fakeStore(true);
    const log = fakeLog();
    const sink = new StoreCallSink(q, { log, flushMs: 10 });
    const c = recordingConnector(fakeConnector(async () => ({ status: 'succeeded', refundId: 'R1' })), sink, false, systemClock);
    assert.deepEqual(await c.refund({ refundRequestId: 're_1', paymentId: 'P1', amount: 1, currency: 'CNY' }), { status: 'succeeded', refundId: 'R1' });
    await eventually(async () => log.warnings.length === 1);
    assert.equal(log.warnings[0]!.msg, 'upstream calls not recorded');
    await sink.flush(); // resolves, never rejects
    await sink.stop();
  });

  test('outcome, code and error are read off any answer; a throw is recorded and passed on', async () => {
    const q = fakeStore();
    const sink = new StoreCallSink(q, { log: fakeLog() });
    const answers: (() => Promise<{ status: string; [k: string]: unknown }>)[] = [
      async () => ({ status: 'failed', code: 'RISK_REJECT', message: 'no' }),
      async () => ({ status: 'refused', code: 'ORDER_STATUS_INVALID', message: 'no' }),
      async () => ({ status: 'unknown', reason: 'transport: timeout' }),
      async () => ({ status: 'unknown', reason: `x\u0000y${'z'.repeat(500)}` }),
      async () => {
        throw new RangeError('amount not representable');
      },
    ];
    let next = 0;
    const c = recordingConnector(fakeConnector(() => answers[next++]!()), sink, false, systemClock);
    await c.pay(payReq('pa_1'));
    await c.cancel('pa_1');
    await c.inquiryRefund('re_1');
    await c.inquiryPayment('pa_2');
    await assert.rejects(c.refund({ refundRequestId: 're_2', paymentId: 'P2', amount: 1, currency: 'CNY' }), RangeError);
    await sink.stop();
    const rows: Partial<UpstreamCall>[] = [];
    for (const s of q.inserts) {
      for (let i = 0; i < s.params.length; i += 9) {
        const [started, livemode, api, reference, payment_reference, outcome, result_code, error, latency_ms] = s.params.slice(i, i + 9);
        rows.push({ started, livemode, api, reference, payment_reference, outcome, result_code, error, latency_ms } as UpstreamCall);
      }
    }
    assert.deepEqual(rows.map((r) => [r.api, r.reference, r.payment_reference, r.outcome, r.result_code]), [
      ['pay', 'pa_1', null, 'failed', 'RISK_REJECT'],
      ['cancel', 'pa_1', null, 'refused', 'ORDER_STATUS_INVALID'],
      ['inquiryRefund', 're_1', null, 'unknown', null],
      ['inquiryPayment', 'pa_2', null, 'unknown', null],
      ['refund', 're_2', 'P2', 'exception', null],
    ]);
    assert.deepEqual(rows.map((r) => r.error?.slice(0, 30) ?? null), [null, null, 'transport: timeout', `x y${'z'.repeat(27)}`, 'RangeError: amount not represe']);
    assert.ok(rows[3]!.error!.length <= 200, 'errors are short');
    assert.ok(rows.every((r) => Number.isInteger(r.latency_ms) && r.latency_ms! >= 0 && r.livemode === false));
  });

  test('stop writes what is buffered, then takes no more', async () => {
    const q = fakeStore();
    const sink = new StoreCallSink(q, { log: fakeLog(), flushMs: 60_000 });
    const c = recordingConnector(fakeConnector(async () => ({ status: 'canceled' })), sink, false, systemClock);
    await c.cancel('pa_1');
    await c.cancel('pa_2');
    await sink.stop();
    assert.equal(q.rows(), 2);
    await c.cancel('pa_3');
    await sink.flush();
    assert.equal(q.rows(), 2);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the gateway, on both stores

const fault = async (g: TestGateway, body: object) => {
  const res = await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
};
const clearFaults = (g: TestGateway) => fetch(`${g.url}/simulator/v1/faults`, { method: 'DELETE' });

async function attemptsOf(g: TestGateway, piId: string) {
  return g.gateway.db.query<{ id: string; upstream_payment_id: string | null }>(
    'SELECT id, upstream_payment_id FROM payment_attempts WHERE payment_intent_id = $1 ORDER BY created, id', [piId]);
}

/** Waits until the references have at least `n` calls recorded. */
function callsOf(g: TestGateway, references: string[], n: number): Promise<UpstreamCallRow[]> {
  return eventually(async () => {
    const rows = await callsFor(g.gateway.db, references);
    return rows.length >= n ? rows : undefined;
  });
}

/** A connector like the gateway's test one, but sent straight (no retries) with a short timeout. */
function directConnector(g: TestGateway, baseUrl: string, timeoutMs: number): PaymentConnector {
  const keys = g.gateway.simulatorKeys!;
  const client = new AntomClient(
    { clientId: keys.clientId, privateKeyBase64: keys.merchantPrivateKey, antomPublicKeyBase64: keys.antomPublicKey, baseUrl },
    { timeoutMs, settlementCurrency: 'USD', retries: 0 },
  );
  return recordingConnector(client, g.gateway.upstreamCalls, false, systemClock);
}

for (const { kind, skip } of await stores()) {
  describe(`upstream calls [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('a confirmed payment records its pay call: outcome, no error, a latency', async () => {
      const t0 = Date.now();
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      assert.equal(pi.status, 'requires_action');
      const [attempt] = await attemptsOf(g, pi.id);
      const [call, ...more] = await callsOf(g, [attempt!.id], 1);
      assert.deepEqual(more, []);
      assert.deepEqual(
        { ...call, id: undefined, started: undefined, latency_ms: undefined },
        { id: undefined, started: undefined, latency_ms: undefined, livemode: false, api: 'pay', reference: attempt!.id, payment_reference: null, outcome: 'action_required', result_code: null, error: null },
      );
      assert.ok(call!.started >= t0 && call!.started <= Date.now(), 'started is when the call began');
      assert.ok(Number.isInteger(call!.latency_ms) && call!.latency_ms >= 0 && call!.latency_ms < Date.now() - t0 + 1);
    });

    test('a refund records a refund call naming the payment it refunds', async () => {
      const pi = await paidIntent(g);
      const [attempt] = await attemptsOf(g, pi.id);
      const r = (await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 5 })).body;
      assert.equal(r.status, 'succeeded', JSON.stringify(r));
      const [call] = await callsOf(g, [r.id], 1);
      assert.deepEqual([call!.api, call!.reference, call!.payment_reference, call!.outcome, call!.error], ['refund', r.id, attempt!.upstream_payment_id, 'succeeded', null]);
      assert.ok(attempt!.upstream_payment_id, 'Antom named the payment');
    });

    test('a cancel records a cancel call after the pay; callsFor keeps each reference\'s calls, in order', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const [attempt] = await attemptsOf(g, pi.id);
      // The shopper's return asks Antom where the payment stands (inquiryPayment).
      await fetch(`${g.url}/return/${attempt!.id}`, { redirect: 'manual' });
      const canceled = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`);
      assert.equal(canceled.body.status, 'canceled', JSON.stringify(canceled.body));
      const other = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const [otherAttempt] = await attemptsOf(g, other.id);

      const calls = await callsOf(g, [attempt!.id, otherAttempt!.id], 4);
      assert.deepEqual(calls.map((c) => [c.api, c.reference, c.outcome]), [
        ['pay', attempt!.id, 'action_required'],
        ['inquiryPayment', attempt!.id, 'action_required'],
        ['cancel', attempt!.id, 'canceled'],
        ['pay', otherAttempt!.id, 'action_required'],
      ]);
      assert.ok(calls.every((c, i) => i === 0 || c.started >= calls[i - 1]!.started));
      assert.deepEqual((await callsFor(g.gateway.db, [attempt!.id])).map((c) => c.api), ['pay', 'inquiryPayment', 'cancel']);
      assert.deepEqual(await callsFor(g.gateway.db, ['pa_nobody']), []);
      assert.deepEqual(await callsFor(g.gateway.db, []), []);
    });

    test('a 5xx from Antom records the failure (outcome unknown, error HTTP 500); the resend is a second call on the same request id', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, confirm: false })).body;
      // Enough for every send of the connector's in-call retries.
      await fault(g, { api: 'pay', kind: 'http_500', times: 10 });
      try {
        assert.equal((await g.api('POST', `/v1/payment_intents/${pi.id}/confirm`, {})).status, 502);
      } finally {
        await clearFaults(g);
      }
      const [attempt] = await attemptsOf(g, pi.id);
      const [call] = await callsOf(g, [attempt!.id], 1);
      assert.deepEqual([call!.api, call!.outcome, call!.result_code, call!.error], ['pay', 'unknown', null, 'HTTP 500']);
      assert.equal((await g.api('POST', `/v1/payment_intents/${pi.id}/confirm`, {})).body.status, 'requires_action');
      const calls = await callsOf(g, [attempt!.id], 2);
      assert.deepEqual(calls.map((c) => [c.api, c.outcome, c.error]), [['pay', 'unknown', 'HTTP 500'], ['pay', 'action_required', null]]);
    });

    test('a failed payment records Antom\'s code', async () => {
      await fault(g, { api: 'pay', kind: 'fail', code: 'RISK_REJECT' });
      try {
        const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
        assert.equal(res.status, 402, JSON.stringify(res.body));
        const [attempt] = await attemptsOf(g, res.body.error.payment_intent.id);
        const [call] = await callsOf(g, [attempt!.id], 1);
        assert.deepEqual([call!.api, call!.outcome, call!.result_code, call!.error], ['pay', 'failed', 'RISK_REJECT', null]);
      } finally {
        await clearFaults(g);
      }
    });

    // The gateway's connector retries within a call, so three timeouts would take three timeouts'
    // time: these send once, with a short timeout, through the same decorator and sink.
    test('a timeout and a refused connection record their error and latency', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const [attempt] = await attemptsOf(g, pi.id);
      await fault(g, { api: 'inquiryPayment', kind: 'timeout', delay_ms: 2000 });
      try {
        const out = await directConnector(g, g.url, 300).inquiryPayment(attempt!.id);
        assert.equal(out.status, 'unknown');
      } finally {
        await clearFaults(g);
      }
      const closed = await import('node:net').then(({ createServer }) => new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => resolve(port));
        });
      }));
      assert.equal((await directConnector(g, `http://127.0.0.1:${closed}`, 300).cancel(attempt!.id)).status, 'unknown');

      const calls = await callsOf(g, [attempt!.id], 3);
      assert.deepEqual(calls.map((c) => [c.api, c.outcome, c.error]), [
        ['pay', 'action_required', null],
        ['inquiryPayment', 'unknown', 'transport: timeout'],
        ['cancel', 'unknown', 'transport: ECONNREFUSED'],
      ]);
      assert.ok(calls[1]!.latency_ms >= 290 && calls[1]!.latency_ms < 2000, `timed out after ${calls[1]!.latency_ms} ms`);
      // After the abort, this process's fetch opens a spare connection to the gateway that never
      // carries a request; Node's server.close() does not count it idle, so stopping would wait out
      // the keep-alive timeout (72 s). No client waits on any request now, so dropping them all is safe.
      g.gateway.app.server.closeAllConnections();
    });

    test('the background worker prunes calls older than 90 days', async () => {
      const now = Date.now();
      const old = { livemode: false, api: 'pay', payment_reference: null, outcome: 'succeeded', result_code: null, error: null, latency_ms: 1 } as const;
      g.gateway.upstreamCalls.record({ ...old, started: now - CALL_RETENTION_MS - 60_000, reference: 'pa_prune_old' });
      g.gateway.upstreamCalls.record({ ...old, started: now - CALL_RETENTION_MS + 60_000, reference: 'pa_prune_recent' });
      await g.gateway.upstreamCalls.flush();
      assert.equal((await callsFor(g.gateway.db, ['pa_prune_old', 'pa_prune_recent'])).length, 2);
      // A worker of its own prunes on its first round; the gateway's pruned at start and waits a minute.
      await new Worker(g.gateway.core, g.gateway.db, 100, { delayMs: g.gateway.config.tp.settleDelayMs }).runOnce();
      assert.deepEqual((await callsFor(g.gateway.db, ['pa_prune_old', 'pa_prune_recent'])).map((c) => c.reference), ['pa_prune_recent']);
    });

    test('reset forgets test-mode calls and keeps live ones', async () => {
      const call = { started: Date.now(), api: 'pay', payment_reference: null, outcome: 'succeeded', result_code: null, error: null, latency_ms: 1 } as const;
      g.gateway.upstreamCalls.record({ ...call, livemode: true, reference: 'pa_reset_live' });
      g.gateway.upstreamCalls.record({ ...call, livemode: false, reference: 'pa_reset_test' });
      await g.gateway.upstreamCalls.flush();
      const counts = await resetTestData(g.gateway.db);
      assert.ok(counts.upstream_calls! >= 1);
      assert.deepEqual((await callsFor(g.gateway.db, ['pa_reset_live', 'pa_reset_test'])).map((c) => c.reference), ['pa_reset_live']);
    });
  });
}
