/**
 * SIGTERM under load (`opencashier serve` as a real process): the port stops taking connections,
 * /readyz answers 503 on a connection that was open, the requests under way — confirms whose pay
 * call Antom answers 1.5 s late — finish, no answer is cut short, the process exits 0, and nothing
 * was done without its answer reaching the client: every PaymentIntent in the store is one a
 * client got a 200 for. The webhook deliveries it had claimed (sends held open by the receiver,
 * rows waiting their turn) are handed back or left to their leases, and the next process
 * delivers every one of them. Polls claimed and not yet made when it stops are handed back too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { dropSchema, eventually, postgresSkipReason, startGateway, TEST_DATABASE_URL } from './helpers/gateway.js';
import { pollDueAttempts } from '../src/core/payment-intents/poll.js';
import { pollDueRefunds } from '../src/core/refunds/poll.js';
import { paidIntent, simulatorFault } from './helpers/payments.js';
import { apiClient, freePort, spawnGateway, sqlIn, startReceiver } from './helpers/processes.js';
import { randomToken } from '../src/core/ids.js';
import { SEED_000_WEB } from './helpers/seeds.js';

const SECRET = 'sk_test_ShutdownUnderLoad00000001';
const CLIENTS = 12;
const SLOW_PAYS = 6;
const pgSkip = (await postgresSkipReason()) ?? false;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request on `agent`. Rejects with `{ stage: 'before' }` when the connection failed before any
 * answer began (refused, or closed before the request was read), `{ stage: 'during' }` when an
 * answer began and was cut short.
 */
