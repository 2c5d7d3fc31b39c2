/**
 * Logs a person can read: on a terminal (LOG_FORMAT=pretty, the default there) one line per request
 * with method, route, status, time, the object touched or the error code; JSON lines for machines.
 * Polling (the checkout page's status, `opencashier listen`, health checks) stays out of the info
 * level. One payment can be followed through the log: the API's request, Antom's answer to it,
 * Antom's notification, and the webhooks sent about it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway, startReceiver } from './helpers/processes.js';
import { SEED_000_WEB } from './helpers/seeds.js';
import { eventually } from './helpers/gateway.js';
import { formatLogLine } from '../src/logging.js';

const SECRET = 'sk_test_ReadableLogsKey0000000001';

test('a request line reads as one line: time, method, route, status, time taken, object, request id', () => {
  const line = formatLogLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 10, 29, 14, 3, 22), reqId: 'req_abc', method: 'POST', route: '/v1/payment_intents', status: 200, ms: 35, object: 'pi_123', msg: 'request completed' }));
  assert.match(line, /^\d\d:\d\d:\d\d {2}POST {4}\/v1\/payment_intents {2}200 {2}35 ms {2}pi_123 {2}req_abc$/);
  const refused = formatLogLine(JSON.stringify({ level: 30, time: 0, method: 'POST', route: '/v1/refunds', status: 400, ms: 3, code: 'parameter_missing', msg: 'request completed' }));
  assert.match(refused, /\/v1\/refunds {2}400 {2}3 ms {2}parameter_missing/);
  const warn = formatLogLine(JSON.stringify({ level: 40, time: 0, msg: 'pay without a usable answer', payment_intent: 'pi_1', reason: 'timeout' }));
  assert.match(warn, /WARN {3}pay without a usable answer {2}payment_intent=pi_1 {2}reason=timeout/);
  assert.equal(formatLogLine('not json'), 'not json');
});

test('the gateway logs readable lines with LOG_FORMAT=pretty, JSON lines otherwise, and polling only at debug', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-logs-'));
  const env = { DATA_DIR: dataDir, OPENCASHIER_TEST_SECRET_KEY: SECRET, LOG_LEVEL: 'info' };
  try {
    const pretty = await spawnGateway({ ...env, LOG_FORMAT: 'pretty' });
    const auth = { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' };
    const pi = (await (await fetch(`${pretty.url}/v1/payment_intents`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: 20, currency: 'CNY' }) })).json()) as any;
    await fetch(`${pretty.url}/v1/refunds`, { method: 'POST', headers: auth, body: JSON.stringify({}) });
    for (let i = 0; i < 3; i++) await fetch(`${pretty.url}/v1/events`, { headers: { ...auth, 'User-Agent': 'opencashier-listen' } });
    const line = await pretty.waitFor(new RegExp(`POST +/v1/payment_intents {2}200 {2}\\d+ ms {2}${pi.id}`));
    assert.ok(line);
    await pretty.waitFor(/POST +\/v1\/refunds {2}400 {2}\d+ ms {2}parameter_missing/);
    const out = pretty.output();
    assert.doesNotMatch(out, /\{"level"/, 'no JSON on the readable log');
    assert.doesNotMatch(out, /GET +\/v1\/events/, 'listen\'s polling is not at info level');
    assert.match(out, /OpenCashier is running/);
    await pretty.stop();

    const json = await spawnGateway({ ...env, LOG_FORMAT: 'json' });
    await fetch(`${json.url}/v1/payment_intents/${pi.id}`, { headers: auth });
    await json.waitFor(/"route":"\/v1\/payment_intents\/:id"/);
    const jsonLine = json.output().split('\n').find((l) => l.includes('"route":"/v1/payment_intents/:id"'))!;
    const parsed = JSON.parse(jsonLine);
    assert.equal(parsed.status, 200);
    assert.equal(parsed.object, pi.id);
    await json.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** What is logged outside any request in the test below: the webhook worker's sends, the simulator's notifier. */
const BACKGROUND = new Set(['webhook sent', 'simulator notification not acknowledged']);
/** Lines of the start, before any request. */
const STARTUP = /^(Server listening at |V8 flags set for a PGlite process)/;

