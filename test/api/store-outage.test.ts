/**
 * The database going away under a running gateway: every door answers at once, with a 503 in its
 * own shape (never a hang, never a 500, never the database's words), `/readyz` says why, and when
 * the database is back the gateway serves again by itself, without a restart. The outage is real
 * for the gateway: its connections go through a TCP relay to PostgreSQL that the test cuts (every
 * open connection dropped, new ones refused) and then restores.
 *
 * `/readyz` also answers 503 while any migration this build knows is not applied.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { eventually, startGateway, stores, TEST_DATABASE_URL, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_CHECKOUT, SEED_000_WEB } from '../helpers/seeds.js';
import { CORE_MIGRATIONS } from '../../src/store/migrate.js';
import { SIMULATOR_MIGRATIONS } from '../../src/simulator/index.js';

/** A TCP relay to PostgreSQL on a port of its own, which can be cut and restored. */
class Relay {
  private server: net.Server | undefined;
  private readonly open = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    if (this.server) await this.cut();
  }

  /** Every open connection dropped, as pg_terminate_backend or a database restart does; new ones get through. */
  drop(): void {
    for (const s of this.open) s.destroy();
  }

  /** Every connection dropped, and new ones refused, until {@link listen} again. */
  async cut(): Promise<void> {
    const server = this.server!;
    this.server = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const s of this.open) s.destroy();
    await closed;
  }
}

const NEWEST = [...CORE_MIGRATIONS, ...SIMULATOR_MIGRATIONS].at(-1)!.id;

for (const { kind, skip } of await stores()) {
  describe(`readiness [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('/readyz is 200 when the store answers and is migrated; 503 naming the migration when it is not, 200 again once it is', async () => {
      const ready = await fetch(`${g.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true });
      const [row] = await g.gateway.db.query<{ applied_at: number }>('SELECT applied_at FROM schema_migrations WHERE id = $1', [NEWEST]);
      await g.gateway.db.query('DELETE FROM schema_migrations WHERE id = $1', [NEWEST]);
      try {
        const missing = await fetch(`${g.url}/readyz`);
        assert.equal(missing.status, 503);
        assert.equal(missing.headers.get('retry-after'), '2');
        assert.deepEqual(await missing.json(), { ready: false, reason: `migration ${NEWEST} is not applied` });
        assert.equal((await fetch(`${g.url}/healthz`)).status, 200, 'alive all the same');
      } finally {
        await g.gateway.db.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [NEWEST, row!.applied_at]);
      }
      assert.equal((await fetch(`${g.url}/readyz`)).status, 200);
      // One in the middle counts as much: a build may add a migration before ones already applied.
      const MIDDLE = CORE_MIGRATIONS[Math.floor(CORE_MIGRATIONS.length / 2)]!.id;
      const [mid] = await g.gateway.db.query<{ applied_at: number }>('SELECT applied_at FROM schema_migrations WHERE id = $1', [MIDDLE]);
      await g.gateway.db.query('DELETE FROM schema_migrations WHERE id = $1', [MIDDLE]);
      try {
        const missing = await fetch(`${g.url}/readyz`);
        assert.equal(missing.status, 503);
        assert.deepEqual(await missing.json(), { ready: false, reason: `migration ${MIDDLE} is not applied` });
      } finally {
        await g.gateway.db.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [MIDDLE, mid!.applied_at]);
      }
      assert.equal((await fetch(`${g.url}/readyz`)).status, 200);
    });
  });
}

const [, pg] = await stores();

