/**
 * The business profile (issue 13): an account whose business is on Alipay's prohibited list
 * (src/core/catalog/prohibited-businesses.ts) has every Alipay and Alipay+ payment refused, by
 * every door, before anything reaches Antom and with nothing stored; an allowed one pays. Set from
 * the CLI and the dashboard; the start banner warns.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { signIn } from '../helpers/dashboard.js';
import { runCli, serveCli as serve, stopProcess as stop } from '../helpers/processes.js';
import { seedTrustPayments, tp } from '../helpers/webservices.js';
import { SEED_004_AUTH } from '../helpers/seeds.js';
import { setBusinessProfile } from '../../src/store/accounts.js';
import { PROHIBITED_BUSINESSES, prohibitedBusiness } from '../../src/core/catalog/prohibited-businesses.js';

const PAY = { amount: 20, currency: 'CNY', confirm: true, payment_method_data: { type: 'alipay' }, return_url: 'https://example.com/done' };

async function counts(g: TestGateway): Promise<Record<string, number>> {
  await g.gateway.upstreamCalls.flush();
  const out: Record<string, number> = {};
  for (const t of ['payment_intents', 'payment_attempts', 'payment_methods', 'charges', 'events', 'tp_transactions', 'sim_payments', 'upstream_calls']) {
    const [row] = await g.gateway.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = row!.n;
  }
  return out;
}

const setProfile = (g: TestGateway, change: { mcc?: string | null; category?: string | null }) =>
  setBusinessProfile(g.gateway.db, g.gateway.account.accountId, change);

test('the prohibited list is data with codes and names that the rule finds, and leaves ordinary businesses alone', () => {
  assert.ok(PROHIBITED_BUSINESSES.length >= 40);
  assert.equal(new Set(PROHIBITED_BUSINESSES.map((b) => b.id)).size, PROHIBITED_BUSINESSES.length, 'ids are unique');
  assert.equal(prohibitedBusiness({ mcc: '7995', category: null })?.entry.id, 'gambling');
  assert.equal(prohibitedBusiness({ mcc: null, category: '  Online_Tobacco ' })?.entry.id, 'online_tobacco');
  assert.equal(prohibitedBusiness({ mcc: null, category: 'Pawn services' })?.entry.id, 'pawn');
  assert.equal(prohibitedBusiness({ mcc: '5411', category: 'Grocery' }), undefined);
  assert.equal(prohibitedBusiness({ mcc: null, category: null }), undefined);
});

for (const { kind, skip } of await stores()) {
  describe(`business profile [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
      await seedTrustPayments(g);
    });
    after(async () => g?.stop());

    test('a prohibited MCC refuses a v1 create-and-confirm with business_category_prohibited, saying why and how to fix it, and stores nothing', async () => {
      await setProfile(g, { mcc: '7995', category: null });
      const before = await counts(g);
      const res = await g.api('POST', '/v1/payment_intents', PAY, { idempotencyKey: `biz-${kind}-1` });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.equal(res.body.error.code, 'business_category_prohibited');
      assert.match(res.body.error.message, /MCC 7995/);
      assert.match(res.body.error.message, /prohibited/);
      assert.match(res.body.error.message, /Gambling/);
      assert.match(res.body.error.message, /opencashier business set/);
      assert.match(res.body.error.doc_url ?? '', /\/docs\/errors#business_category_prohibited$/);
      assert.deepEqual(await counts(g), before, 'nothing stored, nothing sent to Antom');
    });

    test('a PaymentIntent made before is refused at confirm and stays as it was, with no attempt', async () => {
      await setProfile(g, { mcc: null, category: null });
      const made = await g.api('POST', '/v1/payment_intents', { amount: 20, currency: 'CNY', payment_method_types: ['alipayplus'] });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      await setProfile(g, { category: 'Lottery' });
      const before = await counts(g);
      const res = await g.api('POST', `/v1/payment_intents/${made.body.id}/confirm`, { payment_method_data: { type: 'alipayplus' }, return_url: 'https://example.com/done' });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'business_category_prohibited');
      assert.match(res.body.error.message, /category "Lottery"/);
      assert.deepEqual(await counts(g), before);
      const pi = await g.api('GET', `/v1/payment_intents/${made.body.id}`);
      assert.equal(pi.body.status, 'requires_payment_method');
      assert.equal(pi.body.payment_method, null);
    });

    test('the hosted checkout refuses to start the payment, with the reason, and starts no attempt', async () => {
      await setProfile(g, { mcc: null, category: null });
      const cs = await g.api('POST', '/v1/checkout/sessions', {
        mode: 'payment', success_url: 'https://example.com/ok', payment_method_types: ['alipay'],
        line_items: [{ price_data: { currency: 'cny', unit_amount: 500, product_data: { name: 'Tea' } }, quantity: 1 }],
      });
      assert.equal(cs.status, 200, JSON.stringify(cs.body));
      await setProfile(g, { mcc: '5933' });
      const before = await counts(g);
      const res = await fetch(`${g.url}/pay/${cs.body.id}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ method: 'alipay' }),
      });
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: string }).error, /MCC 5933.*prohibited/);
      assert.deepEqual(await counts(g), before);
    });

    test('a Trust Payments AUTH is refused with 30000 on paymenttypedescription and the reason, and records no transaction', async () => {
      await setProfile(g, { mcc: null, category: 'gambling' });
      const before = await counts(g);
      const r = await tp(g, SEED_004_AUTH);
      assert.equal(r.errorcode, '30000', JSON.stringify(r));
      assert.ok(r.errordata.includes('paymenttypedescription'), JSON.stringify(r));
      assert.match(JSON.stringify(r.errordata), /prohibited/);
      assert.deepEqual(await counts(g), before);
    });

    test('an allowed business pays through v1 and Trust Payments', async () => {
      await setProfile(g, { mcc: '5411', category: 'Grocery' });
      const res = await g.api('POST', '/v1/payment_intents', PAY);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'requires_action');
      const r = await tp(g, SEED_004_AUTH);
      assert.equal(r.errorcode, '0', JSON.stringify(r));
    });

    test('the dashboard shows the profile and its form changes it (with the CSRF token), warns when prohibited, and refuses a bad MCC', async () => {
      await setProfile(g, { mcc: null, category: null });
      const d = await signIn(g.url, g.secretKey);
      const page = await d.get('/dashboard/developers');
      assert.equal(page.status, 200);
      assert.match(page.text, /Business profile/);
      assert.match(page.text, /action="\/dashboard\/developers\/business"/);

      const forged = await d.post('/dashboard/developers/business', { mcc: '7995', category: '' }, { csrf: 'forged' });
      assert.equal(forged.status, 403);
      assert.equal((await g.api('POST', '/v1/payment_intents', PAY)).status, 200, 'a forged form changes nothing');

      const bad = await d.post('/dashboard/developers/business', { mcc: '79x5', category: 'Casino' });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /not a merchant category code/);
      assert.match(bad.text, /aria-invalid="true"/);

      const saved = await d.post('/dashboard/developers/business', { mcc: '7995', category: 'Casino' });
      assert.equal(saved.status, 200);
      assert.match(saved.text, /Alipay and Alipay\+ payments are refused/);
      assert.match(saved.text, /value="7995"/);
      const refused = await g.api('POST', '/v1/payment_intents', PAY);
      assert.equal(refused.body.error?.code, 'business_category_prohibited');

      const fixed = await d.post('/dashboard/developers/business', { mcc: '5411', category: 'Grocery' });
      assert.equal(fixed.status, 200);
      assert.match(fixed.text, /Business profile saved/);
      assert.doesNotMatch(fixed.text, /payments are refused/);
      assert.equal((await g.api('POST', '/v1/payment_intents', PAY)).status, 200);
    });
  });
}

// --- The CLI and the start banner, as a merchant runs them -----------------------------------

test('the CLI shows and sets the business profile, refuses a bad MCC, and the start banner warns while it is prohibited', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-business-'));
  const env = { DATA_DIR: dataDir };
  try {
    const empty = await runCli(['business'], env);
    assert.equal(empty.code, 0, empty.err);
    assert.match(empty.out, /Business: not set/);

    const bad = await runCli(['business', 'set', '--mcc', '12345'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not a merchant category code/);

    const none = await runCli(['business', 'set'], env);
    assert.equal(none.code, 2);
    assert.match(none.err, /--mcc, --category, or both/);

    const set = await runCli(['business', 'set', '--mcc', '7995', '--category', 'Casino'], env);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /MCC 7995, category "Casino"/);
    assert.match(set.out, /WARNING: .*prohibited/);

    const shown = await runCli(['business'], env);
    assert.match(shown.out, /Business: MCC 7995, category "Casino"/);

    const listed = await runCli(['business', 'list-prohibited'], env);
    assert.equal(listed.code, 0);
    assert.match(listed.out, /gambling\s+MCC 7995/);
    assert.match(listed.out, /global\.alipay\.com/);

    const warned = await serve(env);
    await stop(warned.proc);
    assert.match(warned.out, /Business\s+MCC 7995, category "Casino"/);
    assert.match(warned.out, /WARNING: This account's business .*prohibited/);

    const fixed = await runCli(['business', 'set', '--mcc', '5411', '--category', ''], env);
    assert.equal(fixed.code, 0, fixed.err);
    assert.match(fixed.out, /Business: MCC 5411\n/);
    assert.match(fixed.out, /may be used/);

    const calm = await serve(env);
    await stop(calm.proc);
    assert.match(calm.out, /Business\s+MCC 5411/);
    assert.doesNotMatch(calm.out, /WARNING/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
