import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { simulatorFault } from '../helpers/payments.js';

const countPIs = async (g: TestGateway) => (await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents'))[0]!.n;

for (const { kind, skip } of await stores()) {
  describe(`Idempotency-Key [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('the same key and body replays the stored response and creates nothing new', async () => {
      const before = await countPIs(g);
      const first = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'replay-1' });
      const second = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'replay-1' });
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.deepEqual(second.body, first.body);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.headers.get('idempotency-key'), 'replay-1');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      assert.equal(await countPIs(g), before + 1);
    });

    test('the same key with another body is an idempotency_error and changes nothing', async () => {
      await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' }, { idempotencyKey: 'mismatch-1' });
      const before = await countPIs(g);
      const other = await g.api('POST', '/v1/payment_intents', { amount: 101, currency: 'CNY' }, { idempotencyKey: 'mismatch-1' });
      assert.equal(other.status, 400);
      assert.equal(other.body.error.type, 'idempotency_error');
      assert.match(other.body.error.message, /mismatch-1/);
      const otherPath = await g.api('POST', '/v1/payment_intents/pi_x/cancel', {}, { idempotencyKey: 'mismatch-1' });
      assert.equal(otherPath.body.error.type, 'idempotency_error');
      assert.equal(await countPIs(g), before);
    });

    test('errors decided by core are replayed too; bad parameters are not stored, so the key can be reused once fixed', async () => {
      const bad = await g.api('POST', '/v1/payment_intents', { amount: 'x', currency: 'CNY' }, { idempotencyKey: 'fixable-1' });
      assert.equal(bad.status, 400);
      const fixed = await g.api('POST', '/v1/payment_intents', { amount: 10, currency: 'CNY' }, { idempotencyKey: 'fixable-1' });
      assert.equal(fixed.status, 200);
      const pi = fixed.body.id;
      await g.api('POST', `/v1/payment_intents/${pi}/cancel`, {});
      const refused = await g.api('POST', `/v1/payment_intents/${pi}/cancel`, {}, { idempotencyKey: 'state-1' });
      assert.equal(refused.status, 400);
      const replay = await g.api('POST', `/v1/payment_intents/${pi}/cancel`, {}, { idempotencyKey: 'state-1' });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, refused.body);
    });

    test('a concurrent duplicate gets 409 while the first is in flight, then the replay', async () => {
      // Antom answers the pay request slowly, so the first request is still running.
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'timeout', delay_ms: 1500 }) });
      const before = await countPIs(g);
      const first = g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'concurrent-1' });
      await new Promise((r) => setTimeout(r, 400));
      const dup = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'concurrent-1' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.type, 'idempotency_error');
      const done = await first;
      assert.equal(done.status, 200);
      const after = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'concurrent-1' });
      assert.equal(after.body.id, done.body.id);
      assert.equal(await countPIs(g), before + 1);
    });

    test('twenty racing requests with one key create exactly one PaymentIntent', async () => {
      const before = await countPIs(g);
      const results = await Promise.all(Array.from({ length: 20 }, () => g.api('POST', '/v1/payment_intents', { amount: 42, currency: 'HKD' }, { idempotencyKey: 'race-1' })));
      const ok = results.filter((r) => r.status === 200);
      assert.ok(ok.length >= 1);
      assert.ok(results.every((r) => r.status === 200 || r.status === 409), results.map((r) => r.status).join());
      assert.equal(new Set(ok.map((r) => r.body.id)).size, 1);
      assert.equal(await countPIs(g), before + 1);
    });

    test('an upstream failure is not stored: retrying with the same key resumes the same payment attempt', async () => {
      await fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'http_500', times: 3 }) });
      const first = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'upstream-1' });
      assert.equal(first.status, 502);
      const retry = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: 'upstream-1' });
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body.status, 'requires_action');
      const rows = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_intents WHERE idempotency_key = $1', ['upstream-1']);
      assert.equal(rows[0]!.n, 1, 'the retry found the PaymentIntent the first request created');
      const attempts = await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_attempts WHERE payment_intent_id = $1', [retry.body.id]);
      assert.equal(attempts[0]!.n, 1);
    });

    // POST /v1/payment_intents claims its key in the create's own transaction (plugin.ts's
    // claimingInTx): the tests below hold it to what a claim made first guarantees.

    test('a key first used elsewhere is refused by create, and nothing is created', async () => {
      const cancel = await g.api('POST', '/v1/payment_intents/pi_none/cancel', {}, { idempotencyKey: 'elsewhere-1' });
      assert.equal(cancel.status, 404);
      const before = await countPIs(g);
      const create = await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'CNY' }, { idempotencyKey: 'elsewhere-1' });
      assert.equal(create.status, 400);
      assert.equal(create.body.error.type, 'idempotency_error');
      assert.equal(await countPIs(g), before);
    });

    test('a create core refuses before writing anything is saved all the same: the retry replays the refusal', async () => {
      const before = await countPIs(g);
      const refused = await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'ZZZ' }, { idempotencyKey: 'refused-1' });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.doesNotMatch(refused.body.error.code, /^parameter_/, 'a refusal decided by core, not a bad parameter');
      const replay = await g.api('POST', '/v1/payment_intents', { amount: 100, currency: 'ZZZ' }, { idempotencyKey: 'refused-1' });
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, refused.body);
      assert.equal(await countPIs(g), before);
    });

    test('twenty racing creates, one key, two bodies: one PaymentIntent; the rest replay it, wait (409) or are told the body differs', async () => {
      for (let round = 0; round < 5; round++) {
        const key = `race-mixed-${round}`;
        const before = await countPIs(g);
        const results = await Promise.all(Array.from({ length: 20 }, (_v, i) => g.api('POST', '/v1/payment_intents', { amount: 42 + (i % 2), currency: 'HKD' }, { idempotencyKey: key })));
        const ok = results.filter((r) => r.status === 200);
        assert.equal(new Set(ok.map((r) => r.body.id)).size, 1, results.map((r) => r.status).join());
        assert.ok(results.every((r) => r.status === 200 || r.status === 409 || (r.status === 400 && r.body.error.type === 'idempotency_error')), results.map((r) => r.status).join());
        assert.equal(await countPIs(g), before + 1);
        const amounts = new Set(ok.map((r) => r.body.amount));
        assert.equal(amounts.size, 1, 'every 200 is the one PaymentIntent, created with one of the bodies');
        const [row] = await g.gateway.db.query<{ state: string; n: number }>(
          `SELECT k.state, (SELECT count(*)::int FROM payment_intents WHERE idempotency_key = $1) AS n FROM idempotency_keys k WHERE k.key = $1`, [key]);
        assert.deepEqual(row, { state: 'done', n: 1 });
      }
    });

    test('a plain create saves its answer with the PaymentIntent: the key is done when the answer arrives, byte for byte, in either dialect', async () => {
      for (const [key, headers] of [['saved-seed', {}], ['saved-stripe', { 'Stripe-Version': '2024-06-20' }]] as const) {
        const res = await fetch(`${g.url}/v1/payment_intents`, {
          method: 'POST', body: JSON.stringify({ amount: 500, currency: 'CNY', metadata: { order: key } }),
          headers: { Authorization: `Bearer ${g.secretKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': key, ...headers },
        });
        const text = await res.text();
        assert.equal(res.status, 200, text);
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
        const [row] = await g.gateway.db.query<{ state: string; response_status: number; response_body: string }>(
          'SELECT state, response_status, response_body FROM idempotency_keys WHERE key = $1', [key]);
        assert.deepEqual(row, { state: 'done', response_status: 200, response_body: text });
        const replay = await fetch(`${g.url}/v1/payment_intents`, {
          method: 'POST', body: JSON.stringify({ amount: 500, currency: 'CNY', metadata: { order: key } }),
          headers: { Authorization: `Bearer ${g.secretKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': key, ...headers },
        });
        assert.equal(await replay.text(), text);
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      }
    });

    test('keys longer than 255 characters are refused', async () => {
      const res = await g.api('POST', '/v1/payment_intents', { amount: 1, currency: 'CNY' }, { idempotencyKey: 'k'.repeat(256) });
      assert.equal(res.status, 400);
    });
  });
}

/**
 * A create-and-confirm whose pay got no usable answer leaves its PaymentIntent waiting for the
 * same request to be sent again: by the client's retry with the key, and by the poller. Here the
 * two race, many times, the retry sent from before to after the moment the poller resends: whoever
 * sends first, the retry answers 200 with the one PaymentIntent of its key, on its one attempt, in
 * requires_action (it once answered 400 "unexpected state" when the poller got there in between).
 */
const RACE_RUNS = Number(process.env.RACE_RUNS ?? 12);
for (const { kind, skip } of await stores()) {
  describe(`a key's retry racing the poller's resend [${kind}]`, { skip }, () => {
    let g: TestGateway;
    before(async () => {
      // The first poll comes two seconds after the pay: well after the first request's own three
      // sends (the connector retries twice, 300 and 600 ms apart), so that only the retry races it.
      g = await startGateway({ store: kind, env: { POLL_SCHEDULE_MS: '2000,600000', WORKER_INTERVAL_MS: '10' } });
    });
    after(async () => g?.stop());

    test(`${RACE_RUNS} retries sent from before to after the poller resends the pay: each answers its one PaymentIntent`, { timeout: 120_000 }, async () => {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < RACE_RUNS; i++) {
        const key = `race-poller-${kind}-${i}`;
        assert.equal((await simulatorFault(g, { api: 'pay', kind: 'http_500', times: 3 })).status, 200);
        const first = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: key });
        assert.equal(first.status, 502, `${key}: ${JSON.stringify(first.body)}`);
        const [due] = await g.gateway.db.query<{ next_poll_at: number }>(
          'SELECT a.next_poll_at FROM payment_attempts a JOIN payment_intents p ON p.id = a.payment_intent_id WHERE p.idempotency_key = $1', [key]);
        // From 40 ms before the poller's resend is due to 40 ms after it.
        const at = Number(due!.next_poll_at) - 40 + ((i * 11) % 81);
        await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        const retry = await g.api('POST', '/v1/payment_intents', SEED_000_WEB, { idempotencyKey: key });
        assert.equal(retry.status, 200, `${key}: ${JSON.stringify(retry.body)}`);
        assert.equal(retry.body.status, 'requires_action', key);
        const [row] = await g.gateway.db.query<{ pis: number; attempts: number; upstream: number; polled: number }>(
          `SELECT (SELECT count(*)::int FROM payment_intents WHERE idempotency_key = $1) AS pis,
                  (SELECT count(*)::int FROM payment_attempts WHERE payment_intent_id = $2) AS attempts,
                  (SELECT count(*)::int FROM sim_payments s JOIN payment_attempts a ON a.id = s.payment_request_id WHERE a.payment_intent_id = $2) AS upstream,
                  (SELECT max(poll_count)::int FROM payment_attempts WHERE payment_intent_id = $2) AS polled`,
          [key, retry.body.id]);
        const { polled, ...counts } = row!;
        assert.deepEqual(counts, { pis: 1, attempts: 1, upstream: 1 }, key);
        const by = polled > 0 ? 'after the poller\'s resend' : 'before it';
        outcomes.set(by, (outcomes.get(by) ?? 0) + 1);
        // The poller's turn passes before the next key's faults are queued, so that it takes none of them.
        await eventually(async () => (await g.gateway.db.query<{ n: number }>('SELECT poll_count AS n FROM payment_attempts WHERE payment_intent_id = $1', [retry.body.id]))[0]!.n > 0, 10_000, 10);
      }
      console.log(`# ${kind}: ${[...outcomes].map(([k, n]) => `${n} retries answered ${k}`).join(', ')}`);
    });
  });
}