test('one payment followed through the log: its request, Antom\'s answer, the notification, the webhooks', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-logs-'));
  const receiver = await startReceiver();
  // The poller stays away: what happens to the payments here comes from requests only.
  const gw = await spawnGateway({ DATA_DIR: dataDir, OPENCASHIER_TEST_SECRET_KEY: SECRET, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', SIMULATOR_NOTIFY_SCHEDULE_MS: '0,200,400', POLL_SCHEDULE_MS: '600000' });
  try {
    const auth = { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' };
    const json = { 'Content-Type': 'application/json' };
    const fault = (body: object) => fetch(`${gw.url}/simulator/v1/faults`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    await fetch(`${gw.url}/v1/webhook_endpoints`, { method: 'POST', headers: auth, body: JSON.stringify({ url: receiver.url, enabled_events: ['*'] }) });
    // Antom's first answer to the pay call is an HTTP 500; the connector's retry gets the real one.
    assert.equal((await fault({ api: 'pay', kind: 'http_500' })).status, 200);
    const created = await fetch(`${gw.url}/v1/payment_intents`, { method: 'POST', headers: auth, body: JSON.stringify(SEED_000_WEB) });
    const pi = (await created.json()) as any;
    assert.equal(pi.status, 'requires_action');
    const done = await fetch(`${gw.url}/simulator/v1/complete`, { method: 'POST', headers: json, body: JSON.stringify({ url: pi.next_action.redirect_to_url.url, outcome: 'succeeded' }) });
    assert.equal(done.status, 200);
    const lines = () => gw.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
    const sent = (object: string, type: string) => lines().find((l) => l.msg === 'webhook sent' && l.object === object && l.type === type && l.status === 200);
    const charged = () => lines().find((l) => l.msg === 'webhook sent' && l.type === 'charge.succeeded' && l.status === 200);
    await eventually(async () => sent(pi.id, 'payment_intent.succeeded') && charged(), 30_000);

    // The API's line, and the request id it carries (the one its answer's Request-Id header names).
    const api = lines().find((l) => l.msg === 'request completed' && l.route === '/v1/payment_intents' && l.object === pi.id)!;
    assert.match(api.reqId, /^req_/);
    assert.equal(api.reqId, created.headers.get('request-id'));
    // The connector's warning about the failed send, and Antom's answer to the retry: the same request id.
    const unusable = lines().filter((l) => l.msg === 'antom call without a usable answer' && l.call === 'pay');
    assert.deepEqual(unusable.map((l) => [l.reqId, l.attempt, l.reason]), [[api.reqId, 1, 'HTTP 500']]);
    const answered = lines().find((l) => l.msg === 'antom answered' && l.payment_intent === pi.id);
    assert.ok(answered, 'a line says what Antom answered');
    assert.equal(answered.reqId, api.reqId);
    assert.equal(answered.api, 'pay');
    assert.equal(answered.outcome, 'action_required');
    // The simulator (Antom's side) served that failed call as a request of its own, under its own id.
    const injected = lines().find((l) => l.msg === 'simulator fault injected' && l.api === 'pay');
    assert.match(injected?.reqId ?? '', /^req_/);
    assert.notEqual(injected!.reqId, api.reqId);
    // Antom's notification: its request's line names the payment.
    const notified = lines().find((l) => l.msg === 'request completed' && l.route === '/antom/notify' && l.object === pi.id);
    assert.ok(notified, 'the notification\'s line names the PaymentIntent');
    assert.match(notified.reqId, /^req_/);
    // The webhooks about it: the one the API request caused names that request; those the
    // notification caused name the notification's request, while their public request.id stays
    // null as Stripe's does for a change no API request made.
    assert.equal(sent(pi.id, 'payment_intent.created')!.request, api.reqId);
    assert.equal(sent(pi.id, 'payment_intent.requires_action')!.request, api.reqId);
    assert.equal(sent(pi.id, 'payment_intent.succeeded')!.request, notified.reqId);
    assert.equal(charged()!.request, notified.reqId);
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as any);
    assert.deepEqual(bodies.find((e) => e.type === 'payment_intent.created')!.request, { id: api.reqId, idempotency_key: null });
    assert.deepEqual(bodies.find((e) => e.type === 'payment_intent.succeeded')!.request, { id: null, idempotency_key: null });

    // A notification refused: the line saying why carries that request's id.
    const forged = await fetch(`${gw.url}/antom/notify`, { method: 'POST', headers: json, body: JSON.stringify({ notifyType: 'PAYMENT_RESULT' }) });
    assert.equal(forged.status, 400);
    const refused = await eventually(async () => lines().find((l) => l.msg === 'upstream notification refused'));
    assert.equal(refused.reqId, forged.headers.get('request-id'));

    // The shopper comes back from the wallet before Antom's notification (held back): the gateway
    // asks Antom, whose first answer fails. The connector's warning, and the events the answer
    // causes, carry the return's request id.
    const pi2 = (await (await fetch(`${gw.url}/v1/payment_intents`, { method: 'POST', headers: auth, body: JSON.stringify(SEED_000_WEB) })).json()) as any;
    assert.equal((await fault({ api: 'notify', kind: 'fail', times: 10 })).status, 200);
    assert.equal((await fault({ api: 'inquiryPayment', kind: 'http_500' })).status, 200);
    const paid = (await (await fetch(`${gw.url}/simulator/v1/complete`, { method: 'POST', headers: json, body: JSON.stringify({ url: pi2.next_action.redirect_to_url.url, outcome: 'succeeded' }) })).json()) as any;
    const back = await fetch(`${gw.url}/return/${paid.payment_request_id}`, { redirect: 'manual' });
    assert.equal(back.status, 303);
    const returned = back.headers.get('request-id')!;
    assert.match(returned, /^req_/);
    const inquired = lines().filter((l) => l.msg === 'antom call without a usable answer' && l.call === 'inquiryPayment');
    assert.deepEqual(inquired.map((l) => [l.reqId, l.reason]), [[returned, 'HTTP 500']]);
    await eventually(async () => sent(pi2.id, 'payment_intent.succeeded'), 30_000);
    assert.equal(sent(pi2.id, 'payment_intent.succeeded')!.request, returned);

    // No line written while serving a request lacks its id: whatever has none is background work.
    const orphans = lines().filter((l) => !l.reqId && !BACKGROUND.has(l.msg) && !STARTUP.test(l.msg));
    assert.deepEqual(orphans, [], 'every line of a request carries its reqId');
    // Attempt ids lead to client secrets: none is on any line.
    assert.doesNotMatch(gw.output(), /\bpa_[A-Za-z0-9]{8,}/);
  } finally {
    await gw.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
