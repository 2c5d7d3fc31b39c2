/**
 * End-to-end payments through the real Antom protocol: gateway → connector → simulator (HTTP, RSA)
 * → wallet outcome → signed notifyPayment → gateway. Every store runs the same flows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB, SEED_003_ALIPAYPLUS } from '../helpers/seeds.js';
import { signatureHeader } from '../../src/connectors/antom/signing.js';
import { paymentSucceeded, signedNotification } from '../helpers/notifications.js';

async function eventsOf(g: TestGateway, objectId: string) {
  return g.gateway.db.query<{ type: string; request_id: string | null; data: any }>(
    'SELECT type, request_id, data FROM events WHERE object_id = $1 ORDER BY seq', [objectId],
  );
}

async function waitForStatus(g: TestGateway, id: string, status: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const pi = (await g.api('GET', `/v1/payment_intents/${id}?expand[]=latest_charge`)).body;
    return pi.status === status ? pi : undefined;
  }, timeoutMs);
}

async function postNotification(g: TestGateway, n: { raw: string; headers: Record<string, string> }) {
  const res = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: n.headers, body: n.raw });
  return { status: res.status, body: (await res.json()) as any };
}

for (const { kind, skip } of await stores()) {
  describe(`payment flows through the simulator [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('Alipay: authorize in the wallet → signed notification → succeeded, with a charge and every event in order', async () => {
      const created = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'flow-success-1' });
      const pi = created.body;
      const done = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const paid = await waitForStatus(g, pi.id, 'succeeded');
      assert.equal(paid.amount_received, 20);
      assert.equal(paid.next_action, null);
      assert.equal(paid.latest_charge.object, 'charge');
      assert.equal(paid.latest_charge.status, 'succeeded');
      assert.equal(paid.latest_charge.amount, 20);
      assert.equal(paid.latest_charge.paid, true);
      assert.equal(paid.latest_charge.payment_intent, pi.id);
      assert.equal(paid.latest_charge.payment_method_details.type, 'alipay');
      assert.equal(paid.latest_charge.payment_method_details.alipay.transaction_id, done.body.payment_id);
      const evs = await eventsOf(g, pi.id);
      assert.deepEqual(evs.map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded']);
      assert.equal(evs[0]!.request_id, created.headers.get('request-id'));
      assert.equal(evs[2]!.request_id, null, 'the notification, not an API request, caused the success');
      assert.equal(evs[2]!.data.object.status, 'succeeded');
      const chEvents = await eventsOf(g, paid.latest_charge.id);
      assert.deepEqual(chEvents.map((e) => e.type), ['charge.succeeded']);
      const charges = await g.api('GET', `/v1/charges?payment_intent=${pi.id}`);
      assert.deepEqual(charges.body.data.map((c: any) => c.id), [paid.latest_charge.id]);
      const charge = await g.api('GET', `/v1/charges/${paid.latest_charge.id}?expand[]=payment_intent&expand[]=payment_method`);
      assert.equal(charge.body.payment_intent.id, pi.id);
      assert.equal(charge.body.payment_method.type, 'alipay');
      // Nothing more may happen to a succeeded payment.
      const cancel = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {});
      assert.equal(cancel.body.error.code, 'payment_intent_unexpected_state');
    });

    test('a failed attempt returns to requires_payment_method with last_payment_error, a failed charge, and can be retried', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const done = await g.complete(pi.next_action.redirect_to_url.url, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const failed = await waitForStatus(g, pi.id, 'requires_payment_method');
      assert.equal(failed.last_payment_error.code, 'payment_method_provider_decline');
      assert.equal(failed.last_payment_error.decline_code, 'user_balance_not_enough');
      assert.equal(failed.last_payment_error.payment_method_type, 'alipay');
      assert.equal(failed.latest_charge.status, 'failed');
      assert.equal(failed.latest_charge.failure_code, 'USER_BALANCE_NOT_ENOUGH');
      assert.equal(failed.amount_received, 0);
      const evs = await eventsOf(g, pi.id);
      assert.deepEqual(evs.map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.payment_failed']);
      assert.deepEqual((await eventsOf(g, failed.latest_charge.id)).map((e) => e.type), ['charge.failed']);
      const retry = await g.api('POST', `/v1/payment_intents/${pi.id}/confirm`, { payment_method_data: { type: 'alipay' } });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.status, 'requires_action');
      assert.equal(retry.body.last_payment_error, null);
      assert.notEqual(retry.body.next_action.redirect_to_url.url, pi.next_action.redirect_to_url.url);
      await g.complete(retry.body.next_action.redirect_to_url.url, 'succeeded');
      const paid = await waitForStatus(g, pi.id, 'succeeded');
      const charges = await g.api('GET', `/v1/charges?payment_intent=${pi.id}`);
      assert.deepEqual(charges.body.data.map((c: any) => c.status), ['succeeded', 'failed']);
      assert.equal(paid.latest_charge.id, charges.body.data[0].id);
    });

    test('Alipay+: the shopper picks a wallet that serves the currency; the charge names it', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', {
        amount: 30000, currency: 'PHP', confirm: true, payment_method_data: { type: 'alipayplus' },
        payment_method_options: { alipayplus: { terminal_type: 'WAP' } }, return_url: 'https://shop.example/ph',
      })).body;
      assert.equal(pi.status, 'requires_action');
      const wrong = await g.complete(pi.next_action.alipayplus_handle_redirect.normalUrl, 'succeeded', { wallet: 'DANA' });
      assert.equal(wrong.status, 400, 'DANA does not serve PHP');
      const ok = await g.complete(pi.next_action.alipayplus_handle_redirect.normalUrl, 'succeeded', { wallet: 'GCASH' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const paid = await waitForStatus(g, pi.id, 'succeeded');
      assert.equal(paid.latest_charge.payment_method_details.type, 'alipayplus');
      assert.equal(paid.latest_charge.payment_method_details.alipayplus.wallet, 'GCASH');
      const pm = (await g.api('GET', `/v1/payment_intents/${pi.id}?expand[]=payment_method`)).body.payment_method;
      assert.equal(pm.alipayplus.wallet, 'GCASH');
    });

    test('seed 003 (IDR 200) can be paid with a wallet above its minimum, and DANA is refused below its own', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_003_ALIPAYPLUS)).body;
      const dana = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded', { wallet: 'DANA' });
      assert.equal(dana.status, 400);
      const ok = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded', { wallet: 'AKULAKU_PAYLATER' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      await waitForStatus(g, pi.id, 'succeeded');
    });

    test('processing: the wallet reports PAYMENT_PENDING first, then the result', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      await g.complete(pi.next_action.redirect_to_url.url, 'processing');
      const processing = await waitForStatus(g, pi.id, 'processing');
      assert.equal(processing.next_action, null);
      const cancel = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {});
      assert.equal(cancel.status, 400, 'cancel is not allowed once processing');
      await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      await waitForStatus(g, pi.id, 'succeeded');
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), [
        'payment_intent.created', 'payment_intent.requires_action', 'payment_intent.processing', 'payment_intent.succeeded',
      ]);
    });

    test('a decline at pay time is a 402 card_error carrying the PaymentIntent', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'fail', code: 'RISK_REJECT' }) });
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 402, JSON.stringify(res.body));
      assert.equal(res.body.error.type, 'card_error');
      assert.equal(res.body.error.decline_code, 'risk_reject');
      const pi = res.body.error.payment_intent;
      assert.equal(pi.status, 'requires_payment_method');
      assert.equal(pi.last_payment_error.decline_code, 'risk_reject');
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), ['payment_intent.created', 'payment_intent.payment_failed']);
    });

    test('the shopper\'s return goes to the merchant\'s return_url with the result, synced by inquiry', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      await g.complete(pi.next_action.redirect_to_url.url, 'succeeded', { notify: false });
      const byIntent = await fetch(`${g.url}/return/${pi.id}`, { redirect: 'manual' });
      assert.equal(byIntent.status, 404, 'a PaymentIntent id alone does not reveal the client secret');
      const attempt = (await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [pi.id]))[0]!;
      const res = await fetch(`${g.url}/return/${attempt.id}`, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const to = new URL(res.headers.get('location')!);
      assert.equal(to.origin + to.pathname, 'https://wooshpay.com/');
      assert.equal(to.searchParams.get('payment_intent'), pi.id);
      assert.equal(to.searchParams.get('payment_intent_client_secret'), pi.client_secret);
      assert.equal(to.searchParams.get('redirect_status'), 'succeeded');
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'succeeded');
    });

    test('notifications: a forged, altered, replayed, stale, mismatched or unknown one is refused, logged, and changes nothing', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const { body, paymentRequestId } = await paymentSucceeded(g, pi.next_action.redirect_to_url.url);
      const { generateAntomKeyPair } = await import('../../src/connectors/antom/signing.js');
      const forged = signedNotification(g, body, { key: generateAntomKeyPair().privateKeyBase64 });
      assert.equal((await postNotification(g, forged)).status, 400);
      const genuine = signedNotification(g, body);
      const altered = { ...genuine, raw: genuine.raw.replace('"value":"20"', '"value":"2000"') };
      assert.equal((await postNotification(g, altered)).status, 400);
      const stale = signedNotification(g, body, { time: String(Date.now() - 3_600_000) });
      assert.equal((await postNotification(g, stale)).status, 400);
      const mismatch = signedNotification(g, { ...body, paymentAmount: { currency: 'CNY', value: '2000' } });
      assert.equal((await postNotification(g, mismatch)).status, 400);
      const otherPayment = signedNotification(g, { ...body, paymentId: '99999999' });
      assert.equal((await postNotification(g, otherPayment)).status, 400);
      const unknown = signedNotification(g, { ...body, paymentRequestId: 'pa_nope' });
      assert.equal((await postNotification(g, unknown)).status, 400);
      const unsigned = await fetch(`${g.url}/antom/notify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: genuine.raw });
      assert.equal(unsigned.status, 400);
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'requires_action');
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action']);

      const applied = await postNotification(g, genuine);
      assert.equal(applied.status, 200);
      assert.deepEqual(applied.body, { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'succeeded');
      const replay = await postNotification(g, genuine);
      assert.equal(replay.status, 400, 'the same signed message twice is a replay');
      const resent = signedNotification(g, body);
      assert.equal((await postNotification(g, resent)).status, 200, 'a fresh signing (Antom\'s own retry) is acknowledged');
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded'],
        'applied exactly once');
      const log = await g.gateway.db.query<{ verdict: string; reason: string | null }>(
        `SELECT verdict, reason FROM upstream_notifications WHERE payment_request_id = $1 OR body LIKE $2 ORDER BY id`, [paymentRequestId, `%${paymentRequestId}%`],
      );
      assert.deepEqual(log.map((l) => l.verdict), ['refused', 'refused', 'refused', 'refused', 'refused', 'refused', 'applied', 'refused', 'duplicate']);
      assert.ok(log.every((l) => l.verdict !== 'refused' || (l.reason ?? '').length > 5));
    });

    test('a replay whose signature is re-encoded (%2b, %41 for A, padding added or dropped, Base64url) is still a replay: refused, changes nothing', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const paid = await paymentSucceeded(g, pi.next_action.redirect_to_url.url);
      const genuine = signedNotification(g, paid.body);
      assert.equal((await postNotification(g, genuine)).status, 200);
      const applied = await eventsOf(g, pi.id);
      const sig = genuine.headers.signature.split('signature=')[1]!;
      // A 2048-bit signature is 344 Base64 characters ending in "==", sent as %3D%3D.
      assert.match(sig, /%3D%3D$/);
      const first = sig.search(/[A-Za-z0-9]/);
      const plain = decodeURIComponent(sig);
      const variants = [
        sig.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
        `${sig.slice(0, first)}%${sig.charCodeAt(first).toString(16).toUpperCase()}${sig.slice(first + 1)}`,
        `${sig}%3D%3D`,
        sig.replace(/%3D%3D$/, ''),
        Buffer.from(plain, 'base64').toString('base64url'),
      ];
      assert.equal(new Set([sig, ...variants]).size, variants.length + 1, 'each variant is spelled differently');
      for (const v of variants) {
        assert.deepEqual(Buffer.from(decodeURIComponent(v), 'base64'), Buffer.from(plain, 'base64'), 'the same signature bytes');
        const res = await postNotification(g, { raw: genuine.raw, headers: { ...genuine.headers, signature: signatureHeader(v) } });
        assert.equal(res.status, 400, `${v} → ${JSON.stringify(res.body)}`);
        assert.match(res.body.result.resultMessage, /replayed/, 'it verified, and was recognised as the message seen before');
      }
      assert.deepEqual(await eventsOf(g, pi.id), applied, 'nothing changed');
      const charges = await g.api('GET', `/v1/charges?payment_intent=${pi.id}`);
      assert.equal(charges.body.data.length, 1);
      const log = await g.gateway.db.query<{ verdict: string }>('SELECT verdict FROM upstream_notifications WHERE payment_request_id = $1 ORDER BY id', [paid.paymentRequestId]);
      assert.deepEqual(log.map((l) => l.verdict), ['applied', ...variants.map(() => 'refused')]);
    });

    test('an Antom timeout on pay is retried with the same paymentRequestId: one payment upstream, no double charge', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'timeout', delay_ms: 4000 }) });
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'requires_action');
      const attempts = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [res.body.id]);
      assert.equal(attempts.length, 1);
      const upstream = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sim_payments WHERE payment_request_id = $1', [attempts[0]!.id]);
      assert.equal(upstream[0]!.n, 1);
    });

    test('a response whose signature does not verify is not trusted: the same request is sent again', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'bad_signature' }) });
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'requires_action');
      const attempts = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [res.body.id]);
      const upstream = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sim_payments WHERE payment_request_id = $1', [attempts[0]!.id]);
      assert.equal(upstream[0]!.n, 1);
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'bad_signature', times: 3 }) });
      const refused = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(refused.status, 502, 'three untrusted answers: no guess, a retryable error');
    });

    test('a notification the gateway did not acknowledge is sent again on Antom\'s schedule and applied once', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'notify', kind: 'fail', times: 2 }) });
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const done = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      await waitForStatus(g, pi.id, 'succeeded');
      // The simulator records an attempt after the gateway has answered it, so the PaymentIntent
      // can be succeeded while the delivered attempt is not counted yet: wait for the record.
      const n = await eventually(async () => {
        const view = (await (await fetch(`${g.url}/simulator/v1/payments/${done.body.payment_id}`)).json()) as any;
        const note = view.notifications.find((x: any) => x.notify_type === 'PAYMENT_RESULT');
        return note?.delivered_at ? note : undefined;
      });
      assert.equal(n.attempts, 3, 'two withheld attempts, then the delivered one');
      assert.deepEqual(n.attempt_log.map((a: any) => a.delivered), [false, false, true]);
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded']);
    });

    test('no answer from Antom at all: 502, the PaymentIntent keeps its attempt, and confirming again resumes the same request', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'http_500', times: 3 }) });
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 502, JSON.stringify(res.body));
      assert.equal(res.body.error.type, 'api_error');
      const list = (await g.api('GET', '/v1/payment_intents?limit=1')).body.data[0];
      assert.equal(list.status, 'requires_confirmation');
      const before = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [list.id]);
      const again = await g.api('POST', `/v1/payment_intents/${list.id}/confirm`, {});
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.status, 'requires_action');
      const afterRows = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [list.id]);
      assert.deepEqual(afterRows, before, 'the same attempt (paymentRequestId) was resent');
    });
  });

  describe(`polling when no notification comes [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind, env: { POLL_SCHEDULE_MS: '300,600,900,1200,1500' } });
    });
    after(async () => g?.stop());

    test('a payment whose notification never arrives is found by inquiryPayment', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      await g.complete(pi.next_action.redirect_to_url.url, 'succeeded', { notify: false });
      const paid = await waitForStatus(g, pi.id, 'succeeded', 8000);
      assert.equal(paid.latest_charge.status, 'succeeded');
      assert.deepEqual((await eventsOf(g, pi.id)).map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded']);
    });

    test('a payment nobody pays is closed at Antom when the schedule runs out, and can no longer be paid', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const expired = await waitForStatus(g, pi.id, 'requires_payment_method', 8000);
      assert.equal(expired.last_payment_error.code, 'payment_intent_payment_attempt_expired');
      const late = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      assert.notEqual(late.status, 200);
    });

    test('a pay request that got no answer is resent by the poller with the same id', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'unknown', times: 9 }) });
      const res = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(res.status, 502);
      const id = (await g.api('GET', '/v1/payment_intents?limit=1')).body.data[0].id;
      const pi = await waitForStatus(g, id, 'requires_action', 8000);
      assert.match(pi.next_action.redirect_to_url.url, /codeValue=/);
    });
  });
}
