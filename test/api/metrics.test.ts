/**
 * `GET /metrics`: Prometheus text that moves with what the gateway does — requests by route
 * pattern and status, payments by method, wallet and outcome, Antom calls by API, notifications
 * by verdict and reason, webhook sends by outcome, the outbox and its oldest row, the polls and
 * expiries due, PostgreSQL's pool — and who may read it: anyone on a loopback gateway, a bearer of
 * METRICS_TOKEN, nobody beyond loopback (HOST=0.0.0.0, or behind a proxy) without a token. With WORKERS=2 a scrape sees both processes' numbers, added up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, eventually, postgresSkipReason, startGateway, TEST_DATABASE_URL, type TestGateway } from '../helpers/gateway.js';
import { spawnGateway, startReceiver, type Receiver } from '../helpers/processes.js';
import { SEED_000_CHECKOUT, SEED_000_WEB, SEED_003_ALIPAYPLUS } from '../helpers/seeds.js';
import { paymentSucceeded, signedNotification } from '../helpers/notifications.js';
import { randomToken } from '../../src/core/ids.js';
import { reasonKind } from '../../src/metrics.js';

/** The value of one series (`name{labels}`), summing the series whose labels include every given one; 0 when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics on a loopback gateway', () => {
  let g: TestGateway;
  let receiver: Receiver;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
    receiver = await startReceiver();
  });
  after(async () => {
    await g.stop();
    await receiver.close();
  });

  test('counts requests, payments by method and wallet, Antom calls, notifications and webhook sends', async () => {
    const before = await scrape(g.url);
    const endpoint = await g.api('POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['charge.succeeded', 'charge.failed'] });
    assert.equal(endpoint.status, 200);

    // Two Alipay CN payments that succeed, one Alipay+ that the wallet declines.
    for (const outcome of ['succeeded', 'succeeded'] as const) {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      assert.equal((await g.complete(pi.next_action.redirect_to_url.url, outcome)).status, 200);
    }
    const plus = await g.api('POST', '/v1/payment_intents', SEED_003_ALIPAYPLUS);
    assert.equal(plus.status, 200, JSON.stringify(plus.body));
    assert.equal((await g.complete(plus.body.next_action.redirect_to_url.url, 'failed')).status, 200);
    // A notification nobody signed.
    const forged = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"notifyType":"PAYMENT_RESULT"}' });
    assert.equal(forged.status, 400);

    const after = await eventually(async () => {
      const t = await scrape(g.url);
      const delta = (name: string, labels: Record<string, string> = {}) => value(t, name, labels) - value(before, name, labels);
      return delta('opencashier_webhook_deliveries_total', { outcome: 'succeeded' }) >= 3 && delta('opencashier_payments_total') >= 3 ? t : undefined;
    });
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

    assert.equal(delta('opencashier_http_requests_total', { method: 'POST', route: '/v1/payment_intents', status: '200' }), 3);
    assert.equal(delta('opencashier_http_request_duration_seconds_count', { method: 'POST', route: '/v1/payment_intents', status_class: '2xx' }), 3);
    assert.equal(delta('opencashier_payments_total', { method: 'alipay', wallet: 'ALIPAY_CN', outcome: 'succeeded', livemode: 'false' }), 2);
    assert.equal(delta('opencashier_payments_total', { method: 'alipayplus', outcome: 'failed' }), 1);
    assert.equal(delta('opencashier_payments_total'), 3);
    assert.equal(delta('opencashier_antom_calls_total', { api: 'pay', outcome: 'action_required' }), 3);
    assert.equal(delta('opencashier_antom_call_duration_seconds_count', { api: 'pay' }), 3);
    assert.ok(delta('opencashier_antom_notifications_total', { verdict: 'applied' }) >= 3, after);
    assert.equal(delta('opencashier_antom_notifications_total', { verdict: 'refused', reason: 'signature' }), 1);
    assert.equal(delta('opencashier_webhook_deliveries_total', { outcome: 'succeeded' }), 3);
    assert.equal(delta('opencashier_events_total', { type: 'payment_intent.succeeded' }), 2);
    // A 404 is counted under one marker, not under the URL it asked for.
    await g.api('GET', `/v1/no_such_thing_${randomToken(8)}`);
    const later = await scrape(g.url);
    assert.ok(value(later, 'opencashier_http_requests_total', { route: '(no route)', status: '404' }) >= 1);
    assert.doesNotMatch(later, /no_such_thing/);
    // Process metrics come with it.
    assert.ok(value(later, 'opencashier_process_resident_memory_bytes') > 0);
  });

  test('the outbox depth and the age of its oldest delivery follow a receiver that is down', async () => {
    receiver.policy = () => 503;
    const endpoint = (await g.api('POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['payment_intent.created'] })).body;
    await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, confirm: false });
    const t = await eventually(async () => {
      const text = await scrape(g.url);
      // (The store's figures are read at most once a second: a scrape may show the previous read.)
      return value(text, 'opencashier_webhook_deliveries_total', { outcome: 'retry' }) >= 1 && value(text, 'opencashier_webhook_outbox_pending') >= 1 ? text : undefined;
    });
    // The delivery is already older than zero; a second later it is older still.
    const first = value(t, 'opencashier_webhook_outbox_oldest_age_seconds');
    const older = await eventually(async () => {
      const v = value(await scrape(g.url), 'opencashier_webhook_outbox_oldest_age_seconds');
      return v >= first + 1 ? v : undefined;
    });
    assert.ok(older > first);
    receiver.policy = () => 200;
    await g.api('DELETE', `/v1/webhook_endpoints/${endpoint.id}`);
  });

  test('refusal reasons become a few kinds, never the text itself', () => {
    assert.equal(reasonKind('signature does not verify'), 'signature');
    assert.equal(reasonKind('replayed notification (same signed message seen before)'), 'replayed');
    assert.equal(reasonKind('body is not JSON'), 'malformed');
    assert.equal(reasonKind('something nobody foresaw: pi_123'), 'other');
  });
});

const postgresSkip = await postgresSkipReason();

describe('GET /metrics: the work waiting in the store', () => {
  test('payment polls, refund polls and checkout sessions due are counted while no worker takes them', async () => {
    let offset = 0;
    // No background workers: what is due stays due, so the figures can be read exactly.
    const g = await startGateway({ store: 'pglite', workers: false, clock: { now: () => Date.now() + offset } });
    try {
      // A paid PaymentIntent (its result told by a signed notification, as Antom would), refunded
      // while Antom's refund is still processing: the refund waits for its inquiry.
      const paid = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      assert.equal((await g.complete(paid.next_action.redirect_to_url.url, 'succeeded')).status, 200);
      const result = await paymentSucceeded(g, paid.next_action.redirect_to_url.url);
      const n = signedNotification(g, result.body);
      assert.equal((await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: n.headers, body: n.raw })).status, 200);
      assert.equal((await g.api('GET', `/v1/payment_intents/${paid.id}`)).body.status, 'succeeded');
      const fault = await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'refund', kind: 'async', delay_ms: 600_000 }) });
      assert.equal(fault.status, 200, await fault.text());
      const refund = await g.api('POST', '/v1/refunds', { payment_intent: paid.id });
      assert.equal(refund.body.status, 'pending', JSON.stringify(refund.body));
      // A PaymentIntent waiting for the shopper (its attempt is inquired later), and an open Checkout Session.
      assert.equal((await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body.status, 'requires_action');
      assert.equal((await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body.status, 'open');

      const read = async (want: (t: string) => boolean) => eventually(async () => {
        // (The store's figures are read at most once a second: a scrape may show the previous read.)
        const t = await scrape(g.url);
        return want(t) ? t : undefined;
      });
      const due = (t: string) => [value(t, 'opencashier_payment_polls_due'), value(t, 'opencashier_refund_polls_due'), value(t, 'opencashier_checkout_sessions_to_expire')];
      const now = await read((t) => t.includes('opencashier_checkout_sessions_to_expire'));
      assert.deepEqual(due(now), [0, 0, 0], 'nothing is due yet');
      // A day later (the session's default life) every one of them is due.
      offset = 25 * 3_600_000;
      const later = await read((t) => value(t, 'opencashier_checkout_sessions_to_expire') > 0);
      assert.deepEqual(due(later), [1, 1, 1], later);
    } finally {
      await g.stop();
    }
  });

  test('on PostgreSQL, the pool: its size, open and idle connections, queries waiting', { skip: postgresSkip ?? false }, async () => {
    const g = await startGateway({ store: 'postgres', env: { DATABASE_POOL_SIZE: '7' } });
    try {
      // Enough at once that the pool opens more than one connection.
      await Promise.all(Array.from({ length: 12 }, () => g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, confirm: false })));
      const t = await scrape(g.url);
      assert.equal(value(t, 'opencashier_db_pool_max'), 7);
      const open = value(t, 'opencashier_db_pool_open');
      assert.ok(open >= 2 && open <= 7, `open ${open}`);
      assert.ok(value(t, 'opencashier_db_pool_idle') <= open);
      assert.equal(value(t, 'opencashier_db_pool_waiting'), 0, 'nothing waits once the answers are in (the scrape does not count its own read)');
    } finally {
      await g.stop();
    }
  });
});

describe('who may read GET /metrics', () => {
  test('with METRICS_TOKEN: only with the token', async () => {
    const token = `mt_${randomToken(24)}`;
    const g = await startGateway({ store: 'pglite', env: { METRICS_TOKEN: token } });
    try {
      const none = await fetch(`${g.url}/metrics`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.equal((await fetch(`${g.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status, 401);
      assert.match(await scrape(g.url, { Authorization: `Bearer ${token}` }), /opencashier_http_requests_total/);
    } finally {
      await g.stop();
    }
  });

  test('listening on every interface (HOST=0.0.0.0) and no token: off, saying why', async () => {
    const g = await startGateway({ store: 'pglite', env: { HOST: '0.0.0.0' } });
    try {
      // Asked over loopback, the answer is still no: who may read depends on where the gateway listens.
      const res = await fetch(`${g.url.replace('0.0.0.0', '127.0.0.1')}/metrics`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /listens beyond loopback and METRICS_TOKEN is not set/);
    } finally {
      await g.stop();
    }
  });

  test('beyond loopback (here: behind a proxy) and no token: off, saying why', async () => {
    const g = await startGateway({ store: 'pglite', env: { BEHIND_PROXY: 'on' } });
    try {
      const res = await fetch(`${g.url}/metrics`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /METRICS_TOKEN/);
    } finally {
      await g.stop();
    }
  });
});

describe('GET /metrics with WORKERS=2 on PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  test('a scrape adds up both processes, whichever one answers', { skip: skip ?? false }, async () => {
    const schema = `t_${randomToken(10).toLowerCase()}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-metrics-'));
    const secret = 'sk_test_MetricsClusterKey000001';
    const gw = await spawnGateway({
      WORKERS: '2', DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'warn',
      OPENCASHIER_TEST_SECRET_KEY: secret, RATE_LIMIT_PER_SECOND: '0',
    });
    try {
      const N = 40;
      // New connections each time, so both processes take some.
      for (let i = 0; i < N; i++) {
        const res = await fetch(`${gw.url}/v1/customers_not_a_route_${i % 2}`, { headers: { Authorization: `Bearer ${secret}`, Connection: 'close' } });
        await res.arrayBuffer();
      }
      // Each scrape is a new connection too, so the scrapes reach both processes.
      for (let i = 0; i < 6; i++) {
        const t = await scrape(gw.url, { Connection: 'close' });
        assert.equal(value(t, 'opencashier_http_requests_total', { route: '(no route)', status: '404' }), N, t);
      }
    } finally {
      await gw.stop('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema);
    }
  });
});
