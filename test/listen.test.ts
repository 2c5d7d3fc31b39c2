/**
 * `opencashier listen` as a developer runs it: a real process following a real gateway's events
 * and forwarding them to a local handler, which checks every signature with the official SDK.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { spawnCli, startReceiver, type CliProcess } from './helpers/processes.js';
import { SEED_000_WEB } from './helpers/seeds.js';

const stripe = new Stripe('sk_test_x');
const READY = /Ready! Your webhook signing secret is (whsec_[0-9a-f]{64}) \(\^C to quit\)/;

let g: TestGateway;
const cleanup: (() => Promise<unknown> | void)[] = [];

before(async () => {
  g = await startGateway({ store: 'pglite' });
});

after(async () => {
  for (const c of cleanup.reverse()) await c();
  await g.stop();
});

function configHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opencashier-listen-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function listen(args: string[], xdg: string): CliProcess {
  const p = spawnCli(['listen', '--api-base', g.url, '--api-key', g.secretKey, '--interval', '100', ...args], { XDG_CONFIG_HOME: xdg });
  cleanup.push(() => p.stop('SIGKILL'));
  return p;
}

/** Pays seed 000 in the simulator; resolves with the PaymentIntent's id once it has succeeded. */
async function payOnce(): Promise<string> {
  const pi = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
  assert.equal(pi.status, 200, JSON.stringify(pi.body));
  assert.equal(pi.body.status, 'requires_action');
  const done = await g.complete(pi.body.next_action.redirect_to_url.url, 'succeeded');
  assert.equal(done.status, 200, JSON.stringify(done.body));
  await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.body.id}`)).body.status === 'succeeded');
  return pi.body.id as string;
}

/** Every event of the account, oldest first, as GET /v1/events pages them. */
async function allEvents(): Promise<{ id: string; type: string; data: { object: { id: string; payment_intent?: string } } }[]> {
  const out = [];
  let after: string | undefined;
  for (;;) {
    const page = await g.api('GET', `/v1/events?limit=100${after ? `&starting_after=${after}` : ''}`);
    assert.equal(page.status, 200);
    out.push(...page.body.data);
    if (!page.body.has_more) return out.reverse();
    after = page.body.data[page.body.data.length - 1].id;
  }
}

test('listen forwards each new event in order, signed so that stripe.webhooks.constructEvent accepts it, and retries a failed forward', async () => {
  const before = await g.api('POST', '/v1/payment_intents', { amount: 500, currency: 'CNY', payment_method_types: ['alipay'] });
  assert.equal(before.status, 200);
  // The handler fails the very first delivery, as a handler that is still starting up would.
  const rcv = await startReceiver((_r, i) => (i === 0 ? 503 : 200));
  cleanup.push(() => rcv.close());
  const p = listen(['--forward-to', rcv.url], configHome());
  const secret = (await p.waitFor(READY))[1]!;

  const piId = await payOnce();
  const ours = (await allEvents()).filter((e) => e.data.object.id === piId || e.data.object.payment_intent === piId);
  assert.deepEqual(ours.map((e) => e.type), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.succeeded', 'charge.succeeded']);
  await eventually(async () => rcv.received.filter((r) => r.status === 200).length >= ours.length, 15_000);

  const accepted = rcv.received.filter((r) => r.status === 200).map((r) => {
    const header = r.headers['stripe-signature'];
    assert.equal(typeof header, 'string');
    const event = stripe.webhooks.constructEvent(r.body, header as string, secret);
    assert.throws(() => stripe.webhooks.constructEvent(r.body.replace('"livemode":false', '"livemode":true'), header as string, secret), /signature/i);
    return event;
  });
  assert.deepEqual(accepted.map((e) => e.id), ours.map((e) => e.id), 'exactly the events recorded after the start, in the order they were created');
  assert.ok(!rcv.received.some((r) => r.body.includes(before.body.id)), 'events from before the start are not forwarded');
  // The event is forwarded as the API returns it.
  const byApi = await g.api('GET', `/v1/events/${ours[2]!.id}`);
  assert.deepEqual(accepted[2], byApi.body);

  // The first attempt was answered 503 and retried.
  assert.equal(rcv.received[0]!.status, 503);
  assert.equal(JSON.parse(rcv.received[1]!.body).id, ours[0]!.id);
  const out = p.output();
  const url = rcv.url.replace(/[/.]/g, '\\$&');
  assert.match(out, new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  <--  \\[503\\] POST ${url} \\[${ours[0]!.id}\\]; retry 1 of 3`));
  for (const e of ours) {
    assert.match(out, new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d   --> ${e.type.replace('.', '\\.')} \\[${e.id}\\]`));
    assert.match(out, new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  <--  \\[200\\] POST ${url} \\[${e.id}\\]`));
  }
  assert.equal(await p.stop('SIGINT'), 0, 'SIGINT is a clean exit');
});

