/**
 * docs/architecture.md: "Logs carry route patterns and ids that grant nothing, never URLs with query strings,
 * statement parameters, keys, client secrets or checkout session ids." A gateway logging at trace
 * runs every flow that handles a secret — payments through the simulator, the shopper's return
 * with payment_intent_client_secret, a refund, webhooks to a local receiver, a Checkout Session
 * with its page, status polling and success URL, a webhook endpoint disabled for failing, database
 * errors whose parameters and rows hold a new webhook secret and a client secret, a session that
 * cannot expire yet — and then every line
 * it logged is searched for every secret the run made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { randomToken } from '../../src/core/ids.js';

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  method?: string;
  route?: string;
  status?: number;
  ms?: number;
  err?: { code?: string; constraint?: string; message?: string };
}

/** The merchant's webhook endpoint on loopback; its URL carries a token, as some merchants' do. */
async function receiver(): Promise<{ server: Server; url: string; got: { type: string; signed: boolean }[] }> {
  const got: { type: string; signed: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      if (req.url?.startsWith('/failing')) {
        res.statusCode = 500;
        return res.end('down');
      }
      got.push({ type: (JSON.parse(body) as { type: string }).type, signed: /^t=\d+,v1=/.test(String(req.headers['stripe-signature'])) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, got };
}

const json = async (res: Response) => (await res.json()) as any;
const fault = (g: TestGateway, body: object) =>
  fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

for (const { kind, skip } of await stores()) {
  describe(`what the log keeps [${kind}]`, { skip }, () => {
    const raw: string[] = [];
    let g: TestGateway;
    let rx: Awaited<ReturnType<typeof receiver>>;
    let offset = 0;
    before(async () => {
      rx = await receiver();
      g = await startGateway({
        store: kind,
        env: { LOG_LEVEL: 'trace', WEBHOOK_RETRY_SCHEDULE_MS: '200,200', WEBHOOK_DISABLE_AFTER_MS: '300' },
        clock: { now: () => Date.now() + offset },
        logStream: { write: (line) => void raw.push(line) },
      });
    });
    after(async () => {
      await g?.stop();
      rx?.server.closeAllConnections();
      await new Promise((resolve) => rx?.server.close(resolve));
    });

    test('a run through every flow logs route patterns and status codes, and not one of the secrets it made', async () => {
      const secrets = new Map<string, string>([
        ['secret key', g.secretKey],
        ['publishable key', g.publishableKey],
        ['simulator merchant private key', g.gateway.simulatorKeys!.merchantPrivateKey],
        ['simulator Antom private key', g.gateway.simulatorKeys!.antomPrivateKey],
      ]);
      const hookToken = `tok${randomToken(24)}`;
      secrets.set('webhook URL token', hookToken);

      // Webhooks: the secret exists only in the answer to the create.
      const endpoint = await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/hooks?token=${hookToken}`, enabled_events: ['*'] });
      assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));
      secrets.set('webhook secret', endpoint.body.secret);
      // One that always fails, so it gets disabled — and the log says so.
      const failingToken = `tok${randomToken(24)}`;
      secrets.set('failing webhook URL token', failingToken);
      const failing = await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/failing?token=${failingToken}`, enabled_events: ['*'] });
      assert.equal(failing.status, 200, JSON.stringify(failing.body));
      secrets.set('failing webhook secret', failing.body.secret);

      // A payment paid in the simulator; the shopper comes back through /return/… to a return_url
      // that is this gateway, so the client secret arrives here in a query string.
      const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, return_url: `${g.url}/healthz` })).body;
      secrets.set('client secret (payment)', pi.client_secret);
      const byPk = await g.api('GET', `/v1/payment_intents/${pi.id}?client_secret=${encodeURIComponent(pi.client_secret)}`, undefined, { key: g.publishableKey });
      assert.equal(byPk.status, 200, JSON.stringify(byPk.body));
      const cashier = await fetch(pi.next_action.redirect_to_url.url);
      assert.equal(cashier.status, 200);
      const done = await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal((await fetch(`${g.url}/simulator/v1/payments/${done.body.payment_id}`)).status, 200);
      await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded');
      const attempt = (await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [pi.id]))[0]!;
      secrets.set('attempt id (its /return/ page leads to the client secret)', attempt.id);
      const back = await fetch(`${g.url}/return/${attempt.id}`);
      assert.equal(back.status, 200);
      // A pay Antom leaves unanswered is logged as a warning: by its PaymentIntent, not its attempt.
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'unknown', times: 3 }) });
      const unanswered = await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 21 });
      assert.equal(unanswered.status, 502, JSON.stringify(unanswered.body));
      const [lost] = await g.gateway.db.query<{ id: string }>('SELECT a.id FROM payment_attempts a JOIN payment_intents p ON p.id = a.payment_intent_id WHERE p.amount = 21');
      secrets.set('attempt id of the unanswered pay', lost!.id);
      assert.equal(new URL(back.url).searchParams.get('payment_intent_client_secret'), pi.client_secret, 'the shopper landed on the return_url with the client secret');

      // A refund, and the webhooks of all of it.
      const refund = await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 5 });
      assert.equal(refund.body.status, 'succeeded', JSON.stringify(refund.body));
      await eventually(async () => rx.got.some((e) => e.type === 'charge.refunded') && rx.got.some((e) => e.type === 'payment_intent.succeeded'));
      assert.ok(rx.got.every((e) => e.signed));

      // A Checkout Session: its page, a payment started there, status polling, the return and the success_url (here too).
      const cs = (await g.api('POST', '/v1/checkout/sessions', {
        success_url: `${g.url}/healthz?session={CHECKOUT_SESSION_ID}`, cancel_url: 'https://shop.example/cart', payment_method_types: ['alipay'],
        line_items: [{ price_data: { currency: 'CNY', unit_amount: 800, product_data: { name: 'Tea' } }, quantity: 1 }],
      })).body;
      secrets.set('checkout session id', cs.id);
      secrets.set('client secret (checkout)', cs.client_secret);
      assert.equal((await fetch(cs.url)).status, 200);
      assert.equal((await g.api('GET', `/v1/checkout/sessions/${cs.id}`)).status, 200);
      const started = await json(await fetch(cs.url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ method: 'alipay' }) }));
      assert.ok(started.qr?.walletUrl, JSON.stringify(started));
      assert.equal((await g.complete(started.qr.walletUrl, 'succeeded')).status, 200);
      await eventually(async () => (await json(await fetch(`${cs.url}/status`))).status === 'complete');
      const success = await fetch(`${cs.url}/return`);
      assert.equal(success.status, 200);
      assert.equal(new URL(success.url).searchParams.get('session'), cs.id, 'the success_url with the session id was followed');

      // Database errors whose parameters (PGlite) and failing row (PostgreSQL's detail) hold a
      // freshly made webhook secret and client secret.
      await g.gateway.db.query("ALTER TABLE webhook_endpoints ADD CONSTRAINT test_forced_failure CHECK (description IS DISTINCT FROM 'fail here')");
      await g.gateway.db.query("ALTER TABLE payment_intents ADD CONSTRAINT test_forced_failure_pi CHECK (description IS DISTINCT FROM 'fail here')");
      try {
        const failedEndpoint = await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/hooks`, enabled_events: ['*'], description: 'fail here' });
        assert.equal(failedEndpoint.status, 500, JSON.stringify(failedEndpoint.body));
        const failedIntent = await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, description: 'fail here' });
        assert.equal(failedIntent.status, 500, JSON.stringify(failedIntent.body));
      } finally {
        await g.gateway.db.query('ALTER TABLE webhook_endpoints DROP CONSTRAINT test_forced_failure');
        await g.gateway.db.query('ALTER TABLE payment_intents DROP CONSTRAINT test_forced_failure_pi');
      }

      // A session due to expire whose payment Antom will not close: the worker logs that it must wait.
      const due = (await g.api('POST', '/v1/checkout/sessions', {
        success_url: 'https://shop.example/ok', payment_method_types: ['alipay'], expires_at: Math.floor(Date.now() / 1000) + 1900,
        line_items: [{ price_data: { currency: 'CNY', unit_amount: 900, product_data: { name: 'Cake' } }, quantity: 1 }],
      })).body;
      secrets.set('checkout session id (expiring)', due.id);
      secrets.set('client secret (expiring checkout)', due.client_secret);
      const dueStart = await json(await fetch(due.url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ method: 'alipay' }) }));
      assert.ok(dueStart.qr, JSON.stringify(dueStart));
      for (const api of ['cancel', 'inquiryPayment']) assert.equal((await fault(g, { api, kind: 'http_500', times: 1000 })).status, 200);
      assert.equal((await fault(g, { api: 'notify', kind: 'fail', times: 1000 })).status, 200);
      offset = 2_000_000;
      await eventually(async () => raw.some((l) => l.includes('could not expire a Checkout Session yet')), 15_000);
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'DELETE' });
      await eventually(async () => (await g.api('GET', `/v1/checkout/sessions/${due.id}`)).body.status === 'expired', 15_000);

      await eventually(async () => (await g.api('GET', `/v1/webhook_endpoints/${failing.body.id}`)).body.status === 'disabled');
      assert.ok(raw.some((l) => l.includes('webhook endpoint disabled after failing for too long')));

      const codes = await g.gateway.db.query<{ code_value: string }>('SELECT code_value FROM sim_payments');
      codes.forEach((c, i) => secrets.set(`simulator payment code ${i}`, c.code_value));

      const text = raw.join('');
      const lines = raw.map((l) => JSON.parse(l) as LogLine);
      // None of the secrets, whole or in part…
      for (const [name, value] of secrets) {
        assert.ok(value && value.length >= 16, name);
        // The random tail of each (a client secret's head is its PaymentIntent's id, which may be logged).
        const pieces = [value, value.slice(-16), ...(value.length > 100 ? [value.slice(value.length / 2, value.length / 2 + 16)] : [])];
        for (const piece of pieces) {
          assert.ok(!text.includes(piece), `the log holds the ${name}: ${raw.find((l) => l.includes(piece))?.slice(0, 2000)}`);
        }
      }
      // Nor anything shaped like one (the webhook secret and client secret of the failed creates were never seen by the test).
      for (const shape of [/whsec_/, /_secret_/, /\b[sp]k_(test|live)_/, /\bcs_[A-Za-z0-9]{8}/, /[?&](client_secret|payment_intent_client_secret|codeValue|session|token)=/, /MII[A-Za-z0-9+/]{20}/]) {
        assert.ok(!shape.test(text), `the log holds ${shape}: ${raw.find((l) => shape.test(l))?.slice(0, 2000)}`);
      }
      // …yet the log is there and says what happened, by route pattern.
      const completed = (route: string, method = 'GET') => lines.find((l) => l.msg === 'request completed' && l.route === route && l.method === method);
      for (const [route, method] of [
        ['/v1/payment_intents/:id', 'GET'], ['/v1/payment_intents', 'POST'], ['/v1/webhook_endpoints', 'POST'], ['/v1/refunds', 'POST'],
        ['/return/:attempt', 'GET'], ['/healthz', 'GET'], ['/pay/:id', 'GET'], ['/pay/:id', 'POST'], ['/pay/:id/status', 'GET'], ['/pay/:id/return', 'GET'],
        ['/antom/notify', 'POST'], ['/simulator/cashier', 'GET'], ['/simulator/v1/payments/:paymentId', 'GET'], ['/ams/sandbox/api/v1/payments/:name', 'POST'],
      ] as const) {
        const line = completed(route, method);
        assert.ok(line, `a completed ${method} ${route} is logged`);
        assert.match(line.reqId ?? '', /^req_/);
        assert.equal(typeof line.status, 'number');
        assert.equal(typeof line.ms, 'number');
      }
      const forced = lines.filter((l) => l.level >= 50 && l.err?.code === '23514');
      assert.deepEqual(new Set(forced.map((l) => l.err!.constraint)), new Set(['test_forced_failure', 'test_forced_failure_pi']), 'both forced errors were logged');
      assert.ok(lines.some((l) => l.msg === 'request completed' && l.route === '/v1/webhook_endpoints' && l.status === 500));
    });
  });
}
