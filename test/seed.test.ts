/**
 * `opencashier seed` as a merchant runs it: a real process on a fresh store, then a gateway on
 * that store read through the v1 API. A second run with the same --seed adds the same story again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, startGateway, stores, TEST_DATABASE_URL, type StoreKind, type TestGateway } from './helpers/gateway.js';
import { randomToken } from '../src/core/ids.js';

const cli = new URL('../src/cli.js', import.meta.url).pathname;
const DAY = 86_400_000;

type Obj = Record<string, any>;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += String(d)));
    p.stderr!.on('data', (d) => (err += String(d)));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function all(g: TestGateway, path: string, query = ''): Promise<Obj[]> {
  const out: Obj[] = [];
  let after = '';
  for (;;) {
    const res = await g.api('GET', `${path}?limit=100${query}${after ? `&starting_after=${after}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    out.push(...res.body.data);
    if (!res.body.has_more) return out;
    after = res.body.data[res.body.data.length - 1].id;
  }
}

const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

for (const { kind, skip } of await stores()) {
  describe(`opencashier seed [${kind}]`, { skip }, () => {
    test('a month of payments, refunds, webhook deliveries and Trust Payments AUTHs, made through the API; the same --seed again adds the same story', { timeout: 240_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-seed-'));
      const schema = kind === 'postgres' ? `t_${randomToken(10).toLowerCase()}` : undefined;
      const env: Record<string, string> = {
        DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn',
        // Whatever the caller's shell has: this store only.
        DATABASE_URL: kind === 'postgres' ? TEST_DATABASE_URL : '', DATABASE_SCHEMA: schema ?? '', OPENCASHIER_TEST_SECRET_KEY: '',
      };
      // No background work: the data is read as the seed left it (the helper's one-step poll schedule would close open payments at once).
      const reopen = () => startGateway({ store: kind as StoreKind, reuse: { dataDir, schema }, workers: false });
      try {
        const first = await runCli(['seed', '--payments', '30', '--seed', '7'], env);
        assert.equal(first.code, 0, first.out + first.err);
        assert.match(first.out, /Seeding 30 days of test payments… 30\/30/);
        assert.match(first.out, /Open the gateway's \/dashboard after npm start\./);
        assert.match(first.out, /The store was empty: a test account was created/);

        let g = await reopen();
        let firstCounts: Record<string, number>;
        let firstIds: Set<string>;
        try {
          const now = Date.now();
          const pis = await all(g, '/v1/payment_intents', '&expand[]=data.latest_charge');
          firstCounts = countBy(pis.map((p) => p.status));
          firstIds = new Set(pis.map((p) => p.id));
          assert.ok(pis.length >= 30, `${pis.length} payments`);
          const currencies = new Set(pis.map((p) => p.currency));
          assert.ok(currencies.size >= 3, `currencies: ${[...currencies]}`);
          const wallets = new Set(pis.filter((p) => p.status === 'succeeded').map((p) => {
            const d = p.latest_charge.payment_method_details;
            return d.type === 'alipay' ? 'ALIPAY_CN' : d.alipayplus.wallet;
          }));
          assert.ok(wallets.size >= 3, `wallets: ${[...wallets]}`);
          for (const p of pis) assert.ok(p.created >= now - 30 * DAY - 60_000 && p.created <= now, `${p.id} created ${new Date(p.created).toISOString()}`);
          const days = new Set(pis.map((p) => new Date(p.created).toISOString().slice(0, 10)));
          assert.ok(days.size >= 20, `${days.size} distinct days`);
          for (const status of ['succeeded', 'canceled', 'requires_action']) assert.ok(firstCounts[status], `a ${status} payment: ${JSON.stringify(firstCounts)}`);
          assert.ok(pis.some((p) => p.status === 'requires_payment_method' && p.last_payment_error?.message), 'a failed payment with its last_payment_error');
          assert.ok(pis.some((p) => p.metadata.order_id?.startsWith('ORD-') && p.metadata.customer), 'order ids and customers to search for');

          const amountOf = new Map(pis.map((p) => [p.id, p.amount as number]));
          const refunds = await all(g, '/v1/refunds');
          assert.ok(refunds.some((r) => r.status === 'succeeded' && r.amount === amountOf.get(r.payment_intent)), 'a full refund');
          assert.ok(refunds.some((r) => r.status === 'succeeded' && r.amount < amountOf.get(r.payment_intent)!), 'a partial refund');
          const refundsPer = countBy(refunds.map((r) => r.payment_intent));
          assert.ok(Object.values(refundsPer).some((n) => n > 1), 'a payment refunded in several parts');

          const endpoints = await all(g, '/v1/webhook_endpoints');
          assert.equal(endpoints.length, 2);
          const events = await all(g, '/v1/events');
          const eventIds = new Set(events.map((e) => e.id));
          const deliveries = await all(g, '/v1/webhook_deliveries');
          assert.ok(deliveries.length > 0 && deliveries.every((d) => eventIds.has(d.event)), 'every delivery is of a listed event');
          const attempts = deliveries.flatMap((d) => d.attempts as Obj[]);
          assert.ok(attempts.some((a) => a.http_status >= 200 && a.http_status < 300), 'a delivered attempt');
          assert.ok(attempts.some((a) => a.http_status === 500), 'an attempt the receiver answered 500');
          assert.ok(attempts.some((a) => a.http_status === null && a.error), 'an attempt that reached nothing');
          assert.ok(events.some((e) => e.type === 'webhook_endpoint.disabled'), 'the unreachable endpoint was disabled after three days of failures');
          for (const e of events) assert.ok(e.created <= now, 'no event in the future');

          const auths = await g.gateway.db.query<{ settle_status: number }>("SELECT settle_status FROM tp_transactions WHERE request_type = 'AUTH'");
          assert.ok(auths.length >= 1, 'a Trust Payments AUTH');
          assert.ok(auths.some((a) => a.settle_status === 100), 'a settled AUTH');
          const [tpRefund] = await g.gateway.db.query("SELECT 1 FROM tp_transactions WHERE request_type = 'REFUND'");
          assert.ok(tpRefund, 'a Trust Payments REFUND');
          const notifications = await g.gateway.db.query<{ verdict: string }>('SELECT verdict FROM upstream_notifications');
          assert.ok(notifications.length > 0 && notifications.every((n) => n.verdict !== 'refused'), 'no notification of the moved clock was refused as a replay');

          // The embedded database takes one process: the seed says to stop the gateway first.
          if (kind === 'pglite') {
            const busy = await runCli(['seed', '--payments', '20'], env);
            assert.equal(busy.code, 2, busy.out + busy.err);
            assert.match(busy.err, /Stop the gateway first/);
          }
        } finally {
          await g.stop({ keepData: true });
        }

        // The account's key is now the helper's: the seed does not know it and must not change it.
        const second = await runCli(['seed', '--payments', '30', '--seed', '7'], env);
        assert.equal(second.code, 0, second.out + second.err);
        assert.match(second.out, /used a key of its own, now revoked/);
        g = await reopen();
        try {
          // Compared with the second run's own: the first run's open payments may have been closed meanwhile, as a wallet closes them.
          const added = (await all(g, '/v1/payment_intents')).filter((p) => !firstIds.has(p.id));
          assert.deepEqual(countBy(added.map((p) => p.status)), firstCounts, 'the same story again');
          const keys = await g.gateway.db.query<{ revoked: number | null }>("SELECT revoked FROM api_keys WHERE kind = 'secret' AND NOT livemode");
          assert.equal(keys.filter((k) => k.revoked === null).length, 1, 'only the account\'s own secret key is active');
        } finally {
          await g.stop({ keepData: true });
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        if (schema) await dropSchema(schema);
      }
    });
  });
}
