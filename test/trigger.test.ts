/**
 * `opencashier trigger` as a developer runs it: the compiled CLI against a running gateway, once
 * for every event it offers, each checked against what the gateway itself lists afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { EVENT_TYPES } from '../src/core/events.js';
import { runTrigger, TRIGGERABLE_EVENTS, UNTRIGGERABLE_EVENTS } from '../src/listen/trigger.js';
import { startGateway, stores, type TestGateway } from './helpers/gateway.js';
import { spawnCli } from './helpers/processes.js';

const DONE = /^Trigger succeeded! Check the event: GET \/v1\/events\?type=(\S+) \((evt_\w+) for (\w+)\)$/m;
const MADE = /^Running fixture for: [a-z_.]+ \((\w+)\)/gm;

/**
 * What the event's object must look like. `tagged`: the object carries trigger's metadata, so a
 * handler can tell a triggered event from a real one.
 */
const EXPECTED: Record<string, { object: string; status?: string; tagged: boolean; more?: Record<string, unknown> }> = {
  'payment_intent.created': { object: 'payment_intent', status: 'requires_confirmation', tagged: true },
  'payment_intent.requires_action': { object: 'payment_intent', status: 'requires_action', tagged: true },
  'payment_intent.processing': { object: 'payment_intent', status: 'processing', tagged: true },
  'payment_intent.succeeded': { object: 'payment_intent', status: 'succeeded', tagged: true, more: { amount_received: 20 } },
  'payment_intent.payment_failed': { object: 'payment_intent', status: 'requires_payment_method', tagged: true },
  'payment_intent.canceled': { object: 'payment_intent', status: 'canceled', tagged: true },
  'charge.succeeded': { object: 'charge', status: 'succeeded', tagged: false, more: { amount: 20, currency: 'CNY' } },
  'charge.failed': { object: 'charge', status: 'failed', tagged: false },
  'charge.refunded': { object: 'charge', status: 'succeeded', tagged: false, more: { amount_refunded: 20, refunded: true } },
  'refund.created': { object: 'refund', status: 'pending', tagged: true, more: { amount: 20 } },
  'refund.updated': { object: 'refund', status: 'succeeded', tagged: true },
  'charge.refund.updated': { object: 'refund', status: 'succeeded', tagged: true },
  'refund.failed': { object: 'refund', status: 'failed', tagged: true, more: { failure_reason: 'refund_window_exceeded' } },
  'checkout.session.completed': { object: 'checkout.session', status: 'complete', tagged: true, more: { payment_status: 'paid' } },
  'checkout.session.expired': { object: 'checkout.session', status: 'expired', tagged: true },
  'product.created': { object: 'product', tagged: true },
  'product.updated': { object: 'product', tagged: true, more: { description: 'updated by opencashier trigger' } },
  'price.created': { object: 'price', tagged: true, more: { unit_amount: 20 } },
  'price.updated': { object: 'price', tagged: true, more: { nickname: 'updated by opencashier trigger' } },
};

/**
 * Runs the CLI to its end. Waits for 'close', not 'exit': a process's last lines can still be in
 * the pipe when it has exited.
 */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const p = spawnCli(args, env);
  const [code] = (await once(p.proc, 'close')) as [number | null];
  return { code, out: p.output() };
}

/** runTrigger in this process, for answers that need no gateway: a child process costs a second of CPU. */
async function inProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const line = (l: string) => {
    out += `${l}\n`;
  };
  return { code: await runTrigger(args, env, { out: line, err: line }), out };
}

/** Runs trigger with the key from the environment and the API base as the serve banner prints it (…/v1). */
function trigger(g: TestGateway, args: string[], env: Record<string, string> = {}) {
  return cli(['trigger', ...args, '--api-base', `${g.url}/v1`], { OPENCASHIER_API_KEY: '', OPENCASHIER_TEST_SECRET_KEY: g.secretKey, ...env });
}

