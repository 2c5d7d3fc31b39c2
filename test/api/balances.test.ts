/**
 * Balances in the settlement currency: every charge, refund, dispute withdrawal and reinstatement
 * writes a balance transaction, converted at the simulator's quote (its fixed test rates), with the
 * configured fees; the balance is their sum, pending until the delay has passed, then available.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB, SEED_003_ALIPAYPLUS, SEED_004_AUTH } from '../helpers/seeds.js';
import { testRate } from '../../src/simulator/rates.js';
import { convert, percentOf } from '../../src/core/balances/amounts.js';
import { REPORT_COLUMNS } from '../../src/core/balances/report.js';
import { seedTrustPayments, tp } from '../helpers/webservices.js';
import { spawnCli } from '../helpers/processes.js';
import { simulator } from '../helpers/payments.js';
import { rmSync } from 'node:fs';

const DELAY_S = 60;
const FEES = 'alipay=2.9%+30,GCASH=1.5%';
/** The fee the schedule above takes from a settled amount, computed here the long way. */
const feeFor = (method: 'alipay' | 'alipayplus', settled: number) => Math.min(settled, method === 'alipay' ? percentOf(settled, '2.9') + 30 : percentOf(settled, '1.5'));

interface Txn { id: string; amount: number; fee: number; net: number; currency: string; status: string; type: string; reporting_category: string; source: string; exchange_rate: number | null; fee_details: { amount: number; type: string }[] }

