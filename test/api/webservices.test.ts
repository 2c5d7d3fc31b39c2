import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_004_AUTH, SEED_004_AUTH_REPLY_KEYS, SEED_004_AUTH_WAP, SEED_004_ENVELOPE, SEED_004_XML, SEED_004_XML_WAP } from '../helpers/seeds.js';
import { basicAuth, seedTrustPayments, tp, tpJson, tpRaw, TP_SITE, TP_USER } from '../helpers/webservices.js';

type Item = Record<string, any>;

async function record(g: TestGateway, reference: string): Promise<Item> {
  const r = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: reference }] } });
  assert.equal(r.errorcode, '0', JSON.stringify(r));
  return r.records[0];
}

async function settled(g: TestGateway, reference: string): Promise<Item> {
  return eventually(async () => {
    const r = await record(g, reference);
    return r.settlestatus === '100' ? r : undefined;
  });
}

/** An AUTH the shopper paid in the simulator's wallet, waited for until settled (100). */
async function paidAuth(g: TestGateway, extra: object = {}): Promise<Item> {
  const auth = await tp(g, { ...SEED_004_AUTH, ...extra });
  assert.equal(auth.errorcode, '0', JSON.stringify(auth));
  const done = await g.complete(auth.redirecturl, 'succeeded');
  assert.equal(done.status, 200, JSON.stringify(done.body));
  await settled(g, auth.transactionreference);
  return auth;
}

async function countRows(g: TestGateway) {
  const [pi] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents');
  const [tx] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tp_transactions');
  const [re] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refunds');
  return { payment_intents: pi!.n, tp_transactions: tx!.n, refunds: re!.n };
}