/** Every event `type` for the account, newest first. */
async function eventsOf(g: TestGateway, type: string): Promise<any[]> {
  const out = [];
  let after: string | undefined;
  for (;;) {
    const page = await g.api('GET', `/v1/events?type=${type}&limit=100${after ? `&starting_after=${after}` : ''}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    out.push(...page.body.data);
    if (!page.body.has_more) return out;
    after = page.body.data[page.body.data.length - 1].id;
  }
}

/** Triggers `event` and checks, through the gateway's API, that it exists for the object printed. */
async function triggerAndCheck(g: TestGateway, event: string): Promise<void> {
  const { code, out } = await trigger(g, [event]);
  assert.equal(code, 0, `${event}:\n${out}`);
  assert.match(out, new RegExp(`^Setting up fixture for: ${event.replaceAll('.', '\\.')}$`, 'm'));
  const m = out.match(DONE);
  assert.ok(m, `${event}: no success line in\n${out}`);
  const [, type, eventId, objectId] = m;
  assert.equal(type, event);
  const made = [...out.matchAll(MADE)].map((r) => r[1]);
  assert.ok(made.length > 0, out);

  const found = (await eventsOf(g, event)).filter((e) => e.data.object.id === objectId);
  assert.deepEqual(found.map((e) => e.id), [eventId], `${event}: exactly the event printed exists for ${objectId}`);
  const object = found[0].data.object;
  // The object is this run's own: printed as made, or (a charge) made for a PaymentIntent it printed.
  assert.ok(made.includes(object.id) || made.includes(object.payment_intent), `${event}: ${object.id} is not among ${made.join(', ')}`);
  const want = EXPECTED[event]!;
  assert.equal(object.object, want.object, event);
  if (want.status) assert.equal(object.status, want.status, event);
  if (want.tagged) assert.equal(object.metadata?.opencashier_trigger, event, `${event}: trigger's metadata tag`);
  for (const [k, v] of Object.entries(want.more ?? {})) assert.deepEqual(object[k], v, `${event}: ${k}`);
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

test('every event type is either triggerable, with an expectation here, or said to be untriggerable', () => {
  assert.deepEqual([...TRIGGERABLE_EVENTS, ...UNTRIGGERABLE_EVENTS].sort(), [...EVENT_TYPES].sort());
  assert.deepEqual([...TRIGGERABLE_EVENTS].sort(), Object.keys(EXPECTED).sort());
});

/** Triggers `events`, checking each; refund.failed last and alone. */
async function triggerAll(g: TestGateway, events: readonly string[]): Promise<void> {
  // The simulator's refund fault is shared by the gateway: refund.failed runs when no other refund can take it.
  const together = events.filter((e) => e !== 'refund.failed');
  // Side by side, so each run must find its own object among the others' events of the same type.
  await pool(together, 4, (e) => triggerAndCheck(g, e));
  if (events.includes('refund.failed')) {
    await triggerAndCheck(g, 'refund.failed');
    const leftover = await fetch(`${g.url}/simulator/v1/faults`).then((r) => r.json() as Promise<{ faults: unknown[] }>);
    assert.deepEqual(leftover.faults, [], 'the refund fault was used by the refund trigger made');
  }
}

describe('trigger against a gateway on PGlite', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
  });
  after(async () => {
    await g?.stop();
  });

  test('each event is made, exists for the object printed, and the command exits 0', { timeout: 60_000 }, async () => {
    await triggerAll(g, TRIGGERABLE_EVENTS);
  });

  test('a 502 from the gateway is retried with the same Idempotency-Key: one PaymentIntent, not two', async () => {
    // The gateway's Antom client tries each call three times before it answers 502.
    const fault = await fetch(`${g.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'http_500', times: 3 }),
    });
    assert.equal(fault.status, 200);
    const before = (await g.api('GET', '/v1/payment_intents?limit=100')).body.data.length;
    const { code, out } = await trigger(g, ['payment_intent.requires_action']);
    assert.equal(code, 0, out);
    assert.match(out, /POST \/v1\/payment_intents answered 502 \(.+\); trying again with the same Idempotency-Key/);
    const pis = (await g.api('GET', '/v1/payment_intents?limit=100')).body.data;
    assert.equal(pis.length, before + 1, 'the retry resumed the first PaymentIntent');
    assert.equal(out.match(DONE)?.[3], pis[0].id);
  });

  test('--list names every event it can trigger and says which it cannot, and why', async () => {
    const { code, out } = await inProcess(['--list']);
    assert.equal(code, 0);
    for (const e of TRIGGERABLE_EVENTS) assert.match(out, new RegExp(`^  ${e.replaceAll('.', '\\.')} `, 'm'));
    assert.match(out, /Cannot be triggered:\n {2}webhook_endpoint\.disabled +recorded only after an endpoint has failed every delivery/);
  });

  test('an unknown event is a usage error (exit 2) that lists the events', async () => {
    const { code, out } = await trigger(g, ['payment_intent.exploded']);
    assert.equal(code, 2);
    assert.match(out, /^opencashier trigger: unknown event "payment_intent\.exploded"\n\nSupported events:\n/);
    for (const e of TRIGGERABLE_EVENTS) assert.ok(out.includes(`  ${e} `), e);
    assert.doesNotMatch(out, /Setting up fixture/);
  });

  test('webhook_endpoint.disabled is refused with the reason and a way to see one', async () => {
    const { code, out } = await inProcess(['webhook_endpoint.disabled']);
    assert.equal(code, 2);
    assert.match(out, /^opencashier trigger: webhook_endpoint\.disabled cannot be triggered in one command: it is recorded only after .*WEBHOOK_DISABLE_AFTER_MS=1/);
  });

  test('a live key is refused before anything is sent', async () => {
    const eventsBefore = (await g.api('GET', '/v1/events?limit=1')).body.data[0]?.id;
    // Given by flag and by environment: the gateway would answer 401 to this key, so exit 2 and
    // this message can only come from trigger's own check.
    for (const { code, out } of [
      await inProcess(['payment_intent.succeeded', '--api-base', g.url, '--api-key', 'sk_live_SomeLiveKeyOfThisShop0001']),
      await inProcess(['payment_intent.succeeded', '--api-base', g.url], { OPENCASHIER_API_KEY: 'sk_live_SomeLiveKeyOfThisShop0001', OPENCASHIER_TEST_SECRET_KEY: g.secretKey }),
    ]) {
      assert.equal(code, 2, out);
      assert.equal(out, 'opencashier trigger: refusing a live key: trigger makes test payments only; use a test secret key (sk_test_…)\n');
    }
    assert.equal((await g.api('GET', '/v1/events?limit=1')).body.data[0]?.id, eventsBefore, 'nothing was made');
  });

  test('a key the gateway refuses ends with its message and exit 1', async () => {
    const { code, out } = await trigger(g, ['payment_intent.created', '--api-key', 'sk_test_NotAKeyOfThisGateway']);
    assert.equal(code, 1);
    assert.match(out, /^opencashier trigger: the gateway at \S+ refused the API key \(401: Invalid API Key provided: .*\); check --api-key$/m);
  });

  test('a gateway that refuses a step: its error message, exit 1', async () => {
    // The next pay call declined by the simulator: creating and confirming answers 402 with Antom's reason.
    await fetch(`${g.url}/simulator/v1/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api: 'pay', kind: 'fail', code: 'RISK_REJECT', times: 1 }),
    });
    const { code, out } = await trigger(g, ['payment_intent.succeeded']);
    assert.equal(code, 1, out);
    assert.match(out, /^opencashier trigger: POST \/v1\/payment_intents answered 402: .+$/m);
    assert.doesNotMatch(out, /Trigger succeeded|\n\s+at /);
  });

  test('an unreachable gateway: one clear line and exit 1', async () => {
    // A free port, closed again: nothing answers there.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const { code, out } = await cli(['trigger', 'payment_intent.succeeded', '--api-base', `http://127.0.0.1:${port}`, '--api-key', g.secretKey]);
    assert.equal(code, 1);
    // stdout and stderr arrive through two pipes: their order in the combined output is not fixed.
    assert.deepEqual(out.split('\n').filter(Boolean).sort(), [
      'Setting up fixture for: payment_intent.succeeded',
      `opencashier trigger: cannot reach the gateway at http://127.0.0.1:${port} (ECONNREFUSED): is it running? (npm start)`,
    ].sort());
  });
});

const postgres = (await stores()).find((s) => s.kind === 'postgres')!;

describe('trigger against a gateway on PostgreSQL', { skip: postgres.skip }, () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'postgres' });
  });
  after(async () => {
    await g?.stop();
  });

  // trigger speaks only HTTP; what differs here is the gateway's commit order. One event per fixture.
  test('one event of each fixture: payment, decline, refund, declined refund, checkout, catalog', { timeout: 60_000 }, async () => {
    await triggerAll(g, ['payment_intent.succeeded', 'charge.failed', 'charge.refunded', 'checkout.session.completed', 'price.updated', 'refund.failed']);
  });
});