function send(base: string, agent: Agent, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = new URL(base + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent,
      headers: { Authorization: `Bearer ${SECRET}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => reject(Object.assign(new Error('answer cut short'), { stage: 'during' })));
      res.on('error', (err) => reject(Object.assign(err, { stage: 'during' })));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const length = res.headers['content-length'];
        if (length !== undefined && Number(length) !== Buffer.byteLength(text)) {
          reject(Object.assign(new Error(`answer cut short: ${Buffer.byteLength(text)} of ${length} bytes`), { stage: 'during' }));
        } else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    req.on('error', (err) => reject(Object.assign(err, { stage: (err as { stage?: string }).stage ?? 'before' })));
    req.end(payload);
  });
}

test('SIGTERM under load: answers under way finish, nothing is cut, the next process delivers what was claimed', { timeout: 300_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-shutdown-'));
  // The first deliveries are held open, so the process has sends under way and rows waiting at SIGTERM.
  const receiver = await startReceiver(() => 'hold');
  const env = {
    DATA_DIR: dataDir, OPENCASHIER_TEST_SECRET_KEY: SECRET, RATE_LIMIT_PER_SECOND: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json',
    SHUTDOWN_TIMEOUT_MS: '20000', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_PER_ENDPOINT: '2', WEBHOOK_RETRY_SCHEDULE_MS: '100,100,100,100,100',
    POLL_SCHEDULE_MS: '600000',
  };
  const first = await spawnGateway(env);
  let second: Awaited<ReturnType<typeof spawnGateway>> | undefined;
  try {
    const setup = new Agent({ keepAlive: true });
    const endpoint = await send(first.url, setup, 'POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: ['payment_intent.created', 'payment_intent.requires_action'] });
    assert.equal(endpoint.status, 200, endpoint.body);

    // A connection opened before SIGTERM and idle at it, as a load balancer's health check keeps one.
    const probe = new Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal((await send(first.url, probe, 'GET', '/readyz')).status, 200);

    // Load: every client creates and confirms PaymentIntents on its own keep-alive connection until the process is gone.
    const answered = new Set<string>();
    const refusedBefore: string[] = [];
    const cutShort: string[] = [];
    const otherStatus: string[] = [];
    let running = true;
    // Answers sent while draining say so (Connection: close): the slow confirms are among them.
    let drained = 0;
    let sigtermAt = Infinity;
    const clients = Array.from({ length: CLIENTS }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (running) {
        try {
          const r = await send(first.url, agent, 'POST', '/v1/payment_intents', SEED_000_WEB);
          if (r.headers.connection === 'close') drained++;
          if (r.status === 200) answered.add(JSON.parse(r.body).id);
          else otherStatus.push(`${r.status} ${r.body}`);
        } catch (err) {
          const e = err as Error & { stage?: string; code?: string };
          if (e.stage === 'during') cutShort.push(e.message);
          else refusedBefore.push(e.code ?? e.message);
          // Refused: the port is closed; this client's work is over.
          if (e.code === 'ECONNREFUSED') return;
        }
      }
    });

    await eventually(async () => answered.size >= 30, 60_000);
    // The next pay calls are answered 1.5 s late: they are under way when SIGTERM comes.
    const fault = await fetch(`${first.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'timeout', times: SLOW_PAYS, delay_ms: 1500 }),
    });
    assert.equal(fault.status, 200);
    await eventually(async () => ((await (await fetch(`${first.url}/simulator/v1/faults`)).json()) as { faults: unknown[] }).faults.length === 0, 30_000, 10);
    // Held sends time out after 2 s and are sent again 100 ms later: wait for a moment when some are open.
    assert.ok(await eventually(async () => receiver.held().length > 0, 10_000, 5).then(() => true, () => false), 'the receiver holds sends open');

    sigtermAt = Date.now();
    first.proc.kill('SIGTERM');
    await first.waitFor(/"msg":"stopping: finishing the requests under way"/);
    // The open connection reads the drain; the port takes no new one.
    const ready = await send(first.url, probe, 'GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.body).reason, 'shutting down');
    assert.equal(ready.headers.connection, 'close');
    await assert.rejects(send(first.url, new Agent(), 'GET', '/healthz'), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED');

    const code = await first.exited;
    const stoppedIn = Date.now() - sigtermAt;
    running = false;
    await Promise.all(clients);
    assert.equal(code, 0, first.output().slice(-2000));
    // The slow confirms held the drain open: it took at least the rest of their 1.5 s.
    assert.ok(stoppedIn >= 1_000 && stoppedIn < 20_000, `stopped in ${stoppedIn} ms`);
    assert.deepEqual(cutShort, [], 'no answer was cut short');
    assert.deepEqual(otherStatus, []);
    assert.ok(refusedBefore.every((c) => c === 'ECONNREFUSED'), `failures before an answer: ${refusedBefore.join(', ')}`);
    t.diagnostic(`stopped ${stoppedIn} ms after SIGTERM; ${answered.size} PaymentIntents answered, ${drained} of them while draining; ${refusedBefore.length} requests refused at connect`);
    assert.ok(drained >= SLOW_PAYS, `${drained} answers were sent while draining`);
    assert.match(first.output(), /"msg":"stopped"/);

    // The next process: every PaymentIntent in the store is one a client was answered for, and
    // every event the first process had claimed or queued reaches the receiver.
    receiver.policy = () => 200;
    second = await spawnGateway(env);
    const stored: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await send(second.url, setup, 'GET', `/v1/payment_intents?limit=100${after ? `&starting_after=${after}` : ''}`);
      const body = JSON.parse(page.body) as { data: { id: string }[]; has_more: boolean };
      stored.push(...body.data.map((p) => p.id));
      if (!body.has_more) break;
      after = body.data[body.data.length - 1]!.id;
    }
    assert.deepEqual(new Set(stored), answered, 'the store holds exactly the PaymentIntents whose answers arrived');
    assert.ok(stored.length >= 30 + SLOW_PAYS);

    const events = new Set<string>();
    for (let after: string | undefined; ;) {
      const page = await send(second.url, setup, 'GET', `/v1/events?limit=100${after ? `&starting_after=${after}` : ''}`);
      const body = JSON.parse(page.body) as { data: { id: string; type: string }[]; has_more: boolean };
      for (const e of body.data) if (e.type === 'payment_intent.created' || e.type === 'payment_intent.requires_action') events.add(e.id);
      if (!body.has_more) break;
      after = body.data[body.data.length - 1]!.id;
    }
    assert.equal(events.size, stored.length * 2);
    const delivered = () => new Set(receiver.received.filter((r) => r.status === 200).map((r) => (JSON.parse(r.body) as { id: string }).id));
    await eventually(async () => [...events].every((id) => delivered().has(id)), 120_000, 100);
  } finally {
    first.proc.kill('SIGKILL');
    await second?.stop('SIGTERM');
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('stopping mid-pass hands the claimed polls back: due at once for the next process, not after their lease', async () => {
  const g = await startGateway({ store: 'pglite', workers: false, env: { POLL_SCHEDULE_MS: '600000,600000,600000,600000' } });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body.id);
    await g.gateway.db.query('UPDATE payment_attempts SET next_poll_at = 0');
    let asked = 0;
    // The process starts stopping after the first attempt's poll.
    assert.equal(await pollDueAttempts(g.gateway.core, 20, () => asked++ >= 1), 1);
    await g.gateway.upstreamCalls.flush();
    const [inquiries] = await g.gateway.db.query<{ n: number }>("SELECT count(*)::int AS n FROM upstream_calls WHERE api = 'inquiryPayment'");
    assert.equal(inquiries!.n, 1);
    const rows = await g.gateway.db.query<{ next_poll_at: number }>('SELECT next_poll_at FROM payment_attempts ORDER BY next_poll_at');
    const now = Date.now();
    assert.equal(rows.filter((r) => r.next_poll_at <= now).length, 2, `handed back: due now (${JSON.stringify(rows)})`);
    assert.equal(rows.filter((r) => r.next_poll_at > now + 60_000).length, 1, 'the polled one is scheduled on');
    // The next pass (another process, or this one restarted) polls the two at once.
    assert.equal(await pollDueAttempts(g.gateway.core), 2);
  } finally {
    await g.stop();
  }
});