for (const { kind, skip } of await stores()) {
  describe(`Trust Payments /json/ [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind, env: { OPENCASHIER_TP_SETTLE_DELAY_SECONDS: '1' } });
      await seedTrustPayments(g);
    });
    after(async () => g?.stop());

    test('seed 004\'s JSON AUTH gets seed 004\'s reply: every field, settlestatus 10, a redirecturl to the wallet', async () => {
      const res = await tpRaw(g, '/json/', JSON.stringify(SEED_004_ENVELOPE));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(Object.keys(res.body).sort(), ['requestreference', 'response', 'secrand', 'version']);
      assert.equal(res.body.version, '1.00');
      assert.match(res.body.requestreference, /^W\d+-[0-9a-z]{8}$/);
      assert.match(res.body.secrand, /^[A-Za-z0-9]{3,16}$/);
      const item = res.body.response[0];
      for (const key of SEED_004_AUTH_REPLY_KEYS) assert.ok(key in item, `reply lacks ${key}: ${JSON.stringify(item)}`);
      for (const [k, v] of Object.entries(item)) if (k !== 'errordata') assert.equal(typeof v, 'string', k);
      assert.match(item.transactionreference, /^\d+-\d+-\d+$/);
      assert.equal(item.errorcode, '0');
      assert.equal(item.errormessage, 'Ok');
      assert.equal(item.settlestatus, '10');
      assert.equal(item.requesttypedescription, 'AUTH');
      assert.equal(item.paymenttypedescription, 'ALIPAY');
      assert.equal(item.accounttypedescription, 'ECOM');
      assert.equal(item.baseamount, '1050');
      assert.equal(item.currencyiso3a, 'EUR');
      assert.equal(item.orderreference, 'My_Order_123');
      assert.equal(item.merchantname, 'Test Merchant');
      assert.equal(item.operatorname, TP_USER);
      assert.equal(item.livestatus, '0');
      assert.match(item['partner id'], /^2088\d{12}$/);
      assert.match(item.settleduedate, /^\d{4}-\d{2}-\d{2}$/);
      assert.match(item.transactionstartedtimestamp, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.match(item.redirecturl, /^http:\/\/(localhost|127\.0\.0\.1):\d+\/simulator\/cashier/);
      // The redirecturl opens the simulator's cashier.
      const page = await fetch(item.redirecturl);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /10\.50|1050|EUR/);
    });

    test('the curl of seed 004 (alias other than the Basic user) and unknown keys are accepted; REQUESTREFERENCE is echoed', async () => {
      const body = { ...SEED_004_ENVELOPE, alias: 'mike@ws.com', request: [{ ...SEED_004_AUTH, field_that_wont_be_passed: 'x', datacenterurl: 'https://x' }] };
      const res = await tpRaw(g, '/json/', JSON.stringify(body), { requestreference: 'Aabc12345' });
      assert.equal(res.body.requestreference, 'Aabc12345');
      assert.equal(res.body.response[0].errorcode, '0');
    });

    test('the same AUTH is a PaymentIntent in /v1 with its events; paid in the wallet it is authorised, then settles to 100', async () => {
      const auth = await tp(g, SEED_004_AUTH_WAP);
      assert.equal(auth.errorcode, '0');
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      const pi = (await g.api('GET', `/v1/payment_intents/${row!.payment_intent_id}`)).body;
      assert.equal(pi.status, 'requires_action');
      assert.equal(pi.amount, 1050);
      assert.equal(pi.currency, 'EUR');
      assert.equal(pi.payment_method_options.alipay.terminal_type, 'WAP');
      assert.equal(pi.next_action.redirect_to_url.url, auth.redirecturl);
      // WAP: the redirecturl is the wallet's phone page, not the desktop cashier with its QR code.
      assert.match(auth.redirecturl, /\/simulator\/wallet\?/);
      assert.equal((await fetch(auth.redirecturl)).status, 200);
      assert.equal(pi.return_url, SEED_004_AUTH.returnurl);
      assert.equal(pi.metadata.tp_orderreference, 'My_Order_123');
      assert.equal((await g.complete(auth.redirecturl, 'succeeded')).status, 200);
      const paid = await eventually(async () => {
        const p = (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body;
        return p.status === 'succeeded' ? p : undefined;
      });
      assert.equal(paid.amount_received, 1050);
      // The wallet sends the shopper back through the gateway to the returnurl, with the transaction's outcome.
      const [sim] = await g.gateway.db.query<{ redirect_url: string }>('SELECT redirect_url FROM sim_payments WHERE reference_order_id = $1', [pi.id]);
      const back = new URL((await fetch(sim!.redirect_url, { redirect: 'manual' })).headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, SEED_004_AUTH.returnurl);
      assert.equal(back.searchParams.get('transactionreference'), auth.transactionreference);
      assert.equal(back.searchParams.get('errorcode'), '0');
      assert.equal(back.searchParams.get('orderreference'), 'My_Order_123');
      assert.equal(back.searchParams.get('payment_intent_client_secret'), null, 'a Trust Payments merchant gets no client secret');
      const rec = await settled(g, auth.transactionreference);
      assert.equal(rec.errorcode, '0');
      assert.match(rec.settledtimestamp, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const events = (await g.api('GET', `/v1/events?limit=100`)).body.data.filter((e: Item) => e.data.object.id === pi.id).map((e: Item) => e.type);
      for (const t of ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded']) assert.ok(events.includes(t), `${t} in ${events}`);
    });

    test('a declined payment is settlestatus 3 with errorcode 70000; paid later through /v1 it goes 3 → 100', async () => {
      const auth = await tp(g, SEED_004_AUTH);
      await g.complete(auth.redirecturl, 'failed');
      const declined = await eventually(async () => {
        const r = await record(g, auth.transactionreference);
        return r.settlestatus === '3' ? r : undefined;
      });
      assert.equal(declined.errorcode, '70000');
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      const again = await g.api('POST', `/v1/payment_intents/${row!.payment_intent_id}/confirm`, { payment_method_data: { type: 'alipay' } });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      await g.complete(again.body.next_action.redirect_to_url.url, 'succeeded');
      const rec = await settled(g, auth.transactionreference);
      assert.equal(rec.errorcode, '0');
    });

    test('bad credentials are HTTP 401 (the official clients\' error 6), and nothing is created', async () => {
      const before = await countRows(g);
      for (const auth of [basicAuth(TP_USER, 'wrong-password'), basicAuth('nobody@example.com'), 'Bearer x', '']) {
        const res = await tpRaw(g, '/json/', JSON.stringify(SEED_004_ENVELOPE), { Authorization: auth });
        assert.equal(res.status, 401, auth);
      }
      assert.deepEqual(await countRows(g), before);
    });

    test('envelope errors: malformed JSON 10205, bad element 30010, version 30007, no request 60018, both type keys 60040', async () => {
      const before = await countRows(g);
      const code = async (body: string) => (await tpRaw(g, '/json/', body)).body.response[0];
      assert.equal((await code('{"alias": ')).errorcode, '10205');
      assert.equal((await code('[1,2]')).errorcode, '30010');
      assert.equal((await code(JSON.stringify({ ...SEED_004_ENVELOPE, request: 'AUTH' }))).errorcode, '30010');
      assert.equal((await code(JSON.stringify({ ...SEED_004_ENVELOPE, version: '2.00' }))).errorcode, '30007');
      const empty = await code(JSON.stringify({ ...SEED_004_ENVELOPE, request: [] }));
      assert.equal(empty.errorcode, '60018');
      assert.equal(empty.requesttypedescription, 'ERROR');
      const both = await code(JSON.stringify({ ...SEED_004_ENVELOPE, request: [{ ...SEED_004_AUTH, requesttypedescription: 'AUTH' }] }));
      assert.equal(both.errorcode, '60040');
      // Chains (§1): a disallowed combination is one item, 30000; a card integration's ACCOUNTCHECK+AUTH
      // is run in order and stops at the ACCOUNTCHECK, which Alipay does not have (no zero-authorisation).
      const disallowed = await tpRaw(g, '/json/', JSON.stringify({ ...SEED_004_ENVELOPE, request: [{ ...SEED_004_AUTH, requesttypedescriptions: ['TRANSACTIONUPDATE', 'REFUND'] }] }));
      assert.equal(disallowed.body.response.length, 1);
      assert.equal(disallowed.body.response[0].errorcode, '30000');
      assert.deepEqual(disallowed.body.response[0].errordata.slice(0, 1), ['requesttypedescriptions']);
      const check = await tpRaw(g, '/json/', JSON.stringify({ ...SEED_004_ENVELOPE, request: [{ ...SEED_004_AUTH, requesttypedescriptions: ['ACCOUNTCHECK', 'AUTH'] }] }));
      assert.deepEqual(check.body.response.map((r: Item) => [r.requesttypedescription, r.errorcode]), [['ACCOUNTCHECK', '60018']]);
      const unknown = await code(JSON.stringify({ ...SEED_004_ENVELOPE, request: [{ ...SEED_004_AUTH, requesttypedescriptions: ['THREEDQUERY'] }] }));
      assert.deepEqual([unknown.requesttypedescription, unknown.errorcode], ['THREEDQUERY', '60018']);
      assert.deepEqual(await countRows(g), before);
    });

    test('each AUTH field is checked against seed 004\'s table: 30000 names the field and nothing is created', async () => {
      const before = await countRows(g);
      const cases: [object, string][] = [
        [{ accounttypedescription: 'MOTO' }, 'accounttypedescription'],
        [{ baseamount: '0' }, 'baseamount'],
        [{ baseamount: '10.50' }, 'baseamount'],
        [{ baseamount: '12345678901234' }, 'baseamount'],
        [{ baseamount: 1050 }, 'baseamount'],
        [{ currencyiso3a: 'CNY' }, 'currencyiso3a'],
        [{ currencyiso3a: 'eur' }, 'currencyiso3a'],
        [{ orderreference: 'x'.repeat(26) }, 'orderreference'],
        [{ returnurl: 'ftp://example.com/x' }, 'returnurl'],
        [{ returnurl: 'not a url' }, 'returnurl'],
        [{ returnurl: `https://example.com/${'x'.repeat(2040)}` }, 'returnurl'],
        [{ returnurl: undefined }, 'returnurl'],
        [{ sitereference: 'test site!' }, 'sitereference'],
        [{ paymenttypedescription: 'VISA' }, 'paymenttypedescription'],
        [{ applicationtype: 'APP' }, 'applicationtype'],
        [{ billingcountryiso2a: 'DEU' }, 'billingcountryiso2a'],
        [{ orderreference: 'a\u0000b' }, 'orderreference'],
      ];
      for (const [change, field] of cases) {
        const r = await tp(g, { ...SEED_004_AUTH, ...change });
        assert.equal(r.errorcode, '30000', `${JSON.stringify(change)} → ${JSON.stringify(r)}`);
        assert.equal(r.errordata[0], field, JSON.stringify(change));
        assert.equal(r.requesttypedescription, 'AUTH');
      }
      const other = await tp(g, { ...SEED_004_AUTH, sitereference: 'test_site99999' });
      assert.equal(other.errorcode, '30006');
      assert.deepEqual(await countRows(g), before);
    });

    test('REFUND: only on a settled AUTH (20005 before), never more than was paid (20007), partial then the rest; each is a v1 refund', async () => {
      const unsettled = await tp(g, SEED_004_AUTH);
      const early = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: unsettled.transactionreference });
      assert.equal(early.errorcode, '20005');
      const missing = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: '1-1-999999' });
      assert.equal(missing.errorcode, '20004');
      const auth = await paidAuth(g);
      const part = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: auth.transactionreference, baseamount: '500' });
      assert.equal(part.errorcode, '0', JSON.stringify(part));
      assert.equal(part.settlestatus, '100');
      assert.equal(part.baseamount, '500');
      assert.equal(part.parenttransactionreference, auth.transactionreference);
      assert.equal(part.requesttypedescription, 'REFUND');
      const tooMuch = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: auth.transactionreference, baseamount: '551' });
      assert.equal(tooMuch.errorcode, '20007');
      const ofRefund = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: part.transactionreference });
      assert.equal(ofRefund.errorcode, '20006');
      const rest = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: auth.transactionreference });
      assert.equal(rest.errorcode, '0');
      assert.equal(rest.baseamount, '550');
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      const refunds = (await g.api('GET', `/v1/refunds?payment_intent=${row!.payment_intent_id}`)).body.data;
      assert.deepEqual(refunds.map((r: Item) => [r.amount, r.status]).sort(), [[500, 'succeeded'], [550, 'succeeded']]);
    });

    test('a refund made through /v1 is a REFUND in TRANSACTIONQUERY, and one made here is in /v1', async () => {
      const auth = await paidAuth(g);
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      const v1 = await g.api('POST', '/v1/refunds', { payment_intent: row!.payment_intent_id, amount: 300 });
      assert.equal(v1.status, 200);
      const q = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { parenttransactionreference: [{ value: auth.transactionreference }] } });
      const refunds = await eventually(async () => {
        const r = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { parenttransactionreference: [{ value: auth.transactionreference }] } });
        return r.records.length === 1 && r.records[0].settlestatus === '100' ? r.records : undefined;
      });
      assert.equal(q.errorcode, '0');
      assert.equal(refunds[0].requesttypedescription, 'REFUND');
      assert.equal(refunds[0].baseamount, '300');
      const over = await tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: auth.transactionreference, baseamount: '751' });
      assert.equal(over.errorcode, '20007');
    });

    test('concurrent REFUNDs of one AUTH never add up to more than was paid', async () => {
      const auth = await paidAuth(g);
      const results = await Promise.all(Array.from({ length: 8 }, () =>
        tp(g, { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: auth.transactionreference, baseamount: '300' })));
      const ok = results.filter((r) => r.errorcode === '0');
      assert.equal(ok.length, 3, JSON.stringify(results.map((r) => r.errorcode)));
      assert.ok(results.every((r) => r.errorcode === '0' || r.errorcode === '20007'));
      const [sum] = await g.gateway.db.query<{ n: number }>(
        "SELECT COALESCE(sum(base_amount), 0)::int AS n FROM tp_transactions WHERE parent_reference = $1 AND settle_status <> 3", [auth.transactionreference]);
      assert.equal(sum!.n, 900);
      const [upstream] = await g.gateway.db.query<{ n: number }>(
        `SELECT COALESCE(sum(r.amount), 0)::int AS n FROM sim_refunds r JOIN sim_payments p ON p.payment_id = r.payment_id
          JOIN tp_transactions t ON t.payment_intent_id = p.reference_order_id WHERE t.reference = $1`, [auth.transactionreference]);
      assert.equal(upstream!.n, 900);
    });

    test('TRANSACTIONQUERY takes the list and the bare-object filter, order references and a time window', async () => {
      const a = await tp(g, { ...SEED_004_AUTH, orderreference: 'query-order-1' });
      const b = await tp(g, { ...SEED_004_AUTH, orderreference: 'query-order-2' });
      const list = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { sitereference: [{ value: TP_SITE }], transactionreference: [{ value: a.transactionreference }, { value: b.transactionreference }] } });
      assert.deepEqual(list.records.map((r: Item) => r.transactionreference), [a.transactionreference, b.transactionreference]);
      assert.equal(list.found, '2');
      const bare = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: { value: b.transactionreference, symbol: 'IS' } } });
      assert.deepEqual(bare.records.map((r: Item) => r.orderreference), ['query-order-2']);
      const byOrder = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'query-order-1' }] } });
      assert.equal(byOrder.records.length, 1);
      const rec = byOrder.records[0];
      for (const k of ['requesttypedescription', 'transactionreference', 'interface', 'settlestatus', 'settleduedate', 'transactionstartedtimestamp', 'orderreference', 'errorcode', 'sitereference', 'baseamount', 'currencyiso3a']) {
        assert.equal(typeof rec[k], 'string', k);
      }
      assert.equal(rec.interface, 'PASS-JSON-JSON');
      const future = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { starttimestamp: [{ value: '2999-01-01' }] } });
      assert.equal(future.records.length, 0);
      assert.equal((await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'] })).errorcode, '60019');
      assert.equal((await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { colour: [{ value: 'red' }] } })).errorcode, '60037');
      assert.equal((await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { starttimestamp: [{ value: 'yesterday' }] } })).errorcode, '60037');
      assert.equal((await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { sitereference: [{ value: 'someone_else' }] } })).errorcode, '30006');
    });

    test('TRANSACTIONUPDATE suspends (2) and releases (0) settlement; a settled AUTH is 60017; several requests are handled in order', async () => {
      const auth = await tp(g, SEED_004_AUTH);
      const suspend = await tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: auth.transactionreference }] }, updates: { settlestatus: '2' } });
      assert.equal(suspend.errorcode, '0', JSON.stringify(suspend));
      await g.complete(auth.redirecturl, 'succeeded');
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      await eventually(async () => (await g.api('GET', `/v1/payment_intents/${row!.payment_intent_id}`)).body.status === 'succeeded');
      // Suspended: the settlement job passes it by (its delay is 1 s; the row is authorised and stays 2).
      const authorised = await eventually(async () => {
        const [r] = await g.gateway.db.query<{ authorised_at: number | null; settle_status: number }>('SELECT authorised_at, settle_status FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
        return r?.authorised_at ? r : undefined;
      });
      assert.equal(authorised.settle_status, 2);
      const later = await paidAuth(g); // another AUTH settles meanwhile, so the job has run past the suspended one
      assert.equal((await record(g, auth.transactionreference)).settlestatus, '2');
      const resume = await tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: auth.transactionreference }] }, updates: { settlestatus: '0' } });
      assert.equal(resume.errorcode, '0');
      await settled(g, auth.transactionreference);
      // One envelope: a refused update, then a refund that works (specs §1).
      const res = await tpJson(g, [
        { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: later.transactionreference }] }, updates: { settlestatus: '3' } },
        { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: later.transactionreference, baseamount: '50' },
      ]);
      assert.deepEqual(res.body.response.map((r: Item) => [r.requesttypedescription, r.errorcode]), [['TRANSACTIONUPDATE', '60017'], ['REFUND', '0']]);
      const bad = [
        [{ settlestatus: '100' }, '60033'], [{ settlebaseamount: '50' }, '60033'], [{}, '60013'], [{ colour: 'red' }, '60033'],
      ] as const;
      for (const [updates, code] of bad) {
        const r = await tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: later.transactionreference }] }, updates });
        assert.equal(r.errorcode, code, JSON.stringify(updates));
      }
      const none = await tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: '1-1-424242' }] }, updates: { settlestatus: '2' } });
      assert.equal(none.errorcode, '60014');
    });

    test('TRANSACTIONUPDATE settlestatus 3 cancels an unpaid AUTH at Antom: settlestatus 3, the PaymentIntent canceled', async () => {
      const auth = await tp(g, SEED_004_AUTH);
      const r = await tp(g, { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: auth.transactionreference }] }, updates: { settlestatus: '3' } });
      assert.equal(r.errorcode, '0', JSON.stringify(r));
      assert.equal((await record(g, auth.transactionreference)).settlestatus, '3');
      const [row] = await g.gateway.db.query<{ payment_intent_id: string }>('SELECT payment_intent_id FROM tp_transactions WHERE reference = $1', [auth.transactionreference]);
      assert.equal((await g.api('GET', `/v1/payment_intents/${row!.payment_intent_id}`)).body.status, 'canceled');
      const pay = await g.complete(auth.redirecturl, 'succeeded');
      assert.notEqual(pay.status, 200, 'the wallet refuses to pay a cancelled AUTH');
    });
  });
}

