/**
 * `/antom/notify` is open to anyone. What it refuses is kept as a bounded excerpt, at most
 * REFUSAL_BUDGET.perSource per sender and hour (then 429 in Antom's result shape, nothing kept),
 * and deleted after REFUSED_RETENTION_MS; accepted notifications are never throttled or pruned.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { signatureHeader } from '../../src/connectors/antom/signing.js';
import { paymentSucceeded, signedNotification } from '../helpers/notifications.js';
import { REFUSAL_BUDGET, REFUSED_EXCERPT, REFUSED_RETENTION_MS } from '../../src/core/notifications.js';

/** A POST from a chosen local address (127.0.0.0/8 all reach the gateway on 127.0.0.1). */
function post(g: TestGateway, from: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL('/antom/notify', g.url);
    const req = request({
      host: '127.0.0.1', port: url.port, path: url.pathname, method: 'POST', localAddress: from,
      headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** 250 KB that Antom did not sign, dressed as a notification with our client id. */
function junk(g: TestGateway, i: number, size = 250 * 1024): { headers: Record<string, string>; body: string } {
  const head = `{"notifyType":"PAYMENT_RESULT","paymentRequestId":"pa_junk_${i}","filler":"`;
  return {
    headers: {
      'Content-Type': 'application/json', 'client-id': g.gateway.simulatorKeys!.clientId, 'request-time': String(Date.now()),
      signature: signatureHeader(encodeURIComponent(Buffer.from(`forged${i}`.repeat(20)).toString('base64'))),
    },
    body: head + 'x'.repeat(size - head.length - 2) + '"}',
  };
}

async function stored(g: TestGateway, where = "verdict = 'refused'", params: unknown[] = []) {
  const rows = await g.gateway.db.query<{ n: number; body: number; total: number }>(
    `SELECT count(*)::int AS n, coalesce(sum(octet_length(body)), 0)::int8 AS body,
            coalesce(sum(octet_length(body) + octet_length(headers::text) + octet_length(path) + coalesce(octet_length(reason), 0)), 0)::int8 AS total
       FROM upstream_notifications WHERE ${where}`, params);
  return rows[0]!;
}

for (const { kind, skip } of await stores()) {
  describe(`refused notifications are bounded [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let offset = 0;
    before(async () => {
      g = await startGateway({ store: kind, clock: { now: () => Date.now() + offset } });
    });
    after(async () => g?.stop());

    test('40 refused 250 KB posts keep at most 2 KiB of body each; the 41st from that address is a 429 that keeps nothing', async () => {
      const before = await stored(g);
      for (let i = 0; i < REFUSAL_BUDGET.perSource; i++) {
        const n = junk(g, i);
        const res = await post(g, '127.0.0.1', n.headers, n.body);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.result.resultStatus, 'F');
      }
      const kept = await stored(g);
      assert.equal(kept.n - before.n, 40);
      const posted = 40 * 250 * 1024;
      assert.ok(kept.body - before.body <= 40 * REFUSED_EXCERPT.bodyBytes, `bodies grew by ${kept.body - before.body} bytes for ${posted} posted`);
      // Body, headers, path and reason together: well under 8 KiB a row, against 250 KiB posted.
      assert.ok(kept.total - before.total <= 40 * 8 * 1024, `rows grew by ${kept.total - before.total} bytes`);
      const sizes = await g.gateway.db.query<{ body_bytes: number; reason: string }>(
        "SELECT body_bytes, reason FROM upstream_notifications WHERE verdict = 'refused' AND body LIKE '%pa_junk_%' ORDER BY id");
      assert.equal(sizes.length, 40);
      assert.ok(sizes.every((s) => s.body_bytes === 250 * 1024 && /signature/.test(s.reason)), 'the full size and the reason are kept');

      for (let i = 40; i < 45; i++) {
        const n = junk(g, i);
        const res = await post(g, '127.0.0.1', n.headers, n.body);
        assert.equal(res.status, 429);
        assert.deepEqual(Object.keys(res.body.result).sort(), ['resultCode', 'resultMessage', 'resultStatus']);
        assert.equal(res.body.result.resultCode, 'REQUEST_TRAFFIC_EXCEED_LIMIT');
      }
      assert.deepEqual(await stored(g), kept, 'over the budget, nothing is kept');

      // Another sender has its own budget…
      const other = await post(g, '127.0.0.2', { 'Content-Type': 'application/json' }, '{"notifyType":"PAYMENT_RESULT"}');
      assert.equal(other.status, 400);
      assert.equal((await stored(g)).n, kept.n + 1);

      // …and a genuine notification from the throttled address is still applied: only refusals are counted.
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      const n = signedNotification(g, (await paymentSucceeded(g, pi.next_action.redirect_to_url.url)).body);
      const genuine = await post(g, '127.0.0.1', n.headers, n.raw);
      assert.equal(genuine.status, 200, JSON.stringify(genuine.body));
      assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'succeeded');
    });

    test('concurrent refusals from one address cannot overshoot its budget', async () => {
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => {
        const n = junk(g, 1000 + i, 4096);
        return post(g, '127.0.0.3', n.headers, n.body);
      }));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 400).length, REFUSAL_BUDGET.perSource, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, 60 - REFUSAL_BUDGET.perSource);
      assert.equal((await stored(g, "verdict = 'refused' AND source = $1", ['127.0.0.3'])).n, REFUSAL_BUDGET.perSource);
    });

    test('refused notifications older than the retention are pruned by the worker; accepted ones stay', async () => {
      const ids = async (where: string) => (await g.gateway.db.query<{ id: number }>(`SELECT id FROM upstream_notifications WHERE ${where}`)).map((r) => Number(r.id));
      const accepted = await ids("verdict <> 'refused'");
      const refused = await ids("verdict = 'refused'");
      assert.ok(accepted.length >= 1 && refused.length >= 80, `${accepted.length} accepted, ${refused.length} refused`);
      offset = REFUSED_RETENTION_MS + 60_000;
      // Sent after the jump, from an address with budget left: recent, so it stays.
      const fresh = await post(g, '127.0.0.4', { 'Content-Type': 'application/json' }, '{"notifyType":"PAYMENT_RESULT","fresh":true}');
      assert.equal(fresh.status, 400);
      await eventually(async () => {
        const left = await ids("verdict = 'refused'");
        return refused.every((id) => !left.includes(id));
      }, 15_000);
      const left = await g.gateway.db.query<{ body: string }>("SELECT body FROM upstream_notifications WHERE verdict = 'refused' AND source = '127.0.0.4'");
      assert.match(left[0]?.body ?? '', /"fresh":true/);
      const still = await ids("verdict <> 'refused'");
      assert.ok(accepted.every((id) => still.includes(id)), 'every accepted notification is kept');
    });
  });
}
