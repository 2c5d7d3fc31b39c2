/**
 * Webhook delivery in bulk (delivery/webhooks.ts, DeliveryRepo.claimDue/recordResults), on PGlite
 * and (when reachable) PostgreSQL, against a real local receiver: many deliveries claimed and
 * recorded together still end with one attempt each, a hanging endpoint holds only its own
 * deliveries, deliveries claimed ahead and never sent are handed back when the worker stops, and
 * one endpoint's sends share a few kept-alive connections.
 *
 * Nothing sleeps a fixed time: every wait is for a condition, with a deadline.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';

/** A receiver that counts the TCP connections it was opened with; `respond` decides each answer. */
class Receiver {
  readonly got: { path: string; body: string }[] = [];
  connections = 0;
  respond: (path: string, res: ServerResponse) => void = (_p, res) => res.end('ok');
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        this.got.push({ path: req.url ?? '', body });
        this.respond(req.url ?? '', res);
      });
    });
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Row {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  recorded: number;
}

async function deliveriesOf(g: TestGateway, endpointId: string): Promise<Row[]> {
  return g.gateway.db.query<Row & Record<string, unknown>>(
    `SELECT d.id, d.status, d.attempts, d.next_attempt_at, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS recorded
       FROM webhook_deliveries d WHERE d.endpoint_id = $1 ORDER BY d.seq`, [endpointId]);
}

async function createIntents(g: TestGateway, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await g.api('POST', '/v1/payment_intents', { amount: 100 + i, currency: 'CNY' })).status, 200);
}

