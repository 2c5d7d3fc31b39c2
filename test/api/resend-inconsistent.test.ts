/**
 * A pay whose answer never came is sent again by the poller. When the resend differs from what
 * Antom holds under the id (a PUBLIC_URL changed between the two, say), Antom answers
 * REPEAT_REQ_INCONSISTENT: that is no verdict on the payment, which the shopper may still
 * complete. The attempt stays open, the poller asks Antom what it holds, and the shopper's payment
 * lands on its PaymentIntent. (Taken as a decline, the attempt failed, the later success was
 * ignored as "another result for a settled attempt", and the money reached no PaymentIntent.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { mapPay, mapRefund } from '../../src/connectors/antom/mapping.js';
import { pollDueAttempts } from '../../src/core/payment-intents/poll.js';

let g: TestGateway;
before(async () => {
  // The background work is driven by hand: the poller runs when the test has set the scene.
  g = await startGateway({ store: 'pglite', workers: false, env: { POLL_SCHEDULE_MS: '600000,600000,600000,600000', ANTOM_TIMEOUT_MS: '2000' } });
});
after(async () => g?.stop());

test('REPEAT_REQ_INCONSISTENT is no answer, for a pay and for a refund', () => {
  const inconsistent = { result: { resultStatus: 'F', resultCode: 'REPEAT_REQ_INCONSISTENT', resultMessage: 'Repeated requests are inconsistent.' } };
  assert.equal(mapPay(inconsistent).status, 'unknown');
  assert.equal(mapRefund(inconsistent).status, 'unknown');
  assert.equal(mapPay({ result: { resultStatus: 'F', resultCode: 'RISK_REJECT' } }).status, 'failed');
});

test('a resend Antom finds inconsistent leaves the attempt open, and the shopper\'s payment lands', async () => {
  // Antom processes the pay but answers after the gateway has given up.
  const fault = await fetch(`${g.url}/simulator/v1/faults`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'timeout', times: 10, delay_ms: 4000 }),
  });
  assert.equal(fault.status, 200);
  const confirm = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
  assert.equal(confirm.status, 502, JSON.stringify(confirm.body));
  // (The connector's own retries within its deadline took some of them.)
  await fetch(`${g.url}/simulator/v1/faults`, { method: 'DELETE' });
  const piId = (await g.api('GET', '/v1/payment_intents?limit=1')).body.data[0].id as string;
  const [attempt] = await g.gateway.db.query<{ id: string }>('SELECT id FROM payment_attempts WHERE payment_intent_id = $1', [piId]);
  // What the gateway will resend is no longer what Antom holds; and the poll is due.
  await g.gateway.db.query("UPDATE payment_attempts SET description = description || ' (changed)', next_poll_at = 0 WHERE id = $1", [attempt!.id]);
  assert.equal(await pollDueAttempts(g.gateway.core), 1);

  await g.gateway.upstreamCalls.flush();
  const calls = await g.gateway.db.query<{ api: string; outcome: string; error: string | null }>(
    'SELECT api, outcome, error FROM upstream_calls WHERE reference = $1 ORDER BY id', [attempt!.id]);
  const resend = calls.filter((c) => c.api === 'pay')[1];
  assert.equal(resend?.outcome, 'unknown', JSON.stringify(calls));
  assert.match(resend!.error ?? '', /REPEAT_REQ_INCONSISTENT/);
  assert.equal(calls.at(-1)!.api, 'inquiryPayment', 'then Antom is asked what it holds');
  const [open] = await g.gateway.db.query<{ status: string }>('SELECT status FROM payment_attempts WHERE id = $1', [attempt!.id]);
  assert.notEqual(open!.status, 'failed', 'the attempt is not failed on Antom\'s word about another request');
  assert.equal((await g.api('GET', `/v1/payment_intents/${piId}`)).body.last_payment_error, null);

  // The shopper pays what Antom holds; the next poll finds it: the payment is the PaymentIntent's.
  const [sim] = await g.gateway.db.query<{ code_value: string }>('SELECT code_value FROM sim_payments WHERE payment_request_id = $1', [attempt!.id]);
  const paid = await g.complete(`${g.url}/simulator/cashier?codeValue=${encodeURIComponent(sim!.code_value)}`, 'succeeded');
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  await g.gateway.db.query('UPDATE payment_attempts SET next_poll_at = 0 WHERE id = $1', [attempt!.id]);
  assert.equal(await pollDueAttempts(g.gateway.core), 1);
  const pi = (await g.api('GET', `/v1/payment_intents/${piId}`)).body;
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount_received, 20);
});
