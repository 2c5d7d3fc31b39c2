/**
 * `opencashier trigger <event>`: what `stripe trigger` is to Stripe. It drives test objects on a
 * running gateway into the state that records the event — through the public API, with the
 * built-in Antom simulator playing the shopper's wallet — and returns once `GET /v1/events` lists
 * the event for the object it made. Together with `opencashier listen` a webhook handler can be
 * exercised in one command, without a browser.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fetchFailure } from './feed.js';
import { commandLine, gatewayTarget, stdio, UsageError, type Io } from './command.js';

export const TRIGGER_HELP = `Usage: opencashier trigger <event> [options]

Makes a test payment, refund or Checkout Session on a running gateway reach the state that
records <event>, and waits until GET /v1/events lists it. Run opencashier listen beside it to
see the event arrive at your webhook handler. Test mode only; the shopper's wallet is played by
the gateway's built-in Antom simulator (SIMULATOR on, the default).

      --api-key <key>      a test secret key (default: env OPENCASHIER_API_KEY, then OPENCASHIER_TEST_SECRET_KEY)
      --api-base <url>     the gateway (default http://localhost:4242)
      --list               the events it can trigger
  -h, --help               this text

Exit code: 0 once the event exists, 1 when the gateway refuses a step (its message is printed),
2 for bad usage.`;

/** How long to wait for the gateway to get somewhere (a notification processed, an event listed). */
const WAIT_MS = 30_000;
const POLL_MS = 200;
/** Longer than the gateway's own worst case before its 502: three Antom calls of ANTOM_TIMEOUT_MS (15 s). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Pauses before sending a POST again with the same Idempotency-Key. */
const RETRY_DELAYS_MS = [500, 1_500];

/** Seed 000: the smallest Alipay payment (CNY 0.20) on the desktop cashier. */
const SEED_000 = {
  amount: 20,
  currency: 'CNY',
  payment_method_types: ['alipay'],
  payment_method_data: { type: 'alipay' },
  payment_method_options: { alipay: { client_ip: '192.168.0.1', terminal_type: 'WEB', os_type: 'IOS' } },
  return_url: 'https://example.com/return',
};

/** The code the simulator declines a refund with; the gateway tells it as failure_reason refund_window_exceeded. */
const REFUND_DECLINE_CODE = 'REFUND_WINDOW_EXCEED';
const PAYMENT_DECLINE_CODE = 'USER_BALANCE_NOT_ENOUGH';

interface ApiObject {
  id: string;
  object?: string;
  created?: number;
  status?: string;
  [field: string]: unknown;
}

/** Something the gateway (or the network) refused; its message is printed as is. */
class TriggerError extends Error {}

// ---------------------------------------------------------------------------------------------
// The gateway's HTTP API

/** A transport failure after which a retry cannot create a second object: nothing was sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Answers that say "not done, ask again" (409: the same key still running): none is stored under the key. */
const RETRYABLE_STATUS = new Set([409, 429, 502, 503, 504]);

interface Call {
  /** A /v1 call (Bearer key); otherwise the simulator's script API or the hosted page. */
  v1: boolean;
  /** Sent again on a retryable failure; only for calls whose repeat is harmless. */
  retry: boolean;
  body?: unknown;
  query?: Record<string, string>;
}

class Gateway {
  constructor(readonly base: string, private readonly key: string, private readonly io: Io) {}

  get<T = ApiObject>(path: string, query?: Record<string, string>): Promise<T> {
    return this.call<T>('GET', path, { v1: true, retry: true, query });
  }

