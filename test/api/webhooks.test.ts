import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { paidIntent } from '../helpers/payments.js';
import { rollKey } from '../../src/store/accounts.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A merchant's webhook receiver on loopback; `respond` decides each answer. */
class Receiver {
  readonly got: Received[] = [];
  respond: (r: Received, res: ServerResponse) => void = (_r, res) => res.end('ok');
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        const r = { path: req.url ?? '', headers: req.headers, body, at: Date.now() };
        this.got.push(r);
        this.respond(r, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  events(path?: string) {
    return this.got.filter((r) => !path || r.path === path).map((r) => JSON.parse(r.body) as { id: string; type: string; data: { object: any } });
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const verifier = new Stripe('sk_test_unused');

for (const { kind, skip } of await stores()) {
  describe(`webhook endpoints and events [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Receiver;
    before(async () => {
      rx = await new Receiver().start();
      g = await startGateway({ store: kind, env: { WEBHOOK_RETRY_SCHEDULE_MS: '300,300', WEBHOOK_TIMEOUT_MS: '1500' } });
    });
    after(async () => {
      await g?.stop();
      await rx?.stop();
    });

    test('seed 003\'s webhook request gives its response; the secret only on create', async () => {
      const req = {
        url: `${rx.url}/seed`, description: 'I_am_description',
        enabled_events: ['payment_intent.created', 'payment_intent.payment_failed', 'payment_intent.succeeded', 'charge.refund.updated'],
        api_version: '1.0.1',
      };
      const res = await g.api('POST', '/v1/webhook_endpoints', req);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const w = res.body;
      assert.match(w.id, /^we_/);
      assert.equal(w.object, 'webhook_endpoint');
      assert.ok(w.created > 1e12);
      assert.equal(w.description, 'I_am_description');
      assert.deepEqual(w.metadata, {});
      assert.equal(w.status, 'enabled');
      assert.equal(w.url, req.url);
      assert.equal(w.livemode, false);
      assert.equal(w.api_version, '1.0.1');
      assert.deepEqual(w.enabled_events, req.enabled_events);
      assert.match(w.secret, /^whsec_[A-Za-z0-9]{32}$/);
      const got = await g.api('GET', `/v1/webhook_endpoints/${w.id}`);
      assert.equal(got.body.secret, undefined);
      assert.equal(got.body.url, req.url);
      const list = await g.api('GET', '/v1/webhook_endpoints');
      assert.ok(list.body.data.some((x: any) => x.id === w.id && x.secret === undefined));
      const updated = await g.api('POST', `/v1/webhook_endpoints/${w.id}`, { description: 'changed', enabled_events: ['*'], metadata: { team: 'ops' } });
      assert.equal(updated.body.description, 'changed');
      assert.deepEqual(updated.body.enabled_events, ['*']);
      assert.deepEqual(updated.body.metadata, { team: 'ops' });
      const deleted = await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
      assert.deepEqual(deleted.body, { id: w.id, object: 'webhook_endpoint', deleted: true });
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${w.id}`)).status, 404);
    });

    test('unknown event types and bad URLs are 400s naming the parameter', async () => {
      const bad = await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/x`, enabled_events: ['payment_intent.created', 'payment_intent.exploded'] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.param, 'enabled_events[1]');
      assert.match(bad.body.error.message, /payment_intent\.exploded/);
      const url = await g.api('POST', '/v1/webhook_endpoints', { url: 'ftp://example.com/x', enabled_events: ['*'] });
      assert.equal(url.status, 400);
      assert.equal(url.body.error.param, 'url');
      const none = await g.api('POST', '/v1/webhook_endpoints', { enabled_events: ['*'] });
      assert.equal(none.body.error.param, 'url');
    });

    test('live mode refuses URLs that reach private or loopback addresses, in every spelling; test mode allows localhost', async () => {
      const liveKey = await rollKey(g.gateway.db, g.gateway.account.accountId, 'secret', true, Date.now());
      const stored = async () => (await g.api('GET', '/v1/webhook_endpoints?limit=100', undefined, { key: liveKey })).body.data.length;
      const before = await stored();
      for (const url of [
        'https://127.0.0.1/hook', 'https://localhost/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'http://93.184.216.34/hook',
        'https://[::ffff:127.0.0.1]/', 'https://[::ffff:169.254.169.254]/latest', 'https://[::127.0.0.1]/', 'https://[64:ff9b::a9fe:a9fe]/latest',
        'https://[fec0::1]/', 'https://2130706433/', 'https://0x7f.1/', 'https://127.1/', 'https://[2002:7f00:1::1]/', 'https://[fe80::1]/',
      ]) {
        const res = await g.api('POST', '/v1/webhook_endpoints', { url, enabled_events: ['*'] }, { key: liveKey });
        assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, 'url');
      }
      assert.equal(await stored(), before, 'nothing was stored');
      const test = await g.api('POST', '/v1/webhook_endpoints', { url: 'http://localhost:9/hook', enabled_events: ['*'] });
      assert.equal(test.status, 200);
      await g.api('DELETE', `/v1/webhook_endpoints/${test.body.id}`);
    });

    test('test mode never sends to link-local (cloud metadata) addresses, even with private URLs allowed', async () => {
      const before = (await g.api('GET', '/v1/webhook_endpoints?limit=100')).body.data.length;
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://2852039166/', 'http://[fe80::1]/', 'http://0.0.0.0:9/']) {
        const res = await g.api('POST', '/v1/webhook_endpoints', { url, enabled_events: ['*'] });
        assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, 'url');
        assert.match(res.body.error.message, /never go there/);
      }
      assert.equal((await g.api('GET', '/v1/webhook_endpoints?limit=100')).body.data.length, before);
    });

    test('a loopback receiver\'s reply is never stored: its status and latency are, its body is not', async () => {
      const w = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/inside`, enabled_events: ['payment_intent.created'] })).body;
      rx.respond = (r, res) => {
        res.statusCode = r.path === '/inside' ? 202 : 200;
        res.end(r.path === '/inside' ? '{"AccessKeyId":"ASIA-inside-secret"}' : 'ok');
      };
      const pi = (await g.api('POST', '/v1/payment_intents', { amount: 9, currency: 'CNY' })).body;
      const ev = (await g.api('GET', '/v1/events?type=payment_intent.created&limit=1')).body.data[0];
      assert.equal(ev.data.object.id, pi.id);
      const d = await eventually(async () => {
        const x = (await g.api('GET', `/v1/webhook_deliveries?event=${ev.id}&webhook_endpoint=${w.id}`)).body.data[0];
        return x?.status === 'succeeded' ? x : undefined;
      });
      assert.equal(rx.got.filter((r) => r.path === '/inside').length, 1, 'the receiver was reached and answered');
      assert.equal(d.attempts[0].http_status, 202);
      assert.equal(typeof d.attempts[0].latency_ms, 'number');
      assert.equal(d.attempts[0].response_excerpt, null);
      assert.equal((await g.api('GET', `/v1/webhook_deliveries/${d.id}`)).body.attempts[0].response_excerpt, null);
      const rows = await g.gateway.db.query<{ response_excerpt: string | null }>(
        'SELECT a.response_excerpt FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1', [w.id]);
      assert.deepEqual(rows.map((r) => r.response_excerpt), [null]);
      rx.respond = (_r, res) => res.end('ok');
      await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
    });

    test('every event reaches every enabled endpoint that wants it, signed so the stripe SDK verifies it unchanged', async () => {
      const all = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/all`, enabled_events: ['*'] })).body;
      const some = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/some`, enabled_events: ['payment_intent.succeeded', 'charge.refunded'] })).body;
      const off = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/off`, enabled_events: ['*'] })).body;
      await g.api('POST', `/v1/webhook_endpoints/${off.id}`, { disabled: true });
      const pi = await paidIntent(g);
      await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 5 });
      const expectAll = ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded', 'charge.succeeded', 'refund.created', 'refund.updated', 'charge.refund.updated', 'charge.refunded'];
      await eventually(async () => rx.events('/all').filter((e) => e.data.object.id === pi.id || e.data.object.payment_intent === pi.id).length >= expectAll.length);
      await eventually(async () => rx.events('/some').length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      const mine = rx.got.filter((r) => r.path === '/all').filter((r) => {
        const o = JSON.parse(r.body).data.object;
        return o.id === pi.id || o.payment_intent === pi.id;
      });
      assert.deepEqual(mine.map((r) => JSON.parse(r.body).type).sort(), [...expectAll].sort());
      for (const r of mine) {
        const ev = verifier.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, all.secret);
        assert.equal(ev.object, 'event');
        assert.match(ev.id, /^evt_/);
        assert.equal(r.headers['wooshpay-signature'], r.headers['stripe-signature']);
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      }
      assert.throws(() => verifier.webhooks.constructEvent(mine[0]!.body, mine[0]!.headers['stripe-signature'] as string, some.secret));
      assert.deepEqual(rx.events('/some').map((e) => e.type).sort(), ['charge.refunded', 'payment_intent.succeeded']);
      assert.equal(rx.events('/off').length, 0, 'a disabled endpoint gets nothing');
      for (const w of [all, some, off]) await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
    });

    test('a cancel that Antom must close first: its payment_intent.canceled names the cancel request and its Idempotency-Key', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 78, currency: 'CNY' })).body;
      assert.equal(pi.status, 'requires_action');
      const canceled = await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: 'abandoned' }, { idempotencyKey: 'evt-cancel-1' });
      assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
      assert.equal(canceled.body.status, 'canceled');
      const ev = (await g.api('GET', '/v1/events?type=payment_intent.canceled&limit=100')).body.data.find((e: any) => e.data.object.id === pi.id);
      assert.deepEqual(ev?.request, { id: canceled.headers.get('request-id'), idempotency_key: 'evt-cancel-1' });
    });

    test('events API: Stripe\'s event object, type and created filters, pagination, previous_attributes, request', async () => {
      const created = await g.api('POST', '/v1/payment_intents', { amount: 77, currency: 'CNY' }, { idempotencyKey: 'evt-req-1' });
      const list = await g.api('GET', '/v1/events?type=payment_intent.created&limit=1');
      const ev = list.body.data[0];
      assert.equal(ev.object, 'event');
      assert.equal(ev.type, 'payment_intent.created');
      assert.equal(ev.data.object.id, created.body.id);
      assert.equal(ev.api_version, '2023-08-16');
      assert.equal(ev.livemode, false);
      assert.equal(typeof ev.pending_webhooks, 'number');
      assert.deepEqual(ev.request, { id: created.headers.get('request-id'), idempotency_key: 'evt-req-1' });
      assert.deepEqual((await g.api('GET', `/v1/events/${ev.id}`)).body, ev);
      const pi = await paidIntent(g);
      await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 1 });
      const upd = (await g.api('GET', '/v1/events?type=refund.updated&limit=1')).body.data[0];
      assert.deepEqual(upd.data.previous_attributes, { status: 'pending' });
      assert.equal(upd.data.object.status, 'succeeded');
      const wild = await g.api('GET', '/v1/events?type=refund.*&limit=100');
      assert.ok(wild.body.data.length >= 2 && wild.body.data.every((e: any) => e.type.startsWith('refund.')));
      const types = await g.api('GET', '/v1/events?types[]=charge.succeeded&types[]=charge.refunded&limit=100');
      assert.ok(types.body.data.every((e: any) => ['charge.succeeded', 'charge.refunded'].includes(e.type)));
      const page1 = await g.api('GET', '/v1/events?limit=2');
      const page2 = await g.api('GET', `/v1/events?limit=2&starting_after=${page1.body.data[1].id}`);
      assert.ok(page2.body.data[0].created <= page1.body.data[1].created);
      assert.notEqual(page2.body.data[0].id, page1.body.data[1].id);
      const old = await g.api('GET', '/v1/events?created[lt]=1000000000000');
      assert.deepEqual(old.body.data, []);
      assert.equal((await g.api('GET', '/v1/events/evt_nope')).status, 404);
    });

    test('a failing endpoint is retried with a fresh signature; every attempt is recorded; pending_webhooks tells the truth', async () => {
      const w = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/flaky`, enabled_events: ['payment_intent.created'] })).body;
      let calls = 0;
      rx.respond = (r, res) => {
        if (r.path !== '/flaky') return void res.end('ok');
        calls++;
        if (calls <= 2) {
          res.statusCode = 503;
          res.end('{"error":"down for maintenance"}');
        } else res.end('thanks');
      };
      const pi = (await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' })).body;
      const ev = (await g.api('GET', '/v1/events?type=payment_intent.created&limit=1')).body.data[0];
      assert.equal(ev.data.object.id, pi.id);
      assert.equal(ev.pending_webhooks, 1);
      const delivery = await eventually(async () => {
        const d = (await g.api('GET', `/v1/webhook_deliveries?event=${ev.id}`)).body.data[0];
        return d?.status === 'succeeded' ? d : undefined;
      });
      assert.equal(delivery.attempt_count, 3);
      assert.deepEqual(delivery.attempts.map((a: any) => a.http_status), [503, 503, 200]);
      assert.equal(delivery.attempts[0].response_excerpt, null, 'a loopback receiver\'s answer is never kept');
      assert.ok(delivery.attempts.every((a: any) => typeof a.latency_ms === 'number' && a.created > 1e12));
      assert.equal((await g.api('GET', `/v1/events/${ev.id}`)).body.pending_webhooks, 0);
      const flaky = rx.got.filter((r) => r.path === '/flaky');
      assert.equal(flaky.length, 3);
      for (const r of flaky) verifier.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, w.secret);
      rx.respond = (_r, res) => res.end('ok');
      await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
    });

    test('when the schedule runs out the delivery ends as failed, and the event no longer counts it', async () => {
      const w = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/dead`, enabled_events: ['payment_intent.canceled'] })).body;
      rx.respond = (r, res) => {
        res.statusCode = r.path === '/dead' ? 500 : 200;
        res.end();
      };
      const pi = (await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' })).body;
      await g.api('POST', `/v1/payment_intents/${pi.id}/cancel`, {});
      const ev = (await g.api('GET', '/v1/events?type=payment_intent.canceled&limit=1')).body.data[0];
      const d = await eventually(async () => {
        const x = (await g.api('GET', `/v1/webhook_deliveries?event=${ev.id}&webhook_endpoint=${w.id}`)).body.data[0];
        return x?.status === 'failed' ? x : undefined;
      });
      assert.equal(d.attempt_count, 3, 'one attempt and the two retries of the schedule');
      assert.equal((await g.api('GET', `/v1/events/${ev.id}`)).body.pending_webhooks, 0);
      rx.respond = (_r, res) => res.end('ok');
      await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
    });

    test('a hanging endpoint never holds up another endpoint\'s deliveries', async () => {
      // A gateway of its own whose sends wait a minute for an answer, so "still open" is certain.
      const slow = await startGateway({ store: kind, env: { WEBHOOK_TIMEOUT_MS: '60000' } });
      const held: ServerResponse[] = [];
      const own = await new Receiver().start();
      own.respond = (r, res) => (r.path === '/hang' ? held.push(res) : res.end('ok'));
      try {
        const hang = (await slow.api('POST', '/v1/webhook_endpoints', { url: `${own.url}/hang`, enabled_events: ['payment_intent.created'] })).body;
        await slow.api('POST', '/v1/webhook_endpoints', { url: `${own.url}/fast`, enabled_events: ['payment_intent.created'] });
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push((await slow.api('POST', '/v1/payment_intents', { amount: 10 + i, currency: 'CNY' })).body.id);
        await eventually(async () => ids.every((id) => own.events('/fast').some((e) => e.data.object.id === id)));
        // Proof without a stopwatch: an attempt is recorded when it ends, and none of the hanging
        // endpoint's has ended, so the fast endpoint never waited for them.
        const [ended] = await slow.gateway.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1', [hang.id]);
        assert.equal(ended!.n, 0, 'every send to the hanging endpoint was still open');
        assert.ok(held.length > 0, 'the hanging endpoint was being sent to meanwhile');
      } finally {
        for (const res of held) res.end('ok');
        await slow.stop();
        await own.stop();
      }
    });
  });

  describe(`with WEBHOOK_ALLOW_PRIVATE_URLS off, test mode cannot reach inside [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Receiver;
    before(async () => {
      rx = await new Receiver().start();
      g = await startGateway({ store: kind, env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'off', WEBHOOK_RETRY_SCHEDULE_MS: '100' } });
    });
    after(async () => {
      await g?.stop();
      await rx?.stop();
    });

    test('loopback and private URLs are 400s naming url at create and update, in every spelling, and nothing is stored', async () => {
      const port = new URL(rx.url).port;
      const urls = [
        `http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://2130706433:${port}/`, `http://0x7f.1:${port}/`, `http://127.1:${port}/`,
        `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://[::127.0.0.1]:${port}/`, 'http://10.0.0.8/', 'http://192.168.0.1/',
        'http://[fd00::1]/', 'http://[fec0::1]/', 'http://169.254.169.254/latest/meta-data/',
      ];
      for (const url of urls) {
        const res = await g.api('POST', '/v1/webhook_endpoints', { url, enabled_events: ['*'] });
        assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.param, 'url');
      }
      assert.deepEqual((await g.api('GET', '/v1/webhook_endpoints')).body.data, []);
      const w = await insertEndpoint(g, 'we_public', false, 'https://shop.example/hook');
      const upd = await g.api('POST', `/v1/webhook_endpoints/${w}`, { url: `http://127.0.0.1:${port}/` });
      assert.equal(upd.status, 400);
      assert.equal(upd.body.error.param, 'url');
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${w}`)).body.url, 'https://shop.example/hook');
      await g.api('DELETE', `/v1/webhook_endpoints/${w}`);
    });

    test('an endpoint that leads inside is refused at connect time, literal addresses and names alike', async () => {
      // Written directly: these are the rows an endpoint saved before the rules (or before DNS changed) leaves behind.
      const port = new URL(rx.url).port;
      const ids = [
        await insertEndpoint(g, 'we_literal', false, `http://127.0.0.1:${port}/literal`),
        await insertEndpoint(g, 'we_mapped', false, `http://[::ffff:127.0.0.1]:${port}/mapped`),
        await insertEndpoint(g, 'we_decimal', false, `http://2130706433:${port}/decimal`),
        await insertEndpoint(g, 'we_name', false, `http://localhost:${port}/name`),
      ];
      await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' });
      for (const id of ids) {
        const d = await eventually(async () => {
          const x = (await g.api('GET', `/v1/webhook_deliveries?webhook_endpoint=${id}`)).body.data[0];
          return x?.status === 'failed' ? x : undefined;
        });
        assert.ok(d.attempts.length >= 1);
        for (const a of d.attempts) {
          assert.match(a.error, /^refused: .*(loopback|127\.0\.0\.1).*WEBHOOK_ALLOW_PRIVATE_URLS/, id);
          assert.equal(a.http_status, null);
        }
      }
      assert.equal(rx.got.length, 0, 'nothing reached the loopback receiver');
    });
  });
}