test('a pass starts a poll only while half its lease is left: the rest are handed back, so no claim is polled past its lease', async () => {
  let offset = 0;
  const g = await startGateway({ store: 'pglite', workers: false, clock: { now: () => Date.now() + offset }, env: { POLL_SCHEDULE_MS: '600000,600000,600000,600000' } });
  try {
    for (let i = 0; i < 3; i++) await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
    await g.gateway.db.query('UPDATE payment_attempts SET next_poll_at = 0');
    const lease = g.gateway.core.pollLeaseMs;
    assert.equal(lease, 4 * 3000, 'four Antom timeouts (the test gateway gives Antom 3 s)');
    // The first poll takes half the lease (the clock moves while it is out, as a slow Antom would).
    let asked = 0;
    assert.equal(await pollDueAttempts(g.gateway.core, 20, () => {
      if (asked++ === 0) offset += lease / 2;
      return false;
    }), 1);
    const now = Date.now() + offset;
    const rows = await g.gateway.db.query<{ next_poll_at: number }>('SELECT next_poll_at FROM payment_attempts ORDER BY next_poll_at');
    assert.equal(rows.filter((r) => r.next_poll_at <= now).length, 2, `handed back, due now (${JSON.stringify(rows)})`);
    assert.equal(await pollDueAttempts(g.gateway.core), 2, 'the next pass polls them');
  } finally {
    await g.stop();
  }
});

test('refund polls are handed back the same way; a claimed refund settled or rescheduled meanwhile is left as it is', async () => {
  const env = { POLL_SCHEDULE_MS: '600000,600000,600000,600000' };
  // Paid and refunded with the background work running (the simulator's notifications pay them)…
  const first = await startGateway({ store: 'pglite', env });
  await simulatorFault(first, { api: 'refund', kind: 'http_500', times: 40 });
  const refunds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const refund = (await first.api('POST', '/v1/refunds', { payment_intent: (await paidIntent(first)).id })).body;
    assert.equal(refund.status, 'pending', JSON.stringify(refund));
    refunds.push(refund.id);
  }
  await first.stop({ keepData: true });
  // …then polled by hand in a process of the same data that runs none.
  const g = await startGateway({ store: 'pglite', workers: false, env, reuse: { dataDir: first.dataDir } });
  try {
    await simulatorFault(g, { api: 'refund', kind: 'http_500', times: 40 });
    const dueNow = async () => {
      const now = Date.now();
      const rows = await g.gateway.db.query<{ id: string; next_poll_at: number | null }>('SELECT id, next_poll_at FROM refunds');
      return rows.filter((r) => r.next_poll_at !== null && r.next_poll_at <= now).map((r) => r.id).sort();
    };
    const makeDue = () => g.gateway.db.query("UPDATE refunds SET next_poll_at = 0 WHERE status = 'pending'");

    // Mid-pass: the process starts stopping after the first refund's poll.
    await makeDue();
    let asked = 0;
    assert.equal(await pollDueRefunds(g.gateway.core, 20, () => asked++ >= 1), 1);
    assert.equal((await dueNow()).length, 3, 'the three not polled are due at once');

    // The hand-back itself: of four claims, one refund settled and one rescheduled since are left alone.
    await makeDue();
    const claimed = await g.gateway.core.store.tx((s) => s.refunds.claimDue(Date.now(), 20, 60_000));
    assert.equal(claimed.length, 4);
    await g.gateway.db.query("UPDATE refunds SET status = 'succeeded', next_poll_at = NULL WHERE id = $1", [refunds[0]]);
    await g.gateway.db.query('UPDATE refunds SET next_poll_at = next_poll_at + 1 WHERE id = $1', [refunds[1]]);
    await g.gateway.core.store.refunds.releaseClaims(claimed, Date.now());
    assert.deepEqual(await dueNow(), [refunds[2], refunds[3]].sort());
  } finally {
    await g.stop();
  }
});