/** A gateway on PostgreSQL whose every connection goes through a relay the test can cut. */
async function gatewayThroughRelay(env: Record<string, string>, logStream?: { write(line: string): void }): Promise<{ g: TestGateway; relay: Relay }> {
  const target = new URL(TEST_DATABASE_URL);
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
  await relay.listen();
  const through = new URL(TEST_DATABASE_URL);
  through.hostname = '127.0.0.1';
  through.port = String(relay.port);
  return { g: await startGateway({ store: 'postgres', env: { DATABASE_URL: through.toString(), ...env }, logStream }), relay };
}
describe('PostgreSQL cut off under a running gateway, then back', { skip: pg!.skip }, () => {
  let g: TestGateway;
  let relay: Relay;
  before(async () => {
    ({ g, relay } = await gatewayThroughRelay({}));
  });
  after(async () => {
    await g?.stop();
    await relay?.close();
  });

  /** Status, elapsed ms and body text of a request. */
  async function timed(path: string, init: RequestInit = {}): Promise<{ status: number; ms: number; text: string; headers: Headers }> {
    const t0 = Date.now();
    const res = await fetch(`${g.url}${path}`, { ...init, headers: { Authorization: `Bearer ${g.secretKey}`, ...(init.headers ?? {}) } });
    const text = await res.text();
    return { status: res.status, ms: Date.now() - t0, text, headers: res.headers };
  }

  test('every door answers 503 at once in its own shape while the database is away; all serve again when it returns', async () => {
    const before = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
    assert.equal(before.status, 'requires_action');
    assert.equal((await fetch(`${g.url}/readyz`)).status, 200);

    await relay.cut();
    const down = await eventually(async () => {
      const r = await fetch(`${g.url}/readyz`);
      return r.status === 503 ? (await r.json()) as { ready: boolean; reason: string } : false;
    }, 10_000);
    assert.equal(down.ready, false);
    assert.match(down.reason, /database could not be reached|connection to the database was lost/);

    const json = { 'Content-Type': 'application/json' };
    const requests: [string, string, RequestInit][] = [
      ['create', '/v1/payment_intents', { method: 'POST', headers: json, body: JSON.stringify(SEED_000_WEB) }],
      ['create with a key', '/v1/payment_intents', { method: 'POST', headers: { ...json, 'Idempotency-Key': 'outage-1' }, body: JSON.stringify({ amount: 100, currency: 'CNY' }) }],
      ['retrieve', `/v1/payment_intents/${before.id}`, {}],
      ['list', '/v1/payment_intents?limit=3', {}],
      ['refund', '/v1/refunds', { method: 'POST', headers: json, body: JSON.stringify({ payment_intent: before.id }) }],
    ];
    for (const [what, path, init] of requests) {
      const r = await timed(path, init);
      assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
      assert.ok(r.ms < 6_000, `${what} answered in ${r.ms} ms`);
      const body = JSON.parse(r.text);
      assert.equal(body.error.type, 'api_error', what);
      assert.match(body.error.message, /cannot reach its database/, what);
      assert.doesNotMatch(r.text, /SQLSTATE|postgres|ECONN|relation|select|insert/i, `${what}: no database text`);
      assert.equal(r.headers.get('retry-after'), '2', what);
      assert.equal(r.headers.get('stripe-should-retry'), 'true', what);
    }
    // The other doors, each in its own shape.
    const page = await timed(`/pay/${'cs_test_' + 'x'.repeat(24)}`, { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 503, page.text);
    assert.match(page.text, /briefly unavailable/);
    const sim = await timed('/simulator/v1/faults');
    assert.equal(sim.status, 503, sim.text);
    assert.equal(JSON.parse(sim.text).error.code, 'unavailable');
    const dash = await timed('/dashboard', { headers: { Accept: 'text/html', Cookie: 'oc_session=nothing' } });
    assert.ok([200, 303, 503].includes(dash.status), `dashboard: ${dash.status}`);
    if (dash.status === 503) assert.match(dash.text, /cannot reach its database/);
    assert.equal((await fetch(`${g.url}/healthz`)).status, 200, 'the process is alive throughout');

    await relay.listen();
    await eventually(async () => (await fetch(`${g.url}/readyz`)).status === 200, 20_000);
    const again = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await g.api('GET', `/v1/payment_intents/${before.id}`)).body.id, before.id);
    const retried = await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' }, { idempotencyKey: 'outage-1' });
    assert.equal(retried.status, 200, 'the key refused during the outage was never taken: its retry creates');
    // Background work runs again: expiry is one process's at a time (a lock on the presence
    // connection, which the outage dropped and the gateway made again).
    const session = (await g.api('POST', '/v1/checkout/sessions', SEED_000_CHECKOUT)).body;
    await g.gateway.db.query('UPDATE checkout_sessions SET expires_at = 1 WHERE id = $1', [session.id]);
    await eventually(async () => (await g.api('GET', `/v1/checkout/sessions/${session.id}`)).body.status === 'expired', 20_000);
  });
});