/** A PaymentIntent paid in the simulator (alipay in CNY, or Alipay+ GCash in PHP), once succeeded. */
async function paid(g: TestGateway, method: 'alipay' | 'alipayplus', amount: number, metadata: Record<string, string> = {}) {
  const body = method === 'alipay'
    ? { ...SEED_000_WEB, amount, currency: 'CNY', description: `order of ${amount}`, metadata }
    : { ...SEED_003_ALIPAYPLUS, amount, currency: 'PHP', description: `order of ${amount}`, metadata };
  const pi = (await g.api('POST', '/v1/payment_intents', body)).body;
  assert.ok(pi.next_action, JSON.stringify(pi));
  const done = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded', method === 'alipayplus' ? { wallet: 'GCASH' } : {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
  return eventually(async () => {
    const p = (await g.api('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge`)).body;
    return p.status === 'succeeded' && p.latest_charge?.balance_transaction ? p : undefined;
  });
}

async function allTxns(g: TestGateway, query = ''): Promise<Txn[]> {
  const out: Txn[] = [];
  let after: string | undefined;
  for (;;) {
    const page = (await g.api('GET', `/v1/balance_transactions?limit=100${query}${after ? `&starting_after=${after}` : ''}`)).body;
    assert.equal(page.object, 'list', JSON.stringify(page));
    out.push(...page.data);
    if (!page.has_more) return out;
    after = page.data.at(-1).id;
  }
}

/** The invariant: GET /v1/balance is, per currency and status, the sum of the transactions' net. */
async function checkBalanceIsTheSum(g: TestGateway) {
  const txns = await allTxns(g);
  const balance = (await g.api('GET', '/v1/balance')).body;
  assert.equal(balance.object, 'balance');
  for (const status of ['available', 'pending'] as const) {
    const want = new Map<string, number>();
    for (const t of txns) if (t.status === status) want.set(t.currency, (want.get(t.currency) ?? 0) + t.net);
    const got = new Map<string, number>((balance[status] as { currency: string; amount: number }[]).map((l) => [l.currency, l.amount]));
    for (const [c, a] of want) assert.equal(got.get(c), a, `${status} ${c}`);
    for (const [c, a] of got) assert.equal(a, want.get(c) ?? 0, `${status} ${c} has nothing to sum`);
  }
  return txns;
}

for (const { kind, skip } of await stores()) {
  describe(`balances [${kind}]`, { skip }, () => {
    let g: TestGateway & { dataDir: string; schema?: string };
    let stopped = false;
    let offset = 0;
    /** Moves the gateway's (and its simulator's) clock on, so a delay passes without waiting for it. */
    const advance = (ms: number) => { offset += ms; };
    before(async () => {
      g = await startGateway({
        store: kind, clock: { now: () => Date.now() + offset },
        env: { OPENCASHIER_FEES: FEES, OPENCASHIER_AVAILABLE_DELAY_SECONDS: String(DELAY_S) },
      });
    });
    after(async () => {
      if (!stopped) await g?.stop();
    });

    test('a charge settles at the quote\'s rate less the scheduled fee; refunds and a dispute are converted at the charge\'s rate; each is expandable', async () => {
      const pi = await paid(g, 'alipay', 1000, { order_id: 'ORD-1' });
      const ch = pi.latest_charge;
      const rate = testRate('CNY', 'USD')!;
      const settled = convert(1000, 'CNY', 'USD', rate);
      const txn = (await g.api('GET', `/v1/balance_transactions/${ch.balance_transaction}?expand[]=source`)).body as Txn & { source: any; available_on: number; created: number };
      assert.equal(txn.type, 'charge');
      assert.equal(txn.reporting_category, 'charge');
      assert.equal(txn.currency, 'USD');
      assert.equal(txn.amount, settled);
      assert.equal(txn.exchange_rate, Number(rate));
      assert.equal(txn.fee, feeFor('alipay', settled));
      assert.deepEqual(txn.fee_details.map((f) => [f.amount, f.type]), [[txn.fee, 'stripe_fee']]);
      assert.equal(txn.net, settled - txn.fee);
      assert.equal(txn.status, 'pending');
      assert.equal(txn.available_on - txn.created, DELAY_S * 1000);
      assert.equal(txn.source.id, ch.id);
      const events = (await g.api('GET', `/v1/events?type=charge.succeeded&limit=100`)).body.data;
      assert.equal(events.find((e: any) => e.data.object.id === ch.id).data.object.balance_transaction, txn.id, 'the charge.succeeded event, written with it, names it');
      const expanded = (await g.api('GET', `/v1/charges/${ch.id}?expand[]=balance_transaction`)).body;
      assert.equal(expanded.balance_transaction.id, txn.id);

      const r1 = (await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 333 })).body;
      const r2 = (await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 667 })).body;
      const refunds = await eventually(async () => {
        const rs = await Promise.all([r1, r2].map(async (r) => (await g.api('GET', `/v1/refunds/${r.id}?expand[]=balance_transaction`)).body));
        return rs.every((r) => r.status === 'succeeded' && r.balance_transaction) ? rs : undefined;
      });
      for (const r of refunds) {
        assert.equal(r.balance_transaction.type, 'refund');
        assert.equal(r.balance_transaction.source, r.id);
        assert.equal(r.balance_transaction.fee, 0);
      }
      assert.equal(refunds[0].balance_transaction.amount, -convert(333, 'CNY', 'USD', rate));
      assert.equal(refunds[0].balance_transaction.amount + refunds[1].balance_transaction.amount, -settled, 'refunds of the whole charge give back exactly what it settled');

      const other = await paid(g, 'alipayplus', 30_000);
      const gcash = (await g.api('GET', `/v1/balance_transactions/${other.latest_charge.balance_transaction}`)).body as Txn;
      const php = convert(30_000, 'PHP', 'USD', testRate('PHP', 'USD')!);
      assert.equal(gcash.amount, php);
      assert.equal(gcash.fee, feeFor('alipayplus', php), 'the wallet\'s own rule');
      const opened = await simulator(g, 'disputes', { payment_intent: other.id, amount: 10_000 });
      assert.equal(opened.status, 200, JSON.stringify(opened.body));
      const withdrawn = await eventually(async () => {
        const d = (await g.api('GET', `/v1/disputes?payment_intent=${other.id}`)).body.data[0];
        return d?.balance_transactions?.length === 1 ? d : undefined;
      });
      assert.equal(withdrawn.balance_transactions[0].amount, -convert(10_000, 'PHP', 'USD', testRate('PHP', 'USD')!));
      assert.equal(withdrawn.balance_transactions[0].reporting_category, 'dispute');
      assert.equal((await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: 'ACCEPT_BY_CUSTOMER' })).status, 200);
      const won = await eventually(async () => {
        const d = (await g.api('GET', `/v1/disputes/${withdrawn.id}`)).body;
        return d.status === 'won' && d.balance_transactions.length === 2 ? d : undefined;
      });
      assert.equal(won.balance_transactions[1].reporting_category, 'dispute_reversal');
      assert.equal(won.balance_transactions[1].amount, -won.balance_transactions[0].amount);
      const listed = await allTxns(g, `&source=${withdrawn.id}`);
      assert.equal(listed.length, 2);
      assert.ok((await allTxns(g, '&type=refund')).length >= 2);
      assert.ok((await allTxns(g, '&type=refund')).every((t) => t.type === 'refund'));
      assert.equal((await g.api('GET', '/v1/balance_transactions/txn_nope')).status, 404);
      assert.equal((await g.api('GET', '/v1/balance_transactions?type=payout')).status, 400);
    });

    test('after a random mix of payments, partial refunds and disputes, the balance is the sum of its transactions, pending and then available', async () => {
      const op = fc.record({
        method: fc.constantFrom('alipay' as const, 'alipayplus' as const),
        units: fc.integer({ min: 1, max: 400 }),
        refunds: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 2 }),
        dispute: fc.constantFrom('none', 'won', 'lost', 'open'),
      });
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 4 }), async (ops) => {
        const expected: { charge: string; settled: number }[] = [];
        for (const o of ops) {
          const amount = o.method === 'alipay' ? o.units * 7 : o.units * 100 + 100;
          const pi = await paid(g, o.method, amount);
          const currency = o.method === 'alipay' ? 'CNY' : 'PHP';
          expected.push({ charge: pi.latest_charge.id, settled: convert(amount, currency, 'USD', testRate(currency, 'USD')!) });
          let left = amount;
          for (const share of o.refunds) {
            const part = Math.max(1, Math.floor((amount * share) / 100));
            if (part > left) break;
            const r = (await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: part })).body;
            assert.equal(r.object, 'refund', JSON.stringify(r));
            await eventually(async () => (await g.api('GET', `/v1/refunds/${r.id}`)).body.status === 'succeeded');
            left -= part;
          }
          if (o.dispute !== 'none' && left > 0) {
            const opened = await simulator(g, 'disputes', { payment_intent: pi.id, amount: left });
            assert.equal(opened.status, 200, JSON.stringify(opened.body));
            await eventually(async () => (await allTxns(g, `&source=${(await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data[0]?.id ?? 'none'}`)).length === 1);
            if (o.dispute !== 'open') {
              await simulator(g, `disputes/${opened.body.dispute_id}/judge`, { result: o.dispute === 'won' ? 'ACCEPT_BY_CUSTOMER' : 'ACCEPT_BY_MERCHANT' });
              await eventually(async () => (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data[0]?.status === o.dispute);
            }
          }
        }
        const txns = await checkBalanceIsTheSum(g);
        for (const e of expected) {
          const t = txns.find((x) => x.source === e.charge);
          assert.ok(t, `the charge ${e.charge} has its transaction`);
          assert.equal(t.amount, e.settled, 'the charge settles at the quote');
          assert.equal(t.status, 'pending');
        }
        advance(DELAY_S * 1000 + 1000);
        await eventually(async () => (await allTxns(g)).every((t) => t.status === 'available'));
        // The availability job then folds them into the running totals (migration 0022); the balance is read from those.
        await eventually(async () => (await g.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM balance_transactions WHERE NOT folded'))[0]!.n === '0');
        const after = await checkBalanceIsTheSum(g);
        assert.ok(after.every((t) => t.status === 'available'));
        const balance = (await g.api('GET', '/v1/balance')).body;
        assert.ok(balance.pending.every((l: { amount: number }) => l.amount === 0));
      }), { numRuns: 3 });
    });

    test('the official stripe SDK reads the balance and its transactions', async () => {
      const port = Number(new URL(g.url).port);
      const stripe = new Stripe(g.secretKey, { host: '127.0.0.1', port, protocol: 'http', telemetry: false });
      const balance = await stripe.balance.retrieve();
      assert.equal(balance.object, 'balance');
      assert.equal(balance.available[0]!.currency, 'usd');
      const list = await stripe.balanceTransactions.list({ type: 'charge', limit: 3 });
      assert.ok(list.data.length > 0);
      assert.ok(list.data.every((t) => t.type === 'charge' && t.currency === 'usd' && t.created < 1e11 && t.available_on < 1e11));
      const one = await stripe.balanceTransactions.retrieve(list.data[0]!.id, { expand: ['source'] });
      assert.equal(one.id, list.data[0]!.id);
      assert.equal((one.source as Stripe.Charge).object, 'charge');
    });

    test('a Trust Payments AUTH is the same charge underneath; the settlement report lists every transaction with its payment\'s references, through the API and the CLI', async () => {
      await seedTrustPayments(g);
      const auth = await tp(g, SEED_004_AUTH);
      assert.equal(auth.errorcode, '0', JSON.stringify(auth));
      assert.equal((await g.complete(auth.redirecturl, 'succeeded')).status, 200);
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      const pi = await eventually(async () => {
        const p = (await g.api('GET', `/v1/payment_intents/${row!.payment_intent_id}`)).body;
        const ch = p.latest_charge && (await g.api('GET', `/v1/charges/${p.latest_charge}?expand[]=balance_transaction`)).body;
        return ch?.balance_transaction ? { ...p, latest_charge: ch } : undefined;
      });
      const eur = convert(Number(SEED_004_AUTH.baseamount), 'EUR', 'USD', testRate('EUR', 'USD')!);
      assert.equal(pi.latest_charge.balance_transaction.amount, eur, 'an AUTH in EUR settles in USD at the quote');

      // From yesterday: the earlier tests' transactions may be from before midnight (CI's Node 22
      // run crossed it once, and the report of today alone left out ORD-1's).
      const today = new Date(Date.now() + offset).toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() + offset - 86_400_000).toISOString().slice(0, 10);
      const tomorrow = new Date(Date.now() + offset + 86_400_000).toISOString().slice(0, 10);
      const res = await fetch(`${g.url}/v1/reports/settlement?from=${yesterday}&to=${tomorrow}`, { headers: { Authorization: `Bearer ${g.secretKey}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/csv/);
      const csv = await res.text();
      const lines = csv.trimEnd().split('\r\n');
      assert.equal(lines[0], REPORT_COLUMNS.join(','));
      assert.equal(lines.length - 1, (await allTxns(g)).length, 'one line per balance transaction');
      const tpLine = lines.find((l) => l.startsWith(pi.latest_charge.balance_transaction.id))!;
      assert.ok(tpLine.includes(`,${pi.id},`) && tpLine.includes(',My_Order_123,'), tpLine);
      assert.ok(tpLine.includes(`,${(eur / 100).toFixed(2)},`), tpLine);
      const v1Line = lines.find((l) => l.includes(',ORD-1,'))!;
      assert.ok(v1Line.includes(',order of 1000,'), 'the payment\'s description');
      assert.equal((await g.api('GET', '/v1/reports/settlement?from=2026-02-01&to=2026-01-01')).status, 400);
      assert.equal((await g.api('GET', '/v1/reports/settlement?from=yesterday&to=2026-01-01')).body.error.param, 'from');

      // The CLI prints the same report. PGlite takes one process: the gateway stops first (it is the last test).
      const env: Record<string, string> = { LOG_LEVEL: 'silent', OPENCASHIER_TEST_SECRET_KEY: g.secretKey, DATA_DIR: g.dataDir };
      if (kind === 'postgres') Object.assign(env, { DATABASE_URL: g.env.DATABASE_URL!, DATABASE_SCHEMA: g.schema! });
      else {
        await g.stop({ keepData: true });
        stopped = true;
      }
      try {
        const run = spawnCli(['report', 'settlement', '--from', yesterday, '--to', tomorrow], env);
        assert.equal(await run.exited, 0, run.output());
        assert.equal(run.output(), csv);
        const bad = spawnCli(['report', 'settlement', '--from', tomorrow, '--to', today], env);
        assert.equal(await bad.exited, 2);
        assert.match(bad.output(), /--from before --to/);
      } finally {
        if (stopped) rmSync(g.dataDir, { recursive: true, force: true });
      }
    });
  });
}