/**
 * Two processes one after the other on one PostgreSQL schema and one port (so one PUBLIC_URL, and
 * a pay request sent again by the second is the same request): a JSON-logging `serve` each.
 */
async function successionEnv(name: string, env: Record<string, string>) {
  const schema = `t_${randomToken(10).toLowerCase()}`;
  const dataDir = mkdtempSync(join(tmpdir(), `opencashier-${name}-`));
  return {
    schema,
    env: {
      DATA_DIR: dataDir, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '4', PORT: String(await freePort()),
      OPENCASHIER_TEST_SECRET_KEY: SECRET, RATE_LIMIT_PER_SECOND: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env,
    },
    cleanup: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema).catch(() => undefined);
    },
  };
}

const client = apiClient(SECRET);

test('a request still under way at SHUTDOWN_TIMEOUT_MS is cut then, the process exits 0, and the next process resumes its payment', { skip: pgSkip, timeout: 120_000 }, async (t) => {
  const TIMEOUT = 2_000;
  // The attempt's first poll comes 3 s after it was made: after the first process is gone.
  const { schema, env, cleanup } = await successionEnv('shutdown-timeout', { SHUTDOWN_TIMEOUT_MS: String(TIMEOUT), POLL_SCHEDULE_MS: '3000,600000,600000,600000' });
  const first = await spawnGateway(env);
  let second: Awaited<ReturnType<typeof spawnGateway>> | undefined;
  try {
    // Antom takes its time over the next pay: it answers 30 s late, far past the shutdown timeout.
    const fault = await fetch(`${first.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'timeout', delay_ms: 30_000 }),
    });
    assert.equal(fault.status, 200);
    const key = `held-${randomToken(8)}`;
    const create = () => client(first.url, 'POST', '/v1/payment_intents', SEED_000_WEB, { 'Idempotency-Key': key });
    const confirm = create().then((r) => ({ answered: r.status }), (err: Error & { cause?: { code?: string } }) => ({ cut: err.cause?.code ?? err.message, at: Date.now() }));
    await eventually(async () => ((await (await fetch(`${first.url}/simulator/v1/faults`)).json()) as { faults: unknown[] }).faults.length === 0, 10_000, 10);
    // And a client that sent its headers and is still sending the body: a request that never ends by itself.
    const slow = connect(Number(new URL(first.url).port), '127.0.0.1');
    const slowAnswer: Buffer[] = [];
    let slowClosedAt = 0;
    slow.on('data', (d: Buffer) => slowAnswer.push(d));
    slow.on('error', () => undefined);
    slow.on('close', () => (slowClosedAt = Date.now()));
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    // A whole request first, so the connection is surely the server's before its port closes.
    slow.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await eventually(async () => {
      const text = Buffer.concat(slowAnswer).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text)?.[1];
      return end > 0 && length !== undefined && text.length >= end + 4 + Number(length);
    }, 5_000, 10);
    slowAnswer.length = 0;
    slow.write(`POST /v1/payment_intents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${SECRET}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"amount":`);

    const sigtermAt = Date.now();
    first.proc.kill('SIGTERM');
    const code = await first.exited;
    const stoppedIn = Date.now() - sigtermAt;
    const held = await confirm;
    await eventually(async () => slowClosedAt > 0, 5_000);
    t.diagnostic(`SHUTDOWN_TIMEOUT_MS ${TIMEOUT}: exited ${code} ${stoppedIn} ms after SIGTERM; the held confirm ${JSON.stringify({ ...held, at: 'at' in held ? held.at - sigtermAt : undefined })}, the slow upload closed ${slowClosedAt - sigtermAt} ms after SIGTERM`);
    // Exits 0, having waited the timeout out for the two, and not much longer.
    assert.equal(code, 0, first.output().slice(-3000));
    assert.ok(stoppedIn >= TIMEOUT - 50 && stoppedIn < TIMEOUT + 2_500, `stopped in ${stoppedIn} ms`);
    assert.match(first.output(), /"requests":2,"msg":"requests still under way at the shutdown timeout; their connections are cut"/);
    assert.match(first.output(), /"msg":"stopped"/);
    // Both connections were cut at the timeout, without an answer.
    assert.ok('cut' in held, `the held confirm was answered: ${JSON.stringify(held)}`);
    assert.ok(held.at - sigtermAt >= TIMEOUT - 50, `cut ${held.at - sigtermAt} ms after SIGTERM`);
    assert.equal(Buffer.concat(slowAnswer).length, 0, 'the slow upload got no answer');
    assert.ok(slowClosedAt - sigtermAt >= TIMEOUT - 50, `the slow upload was closed ${slowClosedAt - sigtermAt} ms after SIGTERM`);

    // Nothing half-done: one PaymentIntent, with one open attempt the poller will take up.
    const pis = await sqlIn<{ id: string; status: string }>(schema, 'SELECT id, status FROM payment_intents');
    assert.equal(pis.length, 1, JSON.stringify(pis));
    const pi = pis[0]!.id;
    const attempts = await sqlIn<{ id: string; status: string; next_poll_at: string | null }>(schema, 'SELECT id, status, next_poll_at FROM payment_attempts');
    assert.equal(attempts.length, 1, JSON.stringify(attempts));
    const attempt = attempts[0]!;
    assert.ok(['pending', 'redirected'].includes(attempt.status) && attempt.next_poll_at !== null, `left open for the poller: ${JSON.stringify(attempt)}`);
    t.diagnostic(`left by the first process: PaymentIntent ${pis[0]!.status}, attempt ${attempt.status}`);

    // The next process on the port: its poller takes the attempt up with nobody asking, and the
    // shopper gets a page to pay on.
    second = await spawnGateway(env);
    const redirect = await eventually(async () => {
      const r = await client(second!.url, 'GET', `/v1/payment_intents/${pi}`);
      return r.body.status === 'requires_action' ? (r.body.next_action.redirect_to_url.url as string) : undefined;
    }, 20_000, 100);
    // The client's retry under its Idempotency-Key is answered with that PaymentIntent.
    const retry = await client(second.url, 'POST', '/v1/payment_intents', SEED_000_WEB, { 'Idempotency-Key': key });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.id, pi);
    assert.equal(retry.body.status, 'requires_action');
    const paid = await fetch(`${second.url}/simulator/v1/complete`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: redirect, outcome: 'succeeded' }) });
    assert.equal(paid.status, 200, await paid.text());
    await eventually(async () => (await client(second!.url, 'GET', `/v1/payment_intents/${pi}`)).body.status === 'succeeded', 20_000, 100);
    // One payment at Antom, under the one attempt.
    const sims = await sqlIn<{ payment_request_id: string }>(schema, 'SELECT payment_request_id FROM sim_payments');
    assert.deepEqual(sims.map((r) => r.payment_request_id), [attempt.id]);
    assert.equal((await sqlIn(schema, 'SELECT id FROM payment_attempts')).length, 1);
  } finally {
    first.proc.kill('SIGKILL');
    await second?.stop('SIGTERM');
    await cleanup();
  }
});

test('SIGTERM while a pass holds claimed polls: they are handed back, the next process inquires them at once, and the payments succeed', { skip: pgSkip, timeout: 120_000 }, async (t) => {
  const N = 5;
  // The first poll is far off (the test makes the attempts due when it wants); a polled attempt's
  // next one is due at once. WORKER_INTERVAL_MS: a pass soon after they are due.
  const { schema, env, cleanup } = await successionEnv('shutdown-polls', { POLL_SCHEDULE_MS: '600000,1000,1000,1000,1000,1000', WORKER_INTERVAL_MS: '100' });
  const first = await spawnGateway(env);
  let second: Awaited<ReturnType<typeof spawnGateway>> | undefined;
  try {
    // Paid by their shoppers at Antom, with no notification: only an inquiry tells the gateway.
    const pis: string[] = [];
    for (let i = 0; i < N; i++) {
      const pi = await client(first.url, 'POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 100 + i });
      assert.equal(pi.body.status, 'requires_action', JSON.stringify(pi.body));
      const paid = await fetch(`${first.url}/simulator/v1/complete`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: pi.body.next_action.redirect_to_url.url, outcome: 'succeeded', notify: false }),
      });
      assert.equal(paid.status, 200, await paid.text());
      pis.push(pi.body.id);
    }
    // The pass's first inquiry is answered 30 s late, so the pass holds the other claims meanwhile.
    const fault = await fetch(`${first.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'inquiryPayment', kind: 'timeout', delay_ms: 30_000 }),
    });
    assert.equal(fault.status, 200);
    await sqlIn(schema, 'UPDATE payment_attempts SET next_poll_at = $1', [Date.now()]);
    // All N claimed by the one pass (pushed a lease ahead), none polled yet, one inquiry under way.
    const claims = await eventually(async () => {
      const faults = ((await (await fetch(`${first.url}/simulator/v1/faults`)).json()) as { faults: unknown[] }).faults;
      const rows = await sqlIn<{ id: string; next_poll_at: string; poll_count: number }>(schema, 'SELECT id, next_poll_at, poll_count FROM payment_attempts');
      const leased = rows.filter((r) => Number(r.next_poll_at) > Date.now() + 30_000 && r.poll_count === 0);
      return faults.length === 0 && leased.length === N ? leased : undefined;
    }, 20_000, 20);
    const leaseEnds = Math.min(...claims.map((c) => Number(c.next_poll_at)));

    const sigtermAt = Date.now();
    first.proc.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output().slice(-3000));
    const exitedAt = Date.now();
    // Handed back: the N − 1 not yet polled are due now, not at the end of their lease; the one
    // under way was polled once (its inquiry let go when the process closed) and is rescheduled.
    const left = await sqlIn<{ id: string; next_poll_at: string | null; poll_count: number }>(schema, 'SELECT id, next_poll_at, poll_count FROM payment_attempts');
    const handedBack = left.filter((r) => r.poll_count === 0 && r.next_poll_at !== null && Number(r.next_poll_at) <= exitedAt);
    assert.equal(handedBack.length, N - 1, `handed back, due at once: ${JSON.stringify(left)} (lease to ${leaseEnds})`);
    assert.equal(left.filter((r) => r.poll_count === 1).length, 1, JSON.stringify(left));

    second = await spawnGateway(env);
    const startedAt = Date.now();
    await Promise.all(pis.map((pi) => eventually(async () => (await client(second!.url, 'GET', `/v1/payment_intents/${pi}`)).body.status === 'succeeded', 20_000, 100)));
    const doneIn = Date.now() - startedAt;
    // Each handed-back attempt was inquired by the next process, long before the lease would have let it.
    // (Calls are recorded a moment after they end, in batches: wait for the record of each.)
    const calls = await eventually(async () => {
      const rows = await sqlIn<{ reference: string; started: string }>(schema, "SELECT reference, started FROM upstream_calls WHERE api = 'inquiryPayment' AND started >= $1 ORDER BY started", [exitedAt]);
      return handedBack.every((a) => rows.some((c) => c.reference === a.id)) ? rows : undefined;
    }, 10_000, 50).catch(async () => sqlIn<{ reference: string; started: string }>(schema, "SELECT reference, started FROM upstream_calls WHERE api = 'inquiryPayment' AND started >= $1 ORDER BY started", [exitedAt]));
    for (const a of handedBack) {
      const call = calls.find((c) => c.reference === a.id);
      assert.ok(call, `${a.id} was inquired by the next process: ${JSON.stringify(calls)}`);
      assert.ok(Number(call.started) < leaseEnds, `${a.id} inquired at ${call.started}, its lease ran to ${leaseEnds}`);
    }
    const firstInquiry = Math.min(...handedBack.map((a) => Number(calls.find((c) => c.reference === a.id)!.started)));
    t.diagnostic(`${N} polls claimed, SIGTERM → exit ${exitedAt - sigtermAt} ms; ${N - 1} handed back; the next process inquired them ${firstInquiry - startedAt} ms after its start ` +
      `(${leaseEnds - firstInquiry} ms before the lease ran out), all ${N} succeeded ${doneIn} ms after its start`);
  } finally {
    first.proc.kill('SIGKILL');
    await second?.stop('SIGTERM');
    await cleanup();
  }
});