describe('PostgreSQL dropping and refusing connections under load', { skip: pg!.skip }, () => {
  let g: TestGateway;
  let relay: Relay;
  const errors: string[] = [];
  before(async () => {
    // Polls soon after a pay, so that a payment whose answer from Antom could not be stored is found
    // by asking; the last poll is ten minutes on, because a schedule run out closes the payment at
    // Antom (expiry), which would end the requires_action this test waits for in every payment.
    // Errors are kept, so that an answer of 500 comes with what the gateway logged for it.
    ({ g, relay } = await gatewayThroughRelay({ POLL_SCHEDULE_MS: '300,600,1200,2400,600000', LOG_LEVEL: 'error' }, { write: (line) => void errors.push(line) }));
  });
  after(async () => {
    await g?.stop();
    await relay?.close();
  });

  test('every answer is a 200 or a quick 503 in the API\'s shape; every retried key ends in one PaymentIntent; nothing is left half-done', { timeout: 240_000 }, async (t) => {
    const CLIENTS = 8;
    const created = new Map<string, string>(); // Idempotency-Key → PaymentIntent id
    const refusedKeys = new Set<string>();
    const wrong: string[] = [];
    let ok = 0;
    let unavailable = 0;
    let slowest = 0;
    let running = true;
    const call = async (path: string, init: RequestInit) => {
      const t0 = Date.now();
      const res = await fetch(`${g.url}${path}`, { ...init, headers: { Authorization: `Bearer ${g.secretKey}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
      const text = await res.text();
      slowest = Math.max(slowest, Date.now() - t0);
      if (res.status === 503) {
        unavailable++;
        const body = JSON.parse(text);
        if (body.error?.type !== 'api_error' || res.headers.get('retry-after') !== '2' || /SQLSTATE|postgres|ECONN/i.test(text)) wrong.push(`503 ${text}`);
      } else if (res.status === 200) ok++;
      else {
        const id = /req_[A-Za-z0-9]+/.exec(text)?.[0];
        wrong.push(`${res.status} ${text}${id ? `\n  logged: ${errors.filter((l) => l.includes(id)).join('\n  ') || '(nothing)'}` : ''}`);
      }
      return { status: res.status, text, body: res.status === 200 ? JSON.parse(text) : undefined };
    };
    let n = 0;
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      while (running) {
        const key = `load-${c}-${n++}`;
        const r = await call('/v1/payment_intents', { method: 'POST', headers: { 'Idempotency-Key': key }, body: JSON.stringify(SEED_000_WEB) });
        if (r.status === 200) {
          created.set(key, r.body.id);
          await call(`/v1/payment_intents/${r.body.id}`, {});
        } else refusedKeys.add(key);
      }
    });
    const progress = () => `${ok} answered 200, ${unavailable} answered 503, slowest ${slowest} ms, ${wrong.length} wrong: ${wrong.slice(0, 3).join(' | ')}`;
    const oks = async (more: number, phase: string) => {
      const target = ok + more;
      await eventually(async () => ok >= target, 60_000, 20, () => `${phase}: ${more} more answers of 200 did not come (${progress()})`);
    };

    await oks(40, 'before the outage');
    // Connections dropped mid-work (pg_terminate_backend, a failover): new ones get through at once.
    for (let i = 0; i < 3; i++) {
      relay.drop();
      await oks(20, `after drop ${i + 1}`);
    }
    // The database refusing connections for a while (a restart).
    await relay.cut();
    const seen = unavailable;
    await eventually(async () => unavailable >= seen + 30, 60_000, 20, () => `while cut off: 30 answers of 503 did not come (${progress()})`);
    await relay.listen();
    await oks(40, 'after the database came back');
    running = false;
    await Promise.all(clients);

    t.diagnostic(`${ok} answered 200, ${unavailable} answered 503 (${refusedKeys.size} creates), slowest answer ${slowest} ms`);
    assert.deepEqual(wrong, [], 'only 200s and 503s in the API\'s shape');
    assert.ok(slowest < 7_000, `the slowest answer took ${slowest} ms`);
    assert.ok(refusedKeys.size > 0 && unavailable >= 30);

    // A key refused during the outage, sent again: one PaymentIntent, whether or not the first try had made one.
    for (const key of refusedKeys) {
      const again = await call('/v1/payment_intents', { method: 'POST', headers: { 'Idempotency-Key': key }, body: JSON.stringify(SEED_000_WEB) });
      assert.equal(again.status, 200, `${key}: ${again.text}`);
      created.set(key, again.body.id);
    }
    const [row] = await g.gateway.db.query<{ count: number }>('SELECT count(*)::int AS count FROM payment_intents');
    assert.equal(row!.count, new Set(created.values()).size, 'one PaymentIntent per key, none without its key');
    // Nothing half-done: every payment reaches the wallet's redirect (those whose answer from Antom
    // could not be stored are found by the poller).
    let statuses = '';
    await eventually(async () => {
      const rows = await g.gateway.db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM payment_intents GROUP BY status');
      statuses = rows.map((r) => `${r.n} ${r.status}`).join(', ');
      return rows.length === 1 && rows[0]!.status === 'requires_action';
    }, 60_000, 200, () => `not every PaymentIntent reached requires_action: ${statuses}`);
  });
});