test('--events forwards only the types asked for; the signing secret is the same on every run with the same key', async () => {
  const xdg = configHome();
  const rcv = await startReceiver();
  cleanup.push(() => rcv.close());
  const first = listen(['--forward-to', rcv.url, '--events', 'payment_intent.succeeded'], xdg);
  const secret = (await first.waitFor(READY))[1]!;
  const piId = await payOnce();
  await eventually(async () => rcv.received.length >= 1, 15_000);
  // charge.succeeded is recorded after payment_intent.succeeded: give listen time to (wrongly) send it.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual(rcv.received.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, secret).type), ['payment_intent.succeeded']);
  assert.equal(JSON.parse(rcv.received[0]!.body).data.object.id, piId);
  assert.equal(await first.stop('SIGTERM'), 0, 'SIGTERM is a clean exit');

  const file = join(xdg, 'opencashier', 'listen.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the secrets file is readable by its owner only');

  const second = listen(['--forward-to', rcv.url], xdg);
  assert.equal((await second.waitFor(READY))[1], secret);
  await second.stop('SIGINT');

  const printed = listen(['--print-secret'], xdg);
  assert.equal(await printed.exited, 0);
  assert.equal(printed.output().trim(), secret);

  const otherKey = spawnCli(['listen', '--print-secret', '--api-base', g.url, '--api-key', 'sk_test_AnotherKey'], { XDG_CONFIG_HOME: xdg });
  assert.equal(await otherKey.exited, 0);
  assert.match(otherKey.output().trim(), /^whsec_[0-9a-f]{64}$/);
  assert.notEqual(otherKey.output().trim(), secret, 'another key gets its own secret');
});

test('a key the gateway refuses stops listen with exit code 1 and a one-line reason', async () => {
  const p = spawnCli(['listen', '--forward-to', 'http://127.0.0.1:9/hook', '--api-base', g.url, '--api-key', 'sk_test_NotAKeyOfThisGateway'], { XDG_CONFIG_HOME: configHome() });
  assert.equal(await p.exited, 1);
  assert.match(p.output(), /^opencashier listen: the gateway at \S+ refused the API key \(401: .*\); check --api-key\n$/);
});

test('an unreachable gateway is reported once and retried until it answers', async () => {
  const { createServer } = await import('node:http');
  // A free port, closed again: nothing answers there until the stand-in below is started.
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as { port: number }).port;
  await new Promise((resolve) => free.close(resolve));
  const p = spawnCli(['listen', '--forward-to', 'http://127.0.0.1:9/hook', '--api-base', `http://127.0.0.1:${port}`, '--api-key', g.secretKey, '--interval', '50'], { XDG_CONFIG_HOME: configHome() });
  cleanup.push(() => p.stop('SIGKILL'));
  await p.waitFor(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); retrying…/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(p.output().match(/cannot reach/g)?.length, 1, 'said once, not at every poll');
  assert.doesNotMatch(p.output(), /Ready!/);

  // A stand-in for the gateway coming back: an empty event list.
  const back = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"object":"list","data":[],"has_more":false}'));
  await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => back.close(resolve)));
  await p.waitFor(READY, 10_000);
  assert.match(p.output(), /answers again/);
  assert.equal(await p.stop('SIGINT'), 0);
});
