/**
 * `WORKERS=2 opencashier serve` on PostgreSQL: two gateway processes share the port, both answer,
 * the banner is printed once, and the background work of both processes (webhook delivery, the
 * simulator's notifications, polling Antom, expiring Checkout Sessions) handles each item once:
 * every event reaches the merchant exactly once, and each payment and session changes state once.
 * With PGlite the same start is refused with a message saying what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, eventually, postgresSkipReason, TEST_DATABASE_URL } from './helpers/gateway.js';
import { apiClient, spawnCli, spawnGateway, sqlIn, startReceiver } from './helpers/processes.js';
import { SEED_000_CHECKOUT, SEED_000_WEB } from './helpers/seeds.js';
import { randomToken } from '../src/core/ids.js';

const SECRET = 'sk_test_ClusterWorkersKey00000001';
const PAYMENTS = 24;
const SESSIONS = 8;

const api = apiClient(SECRET);
const sql = sqlIn;

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

/** The pids of `pid`'s child processes, as `ps` sees them. */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** The distinct pids of the JSON log lines that record a request to `route`. */
function pidsServing(output: string, route: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { pid?: number; route?: string; status?: number };
      if (e.route === route && e.status !== undefined && e.pid) pids.add(e.pid);
    } catch {
      /* a line cut short */
    }
  }
  return pids;
}