/** An endpoint row as an older rule or an older DNS answer let it be saved. */
async function insertEndpoint(g: TestGateway, id: string, livemode: boolean, url: string): Promise<string> {
  const now = Date.now();
  await g.gateway.db.query(
    `INSERT INTO webhook_endpoints (id, account_id, livemode, created, updated, url, enabled_events, status, secret)
     VALUES ($1, $2, $3, $4, $4, $5, '["*"]'::jsonb, 'enabled', 'whsec_x')`,
    [id, g.gateway.account.accountId, livemode, now, url],
  );
  return id;
}

describe('an endpoint failing for too long is disabled, with an event', () => {
  let g: TestGateway;
  let rx: Receiver;
  before(async () => {
    rx = await new Receiver().start();
    g = await startGateway({ store: 'pglite', env: { WEBHOOK_RETRY_SCHEDULE_MS: '200,200,200,200,200,200', WEBHOOK_DISABLE_AFTER_MS: '600' } });
  });
  after(async () => {
    await g?.stop();
    await rx?.stop();
  });

  test('after failing past the threshold: status disabled, webhook_endpoint.disabled to the other endpoints, pending ones given up', async () => {
    rx.respond = (r, res) => {
      res.statusCode = r.path === '/broken' ? 500 : 200;
      res.end();
    };
    const broken = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/broken`, enabled_events: ['*'] })).body;
    await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/watcher`, enabled_events: ['webhook_endpoint.disabled'] });
    await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' });
    const disabled = await eventually(async () => {
      const w = (await g.api('GET', `/v1/webhook_endpoints/${broken.id}`)).body;
      return w.status === 'disabled' ? w : undefined;
    }, 8000);
    assert.equal(disabled.status, 'disabled');
    const notice = await eventually(async () => rx.events('/watcher').find((e) => e.type === 'webhook_endpoint.disabled'));
    assert.equal(notice.data.object.id, broken.id);
    const pending = await g.api('GET', `/v1/webhook_deliveries?webhook_endpoint=${broken.id}&status=pending`);
    assert.deepEqual(pending.body.data, []);
    const before = rx.got.filter((r) => r.path === '/broken').length;
    await g.api('POST', '/v1/payment_intents', { amount: 6, currency: 'CNY' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rx.got.filter((r) => r.path === '/broken').length, before, 'nothing more goes to a disabled endpoint');
    const enabledAgain = await g.api('POST', `/v1/webhook_endpoints/${broken.id}`, { disabled: false });
    assert.equal(enabledAgain.body.status, 'enabled');
  });
});

