/**
 * At-least-once webhook delivery across a crash: the gateway is killed with SIGKILL while its
 * sends are in flight (the receiver holds them open), restarted on the same data, and every event
 * still reaches the receiver, the interrupted ones included, with every delivery ending succeeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { dropSchema, eventually, stores, TEST_DATABASE_URL } from './helpers/gateway.js';
import { spawnGateway, startReceiver } from './helpers/processes.js';
import { randomToken } from '../src/core/ids.js';

const SECRET = 'sk_test_DeliveryRestartKey0000001';
const PAYMENTS = 15;

async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${SECRET}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Every object of a v1 list, paging with starting_after. */
async function all<T extends { id: string }>(base: string, path: string): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api<{ data: T[]; has_more: boolean }>(base, 'GET', `${path}${sep}limit=100${after ? `&starting_after=${after}` : ''}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    out.push(...page.body.data);
    const last = page.body.data[page.body.data.length - 1];
    if (!page.body.has_more || !last) return out;
    after = last.id;
  }
}

interface Delivery {
  id: string;
  event: string;
  webhook_endpoint: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt_count: number;
  attempts: { http_status: number | null; error: string | null }[];
}

for (const { kind, skip } of await stores()) {
  test(`${kind}: webhooks in flight when the gateway is SIGKILLed are delivered after the restart, every event at least once`, { skip, timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-restart-'));
    const schema = kind === 'postgres' ? `t_${randomToken(10).toLowerCase()}` : undefined;
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      OPENCASHIER_TEST_SECRET_KEY: SECRET,
      WEBHOOK_TIMEOUT_MS: '1500',
      WORKER_INTERVAL_MS: '100',
      WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1000,1000,1000,1000,1000',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '0',
      ...(schema ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    };
    // Phase 1: take each request and never answer it.
    const rcv = await startReceiver(() => 'hold');
    const gateways: { stop(signal?: NodeJS.Signals): Promise<number | null> }[] = [];
    try {
      const first = await spawnGateway(env);
      gateways.push(first);
      const endpoint = await api(first.url, 'POST', '/v1/webhook_endpoints', { url: rcv.url, enabled_events: ['*'] });
      assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));
      const whsec = endpoint.body.secret as string;
      for (let i = 0; i < PAYMENTS; i++) {
        const pi = await api(first.url, 'POST', '/v1/payment_intents', { amount: 1000 + i, currency: 'CNY', payment_method_types: ['alipay'] });
        assert.equal(pi.status, 200, JSON.stringify(pi.body));
      }
      await eventually(async () => rcv.held().length >= 3, 10_000);
      // Taken just before the kill: the kill closes the held sockets, which the receiver forgets.
      const interrupted = new Set(rcv.held().map((r) => JSON.parse(r.body).id as string));
      assert.equal(await first.stop('SIGKILL'), null, 'killed, not exited');
      const phase1 = rcv.received.length;
      assert.ok(interrupted.size >= 3);

      // Phase 2: answer everything at once.
      rcv.policy = () => 200;
      const second = await spawnGateway(env);
      gateways.push(second);
      const events = await all<{ id: string; type: string }>(second.url, '/v1/events');
      assert.equal(events.filter((e) => e.type === 'payment_intent.created').length, PAYMENTS);
      const eventIds = new Set(events.map((e) => e.id));

      const okIds = () => new Set(rcv.received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body).id as string));
      const deliveries = await eventually(async () => {
        if (![...eventIds].every((id) => okIds().has(id))) return false;
        const ds = await all<Delivery>(second.url, '/v1/webhook_deliveries');
        return ds.length === eventIds.size && ds.every((d) => d.status === 'succeeded') ? ds : false;
      }, 40_000, 200);

      // Exactly one delivery per event to our endpoint, each ended by a 2xx attempt.
      assert.deepEqual(new Set(deliveries.map((d) => d.event)), eventIds);
      for (const d of deliveries) {
        assert.equal(d.webhook_endpoint, endpoint.body.id);
        assert.ok(d.attempts.some((a) => a.http_status === 200), `${d.id} has a 200 attempt: ${JSON.stringify(d.attempts)}`);
        assert.ok(d.attempt_count >= d.attempts.length);
      }
      // The sends cut off by the kill were made again by the restarted gateway.
      const phase2 = rcv.received.slice(phase1).map((r) => JSON.parse(r.body).id as string);
      for (const id of interrupted) assert.ok(phase2.includes(id), `${id}, in flight at the kill, was delivered again`);
      // At least once: whatever arrived twice is one of our events, never something else.
      const stripe = new Stripe('sk_test_x');
      for (const r of rcv.received) {
        const ev = stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, whsec);
        assert.ok(eventIds.has(ev.id), `${ev.id} is an event of the gateway`);
      }
      const counts = new Map<string, number>();
      for (const r of rcv.received) counts.set(JSON.parse(r.body).id, (counts.get(JSON.parse(r.body).id) ?? 0) + 1);
      const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      assert.ok(duplicates.every((id) => eventIds.has(id)));
      assert.ok([...interrupted].every((id) => duplicates.includes(id)), 'the interrupted sends arrived twice (held, then answered)');
    } finally {
      for (const g of gateways) await g.stop('SIGTERM');
      await rcv.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    }
  });
}