for (const { kind, skip } of await stores()) {
  describe(`webhook deliveries in bulk [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Receiver;
    before(async () => {
      rx = await new Receiver().start();
      // Four sends at once per endpoint (the default is 16), so that the caps below are reached.
      g = await startGateway({ store: kind, env: { WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_RETRY_SCHEDULE_MS: '600000', WEBHOOK_PER_ENDPOINT: '4' } });
    });
    after(async () => {
      await g?.stop();
      await rx?.stop();
    });

    test('one endpoint hanging and one answering: every delivery is recorded once, with its attempt, and pending_webhooks tells the truth', async () => {
      const held: ServerResponse[] = [];
      rx.respond = (path, res) => (path === '/hang' ? held.push(res) : res.end('ok'));
      const hang = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/hang`, enabled_events: ['payment_intent.created'] })).body;
      const fast = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/fast`, enabled_events: ['payment_intent.created'] })).body;
      try {
        const n = 24;
        await createIntents(g, n);
        // The answering endpoint's deliveries all end while the hanging one still holds its first sends.
        const done = await eventually(async () => {
          const rows = await deliveriesOf(g, fast.id);
          return rows.length === n && rows.every((r) => r.status === 'succeeded') ? rows : undefined;
        });
        for (const r of done) assert.deepEqual([r.attempts, r.recorded], [1, 1], `${r.id}: one claim, one attempt recorded`);
        // Each hanging send ends at the timeout and is recorded once, scheduled for its retry.
        const slow = await eventually(async () => {
          const rows = await deliveriesOf(g, hang.id);
          return rows.length === n && rows.every((r) => r.recorded === 1) ? rows : undefined;
        }, 60_000, 100);
        for (const r of slow) {
          assert.equal(r.status, 'pending');
          assert.equal(r.attempts, 1);
          assert.ok(r.next_attempt_at! > Date.now() + 300_000, `${r.id} waits for its retry, not for a lease`);
        }
        const errors = await g.gateway.db.query<{ error: string | null; http_status: number | null }>(
          'SELECT a.error, a.http_status FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1', [hang.id]);
        assert.ok(errors.every((e) => e.http_status === null && /within 1000 ms/.test(e.error ?? '')), JSON.stringify(errors[0]));
        // One delivery of each event still goes on (the hanging endpoint's retry); none was counted twice.
        const events = await g.gateway.db.query<{ pending_webhooks: number }>(
          "SELECT e.pending_webhooks FROM events e WHERE e.id IN (SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1)", [fast.id]);
        assert.equal(events.length, n);
        assert.ok(events.every((e) => e.pending_webhooks === 1), JSON.stringify(events.map((e) => e.pending_webhooks)));
      } finally {
        for (const res of held) res.end('ok');
        await g.api('DELETE', `/v1/webhook_endpoints/${hang.id}`);
        await g.api('DELETE', `/v1/webhook_endpoints/${fast.id}`);
      }
    });

    test('an endpoint\'s sends reuse a few kept-alive connections', async () => {
      rx.respond = (_p, res) => res.end('ok');
      const ep = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/keepalive`, enabled_events: ['payment_intent.created'] })).body;
      try {
        const before = rx.connections;
        const n = 40;
        await createIntents(g, n);
        await eventually(async () => (await deliveriesOf(g, ep.id)).filter((r) => r.status === 'succeeded').length === n);
        const opened = rx.connections - before;
        assert.ok(opened >= 1 && opened <= 4, `${n} deliveries over ${opened} TCP connections (WEBHOOK_PER_ENDPOINT is 4)`);
      } finally {
        await g.api('DELETE', `/v1/webhook_endpoints/${ep.id}`);
      }
    });

    test('deliveries claimed ahead and not yet sent when the worker stops are handed back: due now, their claim not counted, nothing sent after the stop', async () => {
      rx.respond = (_p, res) => res.end('ok');
      // A gateway of its own whose sends wait long for an answer, so the held ones stay open.
      // Eight sends at once per endpoint, and four times that claimed ahead for a quick one.
      const g = await startGateway({ store: kind, env: { WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_PER_ENDPOINT: '8' } });
      const held: ServerResponse[] = [];
      try {
        const ep = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/ahead`, enabled_events: ['payment_intent.created'] })).body;
        const sent = () => rx.got.filter((r) => r.path === '/ahead').length;
        // A first quick 2xx: the endpoint is known to answer quickly, so its deliveries are claimed ahead.
        await createIntents(g, 1);
        await eventually(async () => (await deliveriesOf(g, ep.id))[0]?.status === 'succeeded');
        rx.respond = (_p, res) => held.push(res);
        const n = 30;
        await createIntents(g, n);
        // Eight sends open (WEBHOOK_PER_ENDPOINT) and the rest claimed, waiting their turn.
        await eventually(async () => held.length === 8 && (await deliveriesOf(g, ep.id)).filter((r) => r.status === 'pending' && r.attempts === 1).length === n);
        const stopping = g.gateway.webhooks.stop();
        for (const res of held) res.end('ok');
        await stopping;
        const rows = (await deliveriesOf(g, ep.id)).slice(1);
        const answered = rows.filter((r) => r.status === 'succeeded');
        const back = rows.filter((r) => r.status === 'pending');
        assert.equal(answered.length, 8, 'the sends under way at the stop were finished and recorded');
        for (const r of answered) assert.deepEqual([r.attempts, r.recorded], [1, 1]);
        assert.equal(back.length, n - 8);
        const now = Date.now();
        for (const r of back) {
          assert.deepEqual([r.attempts, r.recorded], [0, 0], `${r.id} was never sent, and its claim is not counted`);
          assert.ok(r.next_attempt_at! <= now, `${r.id} is due at once, not after its lease`);
        }
        assert.equal(sent(), 1 + 8, 'nothing was sent after the stop');
        // Claimable now by any process.
        const claimed = await g.gateway.core.store.deliveries.claimDue(now, 100, 60_000, new Map(), 100);
        assert.deepEqual(claimed.map((d) => d.delivery.id).sort(), back.map((r) => r.id).sort());
      } finally {
        for (const res of held) res.end('ok');
        rx.respond = (_p, res) => res.end('ok');
        await g.stop();
      }
    });

    test('a delivery claimed ahead is sent only while its lease still covers the send: one whose lease ran down while it waited is handed back and claimed afresh', async () => {
      // The gateway's clock can be moved on: a wait of a minute passes at once. Sends may take 60 s,
      // so a claim's lease is 121 s, and two go at once to an endpoint.
      let offset = 0;
      const now = () => Date.now() + offset;
      const g = await startGateway({ store: kind, clock: { now }, env: { WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_PER_ENDPOINT: '2' } });
      const held: ServerResponse[] = [];
      /** For each send after the clock moved: how much of its delivery's lease was left when it arrived. */
      const left: { event: string; ms: number }[] = [];
      try {
        const ep = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/lease`, enabled_events: ['payment_intent.created'] })).body;
        await createIntents(g, 1);
        await eventually(async () => (await deliveriesOf(g, ep.id))[0]?.status === 'succeeded');
        rx.respond = (_p, res) => held.push(res);
        const n = 10;
        await createIntents(g, n);
        // Two sends open, the other eight claimed ahead, waiting their turn under a lease of 121 s.
        await eventually(async () => held.length === 2 && (await deliveriesOf(g, ep.id)).filter((r) => r.status === 'pending' && r.attempts === 1).length === n);
        // 61 s later (by the gateway's clock) the waiting ones have 60 s of lease left: less than a
        // send may take and its recording.
        offset += 61_000;
        rx.respond = (path, res) => {
          const event = (JSON.parse(rx.got.at(-1)!.body) as { id: string }).id;
          void g.gateway.db.query<{ next_attempt_at: number }>('SELECT next_attempt_at FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2', [event, ep.id])
            .then(([row]) => {
              left.push({ event, ms: Number(row!.next_attempt_at) - now() });
              res.end('ok');
            });
        };
        for (const res of held.splice(0)) res.end('ok');
        const rows = await eventually(async () => {
          const all = (await deliveriesOf(g, ep.id)).slice(1);
          return all.every((r) => r.status === 'succeeded') ? all : undefined;
        }, 30_000);
        assert.equal(left.length, n - 2, 'the eight that waited were sent after the clock moved');
        for (const l of left) assert.ok(l.ms > 60_000, `${l.event} was sent with ${l.ms} ms of its lease left, less than the 60 s a send may take`);
        for (const r of rows) assert.deepEqual([r.attempts, r.recorded], [1, 1], `${r.id}: one attempt counted and recorded (a claim handed back is not counted)`);
      } finally {
        for (const res of held) res.end('ok');
        rx.respond = (_p, res) => res.end('ok');
        await g.stop();
      }
    });

    test('an endpoint that answered quickly and then hangs holds at most half of what a process holds: another endpoint\'s deliveries still go', async () => {
      // 16 held by the process at once, 4 sends per endpoint: a quick endpoint may have 8 claimed
      // ahead (not 4 × 16), so 8 slots stay for everyone else while its sends hang.
      const g = await startGateway({ store: kind, env: { WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_PER_ENDPOINT: '4', WEBHOOK_MAX_IN_FLIGHT: '16' } });
      const held: ServerResponse[] = [];
      try {
        const slow = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/quick-then-hang`, enabled_events: ['payment_intent.created'] })).body;
        await createIntents(g, 1);
        await eventually(async () => (await deliveriesOf(g, slow.id))[0]?.status === 'succeeded');
        rx.respond = (path, res) => (path === '/quick-then-hang' ? held.push(res) : res.end('ok'));
        const other = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/other`, enabled_events: ['payment_intent.created'] })).body;
        const n = 30;
        await createIntents(g, n);
        await eventually(async () => (await deliveriesOf(g, other.id)).filter((r) => r.status === 'succeeded').length === n, 30_000);
        const claimed = (await deliveriesOf(g, slow.id)).filter((r) => r.status === 'pending' && r.attempts === 1);
        assert.equal(held.length, 4, 'four sends to the hanging endpoint are open');
        assert.ok(claimed.length <= 8, `the hanging endpoint holds ${claimed.length} deliveries (at most half of 16)`);
      } finally {
        for (const res of held) res.end('ok');
        rx.respond = (_p, res) => res.end('ok');
        await g.stop();
      }
    });
  });
}