describe('a send that outlives its lease', () => {
  let g: TestGateway;
  let rx: Receiver;
  let offset = 0;
  before(async () => {
    rx = await new Receiver().start();
    g = await startGateway({ store: 'pglite', clock: { now: () => Date.now() + offset }, env: { WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_RETRY_SCHEDULE_MS: '60000' } });
  });
  after(async () => {
    await g?.stop();
    await rx?.stop();
  });

  test('keeps its own attempt number, and neither it nor a later claim reschedules what the other delivered', async () => {
    const held: ServerResponse[] = [];
    rx.respond = (_r, res) => {
      if (held.length === 0) held.push(res); // the first send hangs, as a slow endpoint would
      else res.end('ok');
    };
    const endpoint = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/slow`, enabled_events: ['payment_intent.created'] })).body;
    await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' });
    await eventually(async () => rx.got.length === 1);
    // The lease (2 × timeout + 1 s) runs out while the first send is still waiting: the delivery is claimed again and sent.
    offset += 60_000;
    g.gateway.webhooks.kick();
    await eventually(async () => rx.got.length === 2);
    const delivery = await eventually(async () => {
      const d = (await g.api('GET', `/v1/webhook_deliveries?webhook_endpoint=${endpoint.id}`)).body.data[0];
      return d?.status === 'succeeded' ? d : undefined;
    });
    // Now the first send gets its answer: a 500, too late to matter.
    held[0]!.statusCode = 500;
    held[0]!.end();
    const attempts = await eventually(async () => {
      const rows = await g.gateway.db.query<{ attempt: number; http_status: number }>('SELECT attempt, http_status FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt', [delivery.id]);
      return rows.length === 2 ? rows : undefined;
    });
    assert.deepEqual(attempts.map((a) => [a.attempt, a.http_status]), [[1, 500], [2, 200]]);
    const after = (await g.api('GET', `/v1/webhook_deliveries/${delivery.id}`)).body;
    assert.equal(after.status, 'succeeded');
    assert.equal(after.next_attempt_at, null, 'the late 500 did not schedule a retry of a delivered event');
  });
});

describe('delivery re-checks the address it connects to', () => {
  let g: TestGateway;
  let rx: Receiver;
  before(async () => {
    rx = await new Receiver().start();
    g = await startGateway({ store: 'pglite', env: { WEBHOOK_RETRY_SCHEDULE_MS: '100' } });
  });
  after(async () => {
    await g?.stop();
    await rx?.stop();
  });

  test('a live endpoint whose host now resolves to loopback is refused at send time (DNS rebinding)', async () => {
    // Saved while it pointed elsewhere; today the name leads to loopback. Written directly, as only DNS changed.
    const liveKey = await rollKey(g.gateway.db, g.gateway.account.accountId, 'secret', true, Date.now());
    await insertEndpoint(g, 'we_rebound', true, `${rx.url.replace('127.0.0.1', 'localhost')}/rebound`);
    // A literal is never looked up, so it is judged as written: an IPv4-mapped loopback in live mode.
    await insertEndpoint(g, 'we_mapped_live', true, `${rx.url.replace('127.0.0.1', '[::ffff:127.0.0.1]')}/mapped`);
    const created = await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' }, { key: liveKey });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    for (const [id, why] of [['we_rebound', /refused: localhost resolves to .*loopback/], ['we_mapped_live', /refused: ::ffff:7f00:1 is a form of 127\.0\.0\.1, a loopback address; live mode/]] as const) {
      const d = await eventually(async () => {
        const x = (await g.api('GET', `/v1/webhook_deliveries?webhook_endpoint=${id}`, undefined, { key: liveKey })).body.data[0];
        return x?.status === 'failed' ? x : undefined;
      });
      assert.match(d.attempts[0].error, why);
    }
    assert.equal(rx.got.length, 0, 'nothing reached the loopback receiver');
  });

  test('a live delivery never rides a keep-alive socket that a test-mode delivery opened to loopback', async () => {
    const liveKey = await rollKey(g.gateway.db, g.gateway.account.accountId, 'secret', true, Date.now());
    const local = rx.url.replace('127.0.0.1', 'localhost');
    const testEndpoint = (await g.api('POST', '/v1/webhook_endpoints', { url: `${local}/test-mode`, enabled_events: ['payment_intent.created'] })).body;
    await g.api('POST', '/v1/payment_intents', { amount: 5, currency: 'CNY' });
    await eventually(async () => (await g.api('GET', `/v1/webhook_deliveries?webhook_endpoint=${testEndpoint.id}&status=succeeded`)).body.data.length === 1);
    // The test-mode socket to localhost is now idle in a keep-alive pool; a rebound live endpoint names the same origin.
    await insertEndpoint(g, 'we_pooled', true, `${local}/live-mode`);
    await g.api('POST', '/v1/payment_intents', { amount: 6, currency: 'CNY' }, { key: liveKey });
    const d = await eventually(async () => {
      const x = (await g.api('GET', '/v1/webhook_deliveries?webhook_endpoint=we_pooled', undefined, { key: liveKey })).body.data[0];
      return x?.status === 'failed' ? x : undefined;
    });
    assert.match(d.attempts[0].error, /refused: localhost resolves to .*loopback/);
    assert.equal(rx.got.filter((r) => r.path === '/live-mode').length, 0, 'the live delivery reached loopback');
  });
});