test('WORKERS=2 with PGlite is refused at start: PGlite is one process; set DATABASE_URL or WORKERS=1', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cluster-'));
  try {
    const p = spawnCli(['serve'], { WORKERS: '2', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '' });
    const code = await p.exited;
    assert.equal(code, 2, p.output());
    assert.match(p.output(), /WORKERS=2 needs PostgreSQL/);
    assert.match(p.output(), /DATABASE_URL/);
    assert.match(p.output(), /WORKERS=1/);
    assert.doesNotMatch(p.output(), /OpenCashier is running/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const pgSkip = (await postgresSkipReason()) ?? false;

test('WORKERS=2 on PostgreSQL: two processes answer, the banner is printed once, and every event, payment and expiry is handled exactly once', { skip: pgSkip, timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-cluster-'));
  const schema = `t_${randomToken(10).toLowerCase()}`;
  const rcv = await startReceiver(() => 200);
  const g = await spawnGateway({
    WORKERS: '2',
    DATA_DIR: dataDir,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATABASE_POOL_SIZE: '4',
    OPENCASHIER_TEST_SECRET_KEY: SECRET,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    RATE_LIMIT_PER_SECOND: '0',
    WORKER_INTERVAL_MS: '50',
    // Payments completed without a notification are found by polling, soon.
    POLL_SCHEDULE_MS: '300,300,300,300,300,300,300,300,300,300',
    SIMULATOR_NOTIFY_SCHEDULE_MS: '0,200,400,800',
    WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1000',
  });
  try {
    // Both processes are up and the primary printed one banner naming them.
    const out = g.output();
    assert.equal(out.match(/OpenCashier is running/g)?.length, 1, out);
    assert.match(out, /Processes\s+2 gateway processes share the port \(WORKERS=2\)/);
    assert.match(out, /first start: a test account was created/);
    const children = childPids(g.proc.pid!);
    assert.equal(children.length, 2, `the primary's children: ${children.join(', ')}`);

    const endpoint = await api(g.url, 'POST', '/v1/webhook_endpoints', { url: rcv.url, enabled_events: ['*'] });
    assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));

    // Many PaymentIntents, in parallel so both processes take some; half are paid with a
    // notification from the simulator, half without one, so the pollers find them.
    const pis = await Promise.all(Array.from({ length: PAYMENTS }, async (_, i) => {
      const r = await api(g.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 100 + i });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { id: string; next_action: { redirect_to_url: { url: string } } };
    }));
    await Promise.all(pis.map(async (pi, i) => {
      const res = await fetch(`${g.url}/simulator/v1/complete`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: pi.next_action.redirect_to_url.url, outcome: 'succeeded', notify: i % 2 === 0 }),
      });
      assert.equal(res.status, 200, await res.text());
    }));

    // Checkout Sessions whose time is up: both processes' expiry workers see them due at once.
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, async () => {
      const r = await api(g.url, 'POST', '/v1/checkout/sessions', SEED_000_CHECKOUT);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { id: string; payment_intent: string };
    }));
    await sql(schema, 'UPDATE checkout_sessions SET expires_at = $1 WHERE id = ANY($2::text[])', [Date.now() - 1000, sessions.map((s) => s.id)]);

    await eventually(async () => {
      const rows = await sql<{ n: number }>(schema, "SELECT count(*)::int AS n FROM payment_intents WHERE id = ANY($1::text[]) AND status = 'succeeded'", [pis.map((p) => p.id)]);
      return rows[0]!.n === PAYMENTS;
    }, 30_000);
    await eventually(async () => {
      const rows = await sql<{ n: number }>(schema, "SELECT count(*)::int AS n FROM checkout_sessions WHERE id = ANY($1::text[]) AND status = 'expired'", [sessions.map((s) => s.id)]);
      return rows[0]!.n === SESSIONS;
    }, 30_000);

    // One state change each, so one event each.
    const events = await all<{ id: string; type: string; data: { object: { id: string } } }>(g.url, '/v1/events');
    const count = (type: string, id: string) => events.filter((e) => e.type === type && e.data.object.id === id).length;
    for (const pi of pis) assert.equal(count('payment_intent.succeeded', pi.id), 1, `${pi.id} succeeded once`);
    for (const cs of sessions) {
      assert.equal(count('checkout.session.expired', cs.id), 1, `${cs.id} expired once`);
      assert.equal(count('payment_intent.canceled', cs.payment_intent), 1, `${cs.payment_intent} canceled once`);
    }
    // Each payment was reported to the gateway by one notification or found by polling, never applied twice.
    const charges = await sql<{ pi: string; n: number }>(schema, 'SELECT payment_intent_id AS pi, count(*)::int AS n FROM charges GROUP BY 1 HAVING count(*) > 1');
    assert.deepEqual(charges, [], 'one charge per PaymentIntent');

    // Every event reached the receiver, exactly once.
    const ids = new Set(events.map((e) => e.id));
    const received = () => rcv.received.map((r) => (JSON.parse(r.body) as { id: string }).id);
    await eventually(async () => [...ids].every((id) => received().includes(id)), 30_000);
    await eventually(async () => {
      const pending = await sql<{ n: number }>(schema, "SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'");
      return pending[0]!.n === 0;
    }, 30_000);
    const seen = new Map<string, number>();
    for (const id of received()) seen.set(id, (seen.get(id) ?? 0) + 1);
    const twice = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no event was delivered twice');
    assert.deepEqual(new Set(seen.keys()), ids, 'the receiver got exactly the events the gateway recorded');
    const attempts = await sql<{ id: string; n: number }>(schema, 'SELECT delivery_id AS id, count(*)::int AS n FROM webhook_attempts GROUP BY 1 HAVING count(*) > 1');
    assert.deepEqual(attempts, [], 'one attempt per delivery');

    // Both processes served API requests (each logs its pid on every request line).
    const servers = pidsServing(g.output(), '/v1/payment_intents');
    assert.equal(servers.size, 2, `PaymentIntents were created by processes ${[...servers].join(', ')}`);
    assert.deepEqual([...servers].sort(), [...children].sort());

    // A worker that dies is replaced; SIGTERM stops the rest and the primary exits cleanly.
    process.kill(children[0]!, 'SIGKILL');
    await eventually(async () => {
      const now = childPids(g.proc.pid!);
      return now.length === 2 && !now.includes(children[0]!);
    }, 30_000);
    await g.waitFor(/gateway process \d+ was killed \(SIGKILL\); starting another/);
    await eventually(async () => (await fetch(`${g.url}/healthz`)).ok, 10_000);
    assert.equal(await g.stop('SIGTERM'), 0, g.output());
    assert.equal(g.output().match(/OpenCashier is running/g)?.length, 1, 'the replacement printed no banner');
  } finally {
    g.proc.kill('SIGKILL');
    await rcv.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema(schema).catch(() => undefined);
  }
});