  /** A /v1 POST under one Idempotency-Key for all its tries, so a retry never makes a second object. */
  post<T = ApiObject>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, { v1: true, retry: true, body });
  }

  /** The simulator's script API and the hosted checkout page: not idempotent, sent once. */
  postPlain<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, { v1: false, retry: false, body });
  }

  private async call<T>(method: string, path: string, c: Call): Promise<T> {
    const url = `${this.base}${path}${c.query ? `?${new URLSearchParams(c.query)}` : ''}`;
    const headers: Record<string, string> = { 'User-Agent': 'opencashier-trigger', Accept: 'application/json' };
    if (c.v1) headers.Authorization = `Bearer ${this.key}`;
    if (c.body !== undefined) headers['Content-Type'] = 'application/json';
    if (c.v1 && method === 'POST') headers['Idempotency-Key'] = `trigger-${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      const delay = c.retry ? RETRY_DELAYS_MS[attempt] : undefined;
      let res: Response;
      try {
        res = await fetch(url, {
          method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
        });
      } catch (err) {
        const why = fetchFailure(err);
        if (delay === undefined || NOT_SENT.has(why)) {
          throw new TriggerError(`cannot reach the gateway at ${this.base} (${why}): is it running? (npm start)`);
        }
        this.io.out(`  ${method} ${path}: ${why}; trying again${headers['Idempotency-Key'] ? ' with the same Idempotency-Key' : ''}`);
        await pause(delay);
        continue;
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        /* judged below */
      }
      if (res.ok) {
        if (json === undefined) throw new TriggerError(`${method} ${path} answered ${res.status} with something other than JSON: is ${this.base} an OpenCashier gateway?`);
        return json as T;
      }
      const message = errorMessage(json) ?? (text.slice(0, 200) || res.statusText);
      if (delay !== undefined && RETRYABLE_STATUS.has(res.status)) {
        this.io.out(`  ${method} ${path} answered ${res.status} (${message}); trying again${headers['Idempotency-Key'] ? ' with the same Idempotency-Key' : ''}`);
        await pause(delay);
        continue;
      }
      if (c.v1 && (res.status === 401 || res.status === 403)) {
        throw new TriggerError(`the gateway at ${this.base} refused the API key (${res.status}: ${message}); check --api-key`);
      }
      if (path.startsWith('/simulator/') && res.status === 404 && !(json as { error?: { code?: string } } | undefined)?.error?.code) {
        throw new TriggerError(`the gateway at ${this.base} has no Antom simulator (SIMULATOR=off?), and trigger needs it to play the shopper's wallet`);
      }
      throw new TriggerError(`${method} ${path} answered ${res.status}: ${message}`);
    }
  }
}