describe('Trust Payments /xml/', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
    await seedTrustPayments(g);
  });
  after(async () => g?.stop());

  const el = (xml: string, path: string) => new RegExp(`<${path}>([^<]*)</${path}>`).exec(xml)?.[1];

  test('seed 004\'s XML AUTH gets a <responseblock> carrying the JSON reply\'s information, and the same payment underneath', async () => {
    const res = await tpRaw(g, '/xml/', SEED_004_XML);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
    const x = res.text;
    assert.match(x, /^<responseblock version="3\.67">/);
    assert.match(x, /<response type="AUTH">/);
    assert.equal(el(x, 'code'), '0');
    assert.equal(el(x, 'message'), 'Ok');
    assert.equal(el(x, 'settlestatus'), '10');
    assert.equal(el(x, 'orderreference'), 'MyOrder123');
    assert.equal(el(x, 'merchantname'), 'Test Merchant');
    assert.equal(el(x, 'operatorname'), TP_USER);
    assert.match(el(x, 'partnerid') ?? '', /^2088\d{12}$/);
    assert.equal(el(x, 'live'), '0');
    assert.match(x, /<amount currencycode="EUR">1050<\/amount>/);
    assert.match(x, /<payment type="ALIPAY"\/>/);
    assert.match(el(x, 'timestamp') ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.match(el(x, 'secrand') ?? '', /^[A-Za-z0-9]{3,16}$/);
    const reference = el(x, 'transactionreference')!;
    const redirect = el(x, 'redirecturl')!.replaceAll('&amp;', '&');
    assert.equal((await g.complete(redirect, 'succeeded')).status, 200);
    const rec = await eventually(async () => {
      const q = await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: reference }] } });
      return q.records[0]?.settlestatus === '100' ? q.records[0] : undefined;
    });
    assert.equal(rec.baseamount, '1050');
  });

  test('the WAP XML AUTH opens the wallet\'s phone page; XML queries and updates work like JSON ones', async () => {
    const x = (await tpRaw(g, '/xml/', SEED_004_XML_WAP)).text;
    assert.equal(el(x, 'code'), '0', x);
    assert.match(el(x, 'redirecturl') ?? '', /\/simulator\/wallet\?/);
    const reference = el(x, 'transactionreference')!;
    const query = (await tpRaw(g, '/xml/', `<requestblock version="3.67"><alias>${TP_USER}</alias><request type="TRANSACTIONQUERY"><filter><transactionreference>${reference}</transactionreference></filter></request></requestblock>`)).text;
    assert.equal(el(query, 'code'), '0', query);
    assert.match(query, new RegExp(`<record type="AUTH">[\\s\\S]*${reference}[\\s\\S]*</record>`));
    const update = (await tpRaw(g, '/xml/', `<requestblock version="3.67"><alias>${TP_USER}</alias><request type="TRANSACTIONUPDATE"><filter><transactionreference>${reference}</transactionreference></filter><updates><settlement><settlestatus>2</settlestatus></settlement></updates></request></requestblock>`)).text;
    assert.equal(el(update, 'code'), '0', update);
    assert.equal((await tp(g, { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: reference }] } })).records[0].settlestatus, '2');
  });

  test('a DOCTYPE, an external entity, a billion laughs or broken XML is refused (10205) and nothing is created', async () => {
    const [before] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents');
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]>`
      + SEED_004_XML.replace('MyOrder123', '&lol9;');
    const xxe = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${SEED_004_XML.replace('MyOrder123', '&x;')}`;
    for (const body of [laughs, xxe, '<requestblock version="3.67"><request type="AUTH">', 'not xml at all', SEED_004_XML.replace('</requestblock>', '</requestblock><extra/>')]) {
      const res = await tpRaw(g, '/xml/', body);
      assert.equal(res.status, 200);
      assert.equal(el(res.text, 'code'), '10205', res.text);
      assert.doesNotMatch(res.text, /root:|lollol/);
    }
    const wrongField = (await tpRaw(g, '/xml/', SEED_004_XML.replace('<amount currencycode="EUR">1050</amount>', '<amount currencycode="EUR">10.50</amount>'))).text;
    assert.equal(el(wrongField, 'code'), '30000');
    assert.equal(el(wrongField, 'data'), 'baseamount');
    const [afterwards] = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents');
    assert.equal(afterwards!.n, before!.n);
  });
});