/** The message of the /v1 error shape, the simulator's, or the hosted page's (`{error: "…"}`). */
function errorMessage(json: unknown): string | undefined {
  const e = (json as { error?: unknown } | undefined)?.error;
  if (typeof e === 'string') return e;
  const m = (e as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** What the event must be about, so an event of another run (or another shop's) never counts. */
interface Target {
  /** How to name it while waiting: `pi_…`, or `the charge of pi_…` when the id is not known yet. */
  label: string;
  match(object: ApiObject): boolean;
  /** The gateway's `created` of an object made before the event: no older event can be ours. */
  since: number;
}

class Run {
  constructor(readonly event: string, readonly api: Gateway, private readonly io: Io) {}

  step(text: string): void {
    this.io.out(`Running fixture for: ${text}`);
  }

  /** Tags what trigger makes, so a webhook handler (and a person reading the events) can tell. */
  get metadata(): Record<string, string> {
    return { opencashier_trigger: this.event };
  }

  /** Asks `probe` until it answers, or WAIT_MS is up. */
  async until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new TriggerError(`gave up waiting ${WAIT_MS / 1000} s for ${what}`);
      await pause(POLL_MS);
    }
  }
}

const byId = (o: ApiObject): Target => ({ label: o.id, match: (x) => x.id === o.id, since: o.created ?? 0 });

async function createPayment(run: Run, confirm: boolean): Promise<ApiObject> {
  const pi = await run.api.post('/v1/payment_intents', {
    ...SEED_000, ...(confirm ? { confirm: true } : {}), description: `opencashier trigger ${run.event}`, metadata: run.metadata,
  });
  run.step(`payment_intent (${pi.id}): POST /v1/payment_intents, CNY 0.20 by Alipay${confirm ? ', confirmed' : ''} → ${pi.status}`);
  return pi;
}

function walletUrl(pi: ApiObject): string {
  const url = (pi.next_action as { redirect_to_url?: { url?: string } } | null | undefined)?.redirect_to_url?.url;
  if (!url) throw new TriggerError(`${pi.id} is ${pi.status} with no wallet page to complete (no next_action.redirect_to_url)`);
  return url;
}

type WalletOutcome = 'succeeded' | 'failed' | 'processing';

/** The shopper's wallet answers, as the simulator's cashier buttons would. */
async function walletAnswers(run: Run, pi: ApiObject, outcome: WalletOutcome): Promise<void> {
  await run.api.postPlain('/simulator/v1/complete', {
    url: walletUrl(pi), outcome, ...(outcome === 'failed' ? { failure_code: PAYMENT_DECLINE_CODE } : {}),
  });
  const what = { succeeded: 'pays', failed: `declines (${PAYMENT_DECLINE_CODE})`, processing: 'reports the payment in process' }[outcome];
  run.step(`payment_intent (${pi.id}): the simulated wallet ${what} (POST /simulator/v1/complete)`);
}

/** A PaymentIntent the wallet has answered, once the gateway has taken in the notification. */
async function answeredPayment(run: Run, outcome: WalletOutcome): Promise<ApiObject> {
  const pi = await createPayment(run, true);
  await walletAnswers(run, pi, outcome);
  const want = { succeeded: 'succeeded', failed: 'requires_payment_method', processing: 'processing' }[outcome];
  return run.until(`${pi.id} to become ${want}`, async () => {
    const now = await run.api.get(`/v1/payment_intents/${pi.id}`);
    return now.status === want ? now : undefined;
  });
}

/** The charge of a PaymentIntent: its id is the gateway's to choose, so match on the PaymentIntent. */
function chargeOf(pi: ApiObject): Target {
  return { label: `the charge of ${pi.id}`, match: (x) => x.payment_intent === pi.id, since: pi.created ?? 0 };
}

async function refund(run: Run, declined: boolean): Promise<{ pi: ApiObject; refund: ApiObject }> {
  const pi = await answeredPayment(run, 'succeeded');
  if (declined) {
    // The simulator's faults are shared by the whole gateway: queued last, just before our refund.
    await run.api.postPlain('/simulator/v1/faults', { api: 'refund', kind: 'fail', code: REFUND_DECLINE_CODE, times: 1 });
    run.step(`simulator: the next refund is declined with ${REFUND_DECLINE_CODE} (POST /simulator/v1/faults)`);
  }
  const r = await run.api.post('/v1/refunds', { payment_intent: pi.id, reason: 'requested_by_customer', metadata: run.metadata });
  run.step(`refund (${r.id}): POST /v1/refunds of ${pi.id} → ${r.status}${r.failure_reason ? ` (${String(r.failure_reason)})` : ''}`);
  const want = declined ? 'failed' : 'succeeded';
  if (r.status !== want && r.status !== 'pending') {
    throw new TriggerError(`the refund ${r.id} is ${r.status}, not ${want}${declined ? ': another refund on this gateway may have taken the simulator\'s fault' : ''}`);
  }
  return { pi, refund: r };
}

async function checkoutSession(run: Run): Promise<ApiObject> {
  const cs = await run.api.post('/v1/checkout/sessions', {
    mode: 'payment',
    line_items: [{ price_data: { currency: 'CNY', unit_amount: 20, product_data: { name: 'opencashier trigger' } }, quantity: 1 }],
    payment_method_types: ['alipay'],
    success_url: 'https://example.com/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://example.com/cancel',
    metadata: run.metadata,
  });
  run.step(`checkout.session (${cs.id}): POST /v1/checkout/sessions, CNY 0.20 by Alipay → ${cs.status}`);
  return cs;
}

interface Recipe {
  /** One line for --list. */
  does: string;
  run(run: Run): Promise<Target>;
}

const RECIPES: Record<string, Recipe> = {
  'payment_intent.created': {
    does: 'creates a PaymentIntent (seed 000: CNY 0.20, Alipay), not confirmed',
    run: async (run) => byId(await createPayment(run, false)),
  },
  'payment_intent.requires_action': {
    does: 'creates and confirms a PaymentIntent: it waits for the wallet',
    run: async (run) => byId(await createPayment(run, true)),
  },
  'payment_intent.processing': {
    does: 'the wallet reports the payment in process',
    run: async (run) => byId(await answeredPayment(run, 'processing')),
  },
  'payment_intent.succeeded': {
    does: 'the wallet pays',
    run: async (run) => byId(await answeredPayment(run, 'succeeded')),
  },
  'payment_intent.payment_failed': {
    does: `the wallet declines (${PAYMENT_DECLINE_CODE})`,
    run: async (run) => byId(await answeredPayment(run, 'failed')),
  },
  'payment_intent.canceled': {
    does: 'confirms a PaymentIntent, then cancels it before the wallet answers',
    run: async (run) => {
      const pi = await createPayment(run, true);
      const canceled = await run.api.post(`/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: 'abandoned' });
      run.step(`payment_intent (${pi.id}): POST /v1/payment_intents/${pi.id}/cancel → ${canceled.status}`);
      return byId(pi);
    },
  },
  'charge.succeeded': {
    does: 'the wallet pays: the PaymentIntent\'s charge',
    run: async (run) => chargeOf(await answeredPayment(run, 'succeeded')),
  },
  'charge.failed': {
    does: `the wallet declines (${PAYMENT_DECLINE_CODE}): the attempt's charge`,
    run: async (run) => chargeOf(await answeredPayment(run, 'failed')),
  },
  'charge.refunded': {
    does: 'a paid PaymentIntent refunded in full',
    run: async (run) => {
      const { refund: r } = await refund(run, false);
      const charge = String(r.charge);
      return { label: charge, match: (x) => x.id === charge, since: r.created ?? 0 };
    },
  },
  'refund.created': {
    does: 'a paid PaymentIntent refunded in full',
    run: async (run) => byId((await refund(run, false)).refund),
  },
  'refund.updated': {
    does: 'a paid PaymentIntent refunded in full: the refund succeeds',
    run: async (run) => byId((await refund(run, false)).refund),
  },
  'charge.refund.updated': {
    does: 'a paid PaymentIntent refunded in full: the refund succeeds',
    run: async (run) => byId((await refund(run, false)).refund),
  },
  'refund.failed': {
    does: `a refund the simulator declines (${REFUND_DECLINE_CODE} → refund_window_exceeded)`,
    run: async (run) => byId((await refund(run, true)).refund),
  },
  'checkout.session.completed': {
    does: 'a Checkout Session paid on its hosted page',
    run: async (run) => {
      const cs = await checkoutSession(run);
      // What the page's "Pay with Alipay" button does on a desktop: start the payment, get a QR code.
      await run.api.postPlain(`/pay/${cs.id}`, { method: 'alipay' });
      const piId = String(cs.payment_intent);
      const pi = await run.api.get(`/v1/payment_intents/${piId}`);
      run.step(`checkout.session (${cs.id}): POST /pay/${cs.id} (the hosted page's Alipay button) → ${piId} ${pi.status}`);
      await walletAnswers(run, pi, 'succeeded');
      return byId(cs);
    },
  },
  'checkout.session.expired': {
    does: 'a Checkout Session expired before it is paid',
    run: async (run) => {
      const cs = await checkoutSession(run);
      const expired = await run.api.post(`/v1/checkout/sessions/${cs.id}/expire`, {});
      run.step(`checkout.session (${cs.id}): POST /v1/checkout/sessions/${cs.id}/expire → ${expired.status}`);
      return byId(cs);
    },
  },
  'product.created': {
    does: 'creates a product',
    run: async (run) => {
      const p = await run.api.post('/v1/products', { name: 'opencashier trigger', metadata: run.metadata });
      run.step(`product (${p.id}): POST /v1/products`);
      return byId(p);
    },
  },
  'product.updated': {
    does: 'creates a product, then changes its description',
    run: async (run) => {
      const p = await run.api.post('/v1/products', { name: 'opencashier trigger', metadata: run.metadata });
      run.step(`product (${p.id}): POST /v1/products`);
      await run.api.post(`/v1/products/${p.id}`, { description: 'updated by opencashier trigger' });
      run.step(`product (${p.id}): POST /v1/products/${p.id} (description)`);
      return byId(p);
    },
  },
  'price.created': {
    does: 'creates a price (CNY 0.20) with its product',
    run: async (run) => {
      const p = await run.api.post('/v1/prices', { currency: 'CNY', unit_amount: 20, product_data: { name: 'opencashier trigger' }, metadata: run.metadata });
      run.step(`price (${p.id}): POST /v1/prices`);
      return byId(p);
    },
  },
  'price.updated': {
    does: 'creates a price, then changes its nickname',
    run: async (run) => {
      const p = await run.api.post('/v1/prices', { currency: 'CNY', unit_amount: 20, product_data: { name: 'opencashier trigger' }, metadata: run.metadata });
      run.step(`price (${p.id}): POST /v1/prices`);
      await run.api.post(`/v1/prices/${p.id}`, { nickname: 'updated by opencashier trigger' });
      run.step(`price (${p.id}): POST /v1/prices/${p.id} (nickname)`);
      return byId(p);
    },
  },
};

/** Events the gateway records that no single command can bring about quickly: why, and how to see one anyway. */
const NOT_TRIGGERABLE: Record<string, { why: string; instead: string }> = {
  'webhook_endpoint.disabled': {
    why: 'recorded only after an endpoint has failed every delivery for WEBHOOK_DISABLE_AFTER_MS (3 days)',
    instead: 'To see one soon, start a gateway with WEBHOOK_DISABLE_AFTER_MS=1 WEBHOOK_RETRY_SCHEDULE_MS=1000, add an endpoint '
      + 'nothing answers at (url http://localhost:9/, enabled_events ["*"]) and trigger any event: its second failed delivery, '
      + 'a second later, disables it.',
  },
  'charge.dispute.created': {
    why: 'recorded only when Alipay (or the simulator) tells of a dispute with notifyDispute',
    instead: 'With the built-in simulator: pay a PaymentIntent, then POST /simulator/v1/disputes {"payment_intent": "pi_…"} '
      + '(charge.dispute.created, .funds_withdrawn) and POST /simulator/v1/disputes/<dispute_id>/judge {"result": "ACCEPT_BY_CUSTOMER"} '
      + '(.closed, .funds_reinstated) or "ACCEPT_BY_MERCHANT" (.closed); see the README, "Disputes".',
  },
  'charge.dispute.updated': {
    why: 'recorded when a dispute\'s evidence is saved or its defence supplied, and disputes come only from Alipay (or the simulator)',
    instead: 'With the built-in simulator: pay a PaymentIntent, POST /simulator/v1/disputes {"payment_intent": "pi_…"}, then '
      + 'POST /v1/disputes/dp_… with evidence[uncategorized_text]=… (and submit=true to send it to Antom); see the README, "Disputes".',
  },
  'charge.dispute.closed': {
    why: 'recorded only when Alipay (or the simulator) tells of a dispute with notifyDispute',
    instead: 'With the built-in simulator: pay a PaymentIntent, then POST /simulator/v1/disputes {"payment_intent": "pi_…"} '
      + '(charge.dispute.created, .funds_withdrawn) and POST /simulator/v1/disputes/<dispute_id>/judge {"result": "ACCEPT_BY_CUSTOMER"} '
      + '(.closed, .funds_reinstated) or "ACCEPT_BY_MERCHANT" (.closed); see the README, "Disputes".',
  },
  'charge.dispute.funds_withdrawn': {
    why: 'recorded only when Alipay (or the simulator) tells of a dispute with notifyDispute',
    instead: 'With the built-in simulator: pay a PaymentIntent, then POST /simulator/v1/disputes {"payment_intent": "pi_…"} '
      + '(charge.dispute.created, .funds_withdrawn) and POST /simulator/v1/disputes/<dispute_id>/judge {"result": "ACCEPT_BY_CUSTOMER"} '
      + '(.closed, .funds_reinstated) or "ACCEPT_BY_MERCHANT" (.closed); see the README, "Disputes".',
  },
  'charge.dispute.funds_reinstated': {
    why: 'recorded only when Alipay (or the simulator) tells of a dispute with notifyDispute',
    instead: 'With the built-in simulator: pay a PaymentIntent, then POST /simulator/v1/disputes {"payment_intent": "pi_…"} '
      + '(charge.dispute.created, .funds_withdrawn) and POST /simulator/v1/disputes/<dispute_id>/judge {"result": "ACCEPT_BY_CUSTOMER"} '
      + '(.closed, .funds_reinstated) or "ACCEPT_BY_MERCHANT" (.closed); see the README, "Disputes".',
  },
};

/** The events `trigger` can make, in the order --list shows them. */
export const TRIGGERABLE_EVENTS: readonly string[] = Object.keys(RECIPES);
export const UNTRIGGERABLE_EVENTS: readonly string[] = Object.keys(NOT_TRIGGERABLE);

function eventList(): string {
  const width = Math.max(...TRIGGERABLE_EVENTS.map((e) => e.length)) + 2;
  return [
    'Supported events:',
    ...TRIGGERABLE_EVENTS.map((e) => `  ${e.padEnd(width)}${RECIPES[e]!.does}`),
    '',
    'Cannot be triggered:',
    ...UNTRIGGERABLE_EVENTS.map((e) => `  ${e.padEnd(width)}${NOT_TRIGGERABLE[e]!.why}; opencashier trigger ${e} says how to see one`),
  ].join('\n');
}

/** The newest-first pages of `type` events back to `target.since`, searched for the target. */
async function findEvent(api: Gateway, type: string, target: Target): Promise<ApiObject | undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await api.get<{ data: (ApiObject & { data?: { object?: ApiObject } })[]; has_more: boolean }>(
      '/v1/events', { type, limit: '100', ...(after ? { starting_after: after } : {}) },
    );
    if (!Array.isArray(page.data)) throw new TriggerError(`GET /v1/events did not answer with a list: is ${api.base} an OpenCashier gateway?`);
    const hit = page.data.find((e) => e.data?.object && target.match(e.data.object));
    if (hit) return hit;
    const oldest = page.data[page.data.length - 1];
    if (!page.has_more || !oldest || (oldest.created ?? 0) < target.since) return undefined;
    after = oldest.id;
  }
}

// ---------------------------------------------------------------------------------------------

interface Options {
  event?: string;
  list: boolean;
  apiKey?: string;
  apiBase: string;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        'api-key': { type: 'string' },
        'api-base': { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (positionals.length > 1) throw new UsageError(`one event at a time (got ${positionals.join(' ')})`);
  return { event: positionals[0], list: values.list ?? false, ...gatewayTarget(values, env) };
}

/**
 * Runs `opencashier trigger` with the command's arguments (after `trigger`). Resolves to the
 * process exit code: 0 once the event exists (or after --list / --help); 1 when the gateway
 * refuses a step or cannot be reached; 2 for bad usage, including an event it cannot trigger.
 */
export async function runTrigger(argv: string[], env: NodeJS.ProcessEnv, io: Io = stdio): Promise<number> {
  const opts = commandLine('trigger', TRIGGER_HELP, io, () => parseOptions(argv, env));
  if (typeof opts === 'number') return opts;
  if (opts.list) {
    io.out(eventList());
    return 0;
  }
  const event = opts.event;
  if (!event) {
    io.err(`opencashier trigger: name the event to trigger\n\n${TRIGGER_HELP}\n\n${eventList()}`);
    return 2;
  }
  const untriggerable = NOT_TRIGGERABLE[event];
  if (untriggerable) {
    io.err(`opencashier trigger: ${event} cannot be triggered in one command: it is ${untriggerable.why}. ${untriggerable.instead}`);
    return 2;
  }
  const recipe = RECIPES[event];
  if (!recipe) {
    io.err(`opencashier trigger: unknown event ${JSON.stringify(event)}\n\n${eventList()}`);
    return 2;
  }
  if (!opts.apiKey) {
    io.err('opencashier trigger: no API key: pass --api-key sk_test_… or set OPENCASHIER_API_KEY (the serve banner prints the test secret key)');
    return 2;
  }
  // Refused before anything is sent: a fixture in live mode would be a real payment request.
  if (/^[a-z]+_live_/.test(opts.apiKey)) {
    io.err('opencashier trigger: refusing a live key: trigger makes test payments only; use a test secret key (sk_test_…)');
    return 2;
  }
  if (opts.apiKey.startsWith('pk_')) {
    io.err('opencashier trigger: a publishable key cannot create payments; use a test secret key (sk_test_…)');
    return 2;
  }

  const api = new Gateway(opts.apiBase, opts.apiKey, io);
  const run = new Run(event, api, io);
  try {
    io.out(`Setting up fixture for: ${event}`);
    const target = await recipe.run(run);
    io.out(`Waiting for ${event} on ${target.label}…`);
    const found = await run.until(`the gateway to record ${event} for ${target.label}`, () => findEvent(api, event, target));
    const objectId = (found.data as { object: ApiObject }).object.id;
    io.out(`Trigger succeeded! Check the event: GET /v1/events?type=${event} (${found.id} for ${objectId})`);
    return 0;
  } catch (err) {
    if (!(err instanceof TriggerError)) throw err;
    io.err(`opencashier trigger: ${err.message}`);
    return 1;
  }
}
