/**
 * `opencashier seed`: fills the account's test mode with a month of sample data for the dashboard.
 *
 * Nothing is written behind the gateway's back: the seed runs a gateway of its own on the store
 * `npm start` uses, with the built-in simulator playing the shoppers' wallets, and drives it over
 * HTTP the way a shop, a shopper and a Trust Payments client would. To spread the story over 30
 * days, that gateway runs on a {@link SeedClock} set back 30 days and moved forward step by step
 * to each planned moment, so every object, event, notification and webhook attempt carries the
 * time it "happened". The clock only ever moves forward, as time does, and the simulator and the
 * gateway read the same clock, so signatures, notification ages, expiries, retries and settlement
 * all behave as they would in real time: the seed waits for each effect (polling with deadlines)
 * before it moves the clock past it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, type Config } from '../config.js';
import { createGateway, type Gateway } from '../app.js';
import type { Clock } from '../core/clock.js';
import { DEFAULT_PAYMENT_EXPIRY_MS } from '../simulator/index.js';
import { addExtraKey, revokeKey } from '../store/accounts.js';
import { DataFolderBusy } from '../store/data-lock.js';
import { disableUser, getSite, putUser } from '../store/tp-accounts.js';
import { commandLine, UsageError, type Io } from '../listen/command.js';
import { makePlan, MAX_PAYMENTS, MIN_PAYMENTS, SEED_DAYS, type Plan, type PlannedAuth, type PlannedPayment, type PlannedRefund } from './seed-plan.js';

export const SEED_HELP = `Usage: opencashier seed [--payments N] [--seed N]

Fills the account's test mode with a month of sample data, so the dashboard has something to show:
payments over the last ${SEED_DAYS} days in several currencies and wallets (Alipay CN; GCash, DANA, TNG,
AlipayHK, Rabbit LINE Pay, BPI, Boost, Akulaku PayLater through Alipay+) — most paid, some declined,
canceled, abandoned or still at the wallet — full, partial and repeated refunds, Checkout Sessions
paid on the hosted page, webhook endpoints with delivered and failed attempts, and Trust Payments
AUTHs (settled, declined, refunded), with order ids and customer names to search for.

Everything is made through the gateway's own API by a gateway the seed runs for about a minute on
the store npm start uses (DATA_DIR or DATABASE_URL), with the built-in simulator playing the
shoppers' wallets and its clock set back ${SEED_DAYS} days. Stop the gateway first: the embedded
database takes one process at a time (and on PostgreSQL a running gateway would do the seed's
background work on today's clock).

  --payments N   how many payments (default 150; ${MIN_PAYMENTS} to ${MAX_PAYMENTS}), besides a few Trust Payments AUTHs
  --seed N       which story (default 1): the same seed makes the same payments, amounts and outcomes
  -h, --help     this text

Running it again adds another month's worth beside what is there; nothing is deleted
(npm run cli -- reset --keep-keys deletes all test data). Live data is never touched, and the
account's keys stay as they are. Test mode must use the simulator (not ANTOM_TEST_*), and a
configuration with live mode (ANTOM_LIVE_*) is refused.`;

export interface SeedContext {
  /** Read only when a seed runs: --help needs no configuration. */
  config(): Config;
  out(text: string): void;
  err(text: string): void;
  /** Progress rewrites one line on a terminal; elsewhere it prints a line per tenth. */
  tty?: boolean;
}

interface Options {
  payments: number;
  seed: number;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { payments: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const integer = (name: string, v: string | undefined, fallback: number, min: number, max: number) => {
    if (v === undefined) return fallback;
    const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return n;
  };
  return {
    payments: integer('payments', values.payments, 150, MIN_PAYMENTS, MAX_PAYMENTS),
    seed: integer('seed', values.seed, 1, 0, 2 ** 32 - 1),
  };
}

// ---------------------------------------------------------------------------------------------
// The clock

/**
 * The real clock, shifted into the past: it runs at real speed from wherever it was last set,
 * moves only forward, and never beyond the real time — so nothing the seed makes is dated in the
 * future, and at the end it is simply the real clock again.
 */
export class SeedClock implements Clock {
  private offset: number;

  constructor(start: number) {
    this.offset = Math.min(0, start - Date.now());
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** To `t`, or to now if `t` is later; never backwards. */
  advanceTo(t: number): void {
    const real = Date.now();
    const offset = Math.min(t, real) - real;
    if (offset > this.offset) this.offset = offset;
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the gateway

/** The seed cannot go on; the message says why. */
class SeedError extends Error {}

type Obj = Record<string, any>;

/** How long one effect (a notification taken in, a settlement) may take before the seed gives up. */
const WAIT_MS = 30_000;
const POLL_MS = 20;
const REQUEST_TIMEOUT_MS = 60_000;
const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const PHONE_UA = {
  IOS: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ANDROID: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
};

class Client {
  constructor(
    private readonly base: string,
    private readonly key: string,
    private readonly tpUser: { username: string; password: string } | undefined,
    private readonly interrupted: () => boolean,
  ) {}

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: any }> {
    if (this.interrupted()) throw new SeedError('interrupted');
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (err) {
      throw new SeedError(`${method} ${path.split('?')[0]} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }

  private static message(r: { status: number; json: any }): string {
    const e = r.json?.error;
    return typeof e === 'string' ? e : typeof e?.message === 'string' ? e.message : `HTTP ${r.status}`;
  }

  async v1<T = Obj>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const r = await this.send(method, path, body, { Authorization: `Bearer ${this.key}` });
    if (r.status !== 200) throw new SeedError(`${method} ${path.split('?')[0]} answered ${r.status}: ${Client.message(r)}`);
    return r.json as T;
  }

  /** Every object of a list, following its pages. */
  async all(path: string, query: Record<string, string> = {}): Promise<Obj[]> {
    const out: Obj[] = [];
    let after: string | undefined;
    for (;;) {
      const qs = new URLSearchParams({ limit: '100', ...query, ...(after ? { starting_after: after } : {}) });
      const page = await this.v1<{ data: Obj[]; has_more: boolean }>('GET', `${path}?${qs}`);
      out.push(...page.data);
      if (!page.has_more || page.data.length === 0) return out;
      after = page.data[page.data.length - 1]!.id as string;
    }
  }

  /** What the shopper's wallet does: the simulator's script API, as its cashier buttons would. */
  async wallet(url: string, outcome: 'succeeded' | 'failed' | 'processing', wallet?: string, failureCode?: string): Promise<void> {
    const r = await this.send('POST', '/simulator/v1/complete', {
      url, outcome, ...(wallet ? { wallet } : {}), ...(failureCode ? { failure_code: failureCode } : {}),
    }, {});
    if (r.status !== 200) throw new SeedError(`the simulated wallet could not answer (${r.status}: ${Client.message(r)})`);
  }

  async simulator(method: 'GET' | 'POST', path: string, body?: object): Promise<Obj> {
    const r = await this.send(method, path, body, {});
    if (r.status !== 200) throw new SeedError(`${method} ${path.split('?')[0]} answered ${r.status}: ${Client.message(r)}`);
    return r.json as Obj;
  }

  /** What the hosted checkout page's script sends when the shopper presses Pay. */
  async payPage(sessionId: string, body: object, userAgent: string): Promise<Obj> {
    const r = await this.send('POST', `/pay/${sessionId}`, body, { Accept: 'application/json', 'User-Agent': userAgent });
    if (r.status !== 200) throw new SeedError(`the hosted page of a Checkout Session answered ${r.status}: ${Client.message(r)}`);
    return r.json as Obj;
  }

  async pageView(path: string, userAgent: string): Promise<void> {
    await this.send('GET', path, undefined, { Accept: 'text/html', 'User-Agent': userAgent });
  }

  /** One Trust Payments request item through /json/, as the official clients send it. */
  async tp(item: Obj): Promise<Obj> {
    if (!this.tpUser) throw new SeedError('no Trust Payments user');
    const auth = Buffer.from(`${this.tpUser.username}:${this.tpUser.password}`).toString('base64');
    const r = await this.send('POST', '/json/', { alias: this.tpUser.username, version: '1.00', request: [item] }, { Authorization: `Basic ${auth}` });
    const answer = r.json?.response?.[0];
    if (r.status !== 200 || !answer) throw new SeedError(`POST /json/ answered ${r.status}`);
    return answer as Obj;
  }

  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (this.interrupted()) throw new SeedError('interrupted');
      if (Date.now() > deadline) throw new SeedError(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The webhook receiver

/**
 * A small local endpoint for the seed's own webhook endpoint, alive while the seed runs. It fails
 * the first attempt of about one event in eight (500), so the dashboard has retried deliveries —
 * but not in the last hours, so nothing is left waiting for a retry when the seed ends.
 */
interface Receiver {
  url: string;
  received: number;
  refused: number;
  close(): Promise<void>;
}

function startReceiver(failUntil: number): Promise<Receiver> {
  const seen = new Set<string>();
  const stats = { received: 0, refused: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.received++;
      let event: { id?: unknown; created?: unknown } = {};
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof event;
      } catch {
        /* answered 200 all the same: the sender is ours */
      }
      const id = typeof event.id === 'string' ? event.id : '';
      const created = typeof event.created === 'number' ? (event.created < 1e11 ? event.created * 1000 : event.created) : 0;
      const firstTime = !seen.has(id);
      seen.add(id);
      const unlucky = createHash('sha256').update(id).digest()[0]! < 32;
      if (firstTime && unlucky && created < failUntil) {
        stats.refused++;
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('order service restarting');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
    });
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolveListen({
        url: `http://127.0.0.1:${port}/webhooks/opencashier`,
        get received() {
          return stats.received;
        },
        get refused() {
          return stats.refused;
        },
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** Where deliveries go to fail: nothing listens on the discard port, so each attempt is refused at once. */
const UNREACHABLE_URL = 'http://127.0.0.1:9/opencashier/webhooks';

async function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise((done) => {
    const s = createNetServer();
    s.once('error', () => done(false));
    s.listen(port, host, () => s.close(() => done(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// The story, step by step

interface Step {
  at: number;
  seq: number;
  run(): Promise<void>;
}

interface Tally {
  payments: Map<string, PlannedPayment>;
  sessions: { id: string; kind: string }[];
  refunds: { id: string; partial: boolean; payment: string }[];
  auths: { reference: string; outcome: PlannedAuth['outcome'] }[];
  endpoints: { receiver?: string; unreachable?: string };
}

class Story {
  readonly steps: Step[] = [];
  readonly tally: Tally = { payments: new Map(), sessions: [], refunds: [], auths: [], endpoints: {} };
  private seq = 0;

  constructor(
    private readonly api: Client,
    private readonly plan: Plan,
    tpSite: string | undefined,
    private readonly settleDelayMs: number,
    receiverUrl: string,
    private readonly onPayment: () => void,
  ) {
    this.add(plan.receiverAt, async () => {
      const ep = await api.v1('POST', '/v1/webhook_endpoints', {
        url: receiverUrl, enabled_events: ['*'],
        description: 'Order service (the local receiver of npm run seed; disabled when the seed ended)',
        metadata: { created_by: 'opencashier seed' },
      });
      this.tally.endpoints.receiver = ep.id as string;
    });
    this.add(plan.deadEndpointAt, async () => {
      const ep = await api.v1('POST', '/v1/webhook_endpoints', {
        url: UNREACHABLE_URL, enabled_events: ['payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'],
        description: 'Old staging server (switched off: its deliveries fail)',
        metadata: { created_by: 'opencashier seed' },
      });
      this.tally.endpoints.unreachable = ep.id as string;
    });
    for (const p of plan.payments) {
      if (p.kind === 'checkout' || p.kind === 'checkout_expired') this.checkout(p);
      else this.payment(p);
    }
    if (tpSite) for (const a of plan.auths) this.auth(a, tpSite);
    this.steps.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private add(at: number, run: () => Promise<void>): void {
    this.steps.push({ at, seq: this.seq++, run });
  }

  private static metadata(p: PlannedPayment): Record<string, string> {
    return { order_id: p.orderId, customer: p.customer, channel: p.terminal === 'APP' ? 'app' : p.terminal === 'WAP' ? 'mobile_web' : 'web' };
  }

  private static walletUrl(pi: Obj): string {
    const url = pi.next_action?.redirect_to_url?.url;
    if (typeof url !== 'string') throw new SeedError(`${pi.id} is ${pi.status} without a wallet page to answer`);
    return url;
  }

  private async status(pi: Obj, want: string): Promise<Obj> {
    return this.api.until(`${pi.id} to become ${want}`, async () => {
      const now = await this.api.v1('GET', `/v1/payment_intents/${pi.id}`);
      return now.status === want ? now : undefined;
    });
  }

  /** The wallet answers, and the gateway has taken in its notification. */
  private async answer(pi: Obj, outcome: 'succeeded' | 'failed' | 'processing', wallet: string, failureCode?: string): Promise<Obj> {
    await this.api.wallet(Story.walletUrl(pi), outcome, wallet, failureCode);
    return this.status(pi, { succeeded: 'succeeded', failed: 'requires_payment_method', processing: 'processing' }[outcome]);
  }

  private methodOptions(p: PlannedPayment): Obj {
    return { [p.method]: { terminal_type: p.terminal, ...(p.os ? { os_type: p.os } : {}), client_ip: p.clientIp } };
  }

  private payment(p: PlannedPayment): void {
    let pi: Obj = {};
    this.add(p.at, async () => {
      pi = await this.api.v1('POST', '/v1/payment_intents', {
        amount: p.amount, currency: p.currency, confirm: true,
        payment_method_types: [p.method], payment_method_data: { type: p.method }, payment_method_options: this.methodOptions(p),
        return_url: `https://shop.example.com/orders/${p.orderId}/complete`,
        description: p.description, receipt_email: p.email, metadata: Story.metadata(p),
      });
      if (pi.status !== 'requires_action') throw new SeedError(`${pi.id} is ${pi.status} right after confirm, not requires_action`);
      this.tally.payments.set(pi.id as string, p);
      this.onPayment();
    });
    const answerAt = p.at + p.answerAfter;
    switch (p.kind) {
      case 'succeeded':
        this.add(answerAt, async () => void (await this.answer(pi, 'succeeded', p.wallet)));
        break;
      case 'declined':
        this.add(answerAt, async () => void (await this.answer(pi, 'failed', p.wallet, p.failureCode)));
        break;
      case 'abandoned':
        // Never paid: the wallet closes it when it expires, and tells the gateway.
        this.add(p.at + DEFAULT_PAYMENT_EXPIRY_MS + 2_000, async () => void (await this.status(pi, 'requires_payment_method')));
        break;
      case 'canceled':
        this.add(answerAt, async () => {
          const done = await this.api.v1('POST', `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: p.cancelReason });
          if (done.status !== 'canceled') throw new SeedError(`${pi.id} is ${done.status} after cancel`);
        });
        break;
      case 'retried': {
        this.add(answerAt, async () => void (await this.answer(pi, 'failed', p.wallet, p.failureCode)));
        const again = answerAt + p.thenAfter;
        this.add(again, async () => {
          pi = await this.api.v1('POST', `/v1/payment_intents/${pi.id}/confirm`, {
            payment_method_data: { type: p.method }, payment_method_options: this.methodOptions(p),
          });
          if (pi.status !== 'requires_action') throw new SeedError(`${pi.id} is ${pi.status} after confirming again`);
        });
        this.add(again + Math.round(p.thenAfter / 2) + 15_000, async () => void (await this.answer(pi, 'succeeded', p.retryWallet ?? p.wallet)));
        break;
      }
      case 'slow':
        this.add(answerAt, async () => void (await this.answer(pi, 'processing', p.wallet)));
        this.add(answerAt + p.thenAfter, async () => void (await this.answer(pi, 'succeeded', p.wallet)));
        break;
      case 'open':
        break;
      default:
        throw new Error(`unplanned kind ${p.kind}`);
    }
    for (const r of p.refunds) this.add(p.at + r.after, () => this.refund(() => pi.id as string, p, r));
  }

  private checkout(p: PlannedPayment): void {
    let cs: Obj = {};
    const phone = p.terminal !== 'WEB';
    const ua = phone ? PHONE_UA[p.os ?? 'IOS'] : DESKTOP_UA;
    this.add(p.at, async () => {
      cs = await this.api.v1('POST', '/v1/checkout/sessions', {
        mode: 'payment',
        line_items: p.items.map((it) => ({ price_data: { currency: p.currency, unit_amount: it.unit, product_data: { name: it.name } }, quantity: it.quantity })),
        payment_method_types: [p.method],
        success_url: `https://shop.example.com/orders/${p.orderId}/thanks?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: 'https://shop.example.com/cart',
        customer_email: p.email,
        client_reference_id: p.orderId,
        metadata: Story.metadata(p),
        payment_intent_data: { description: p.description, metadata: Story.metadata(p) },
        ...(p.kind === 'checkout_expired' ? { expires_at: p.at + 3_600_000 } : {}),
      });
      this.tally.payments.set(cs.payment_intent as string, p);
      this.tally.sessions.push({ id: cs.id as string, kind: p.kind });
      this.onPayment();
    });
    const pressAt = p.at + p.answerAfter;
    if (p.kind === 'checkout_expired') {
      // The shopper looks at the page and leaves; the session expires an hour later.
      this.add(pressAt, () => this.api.pageView(`/pay/${cs.id}`, ua));
      this.add(p.at + 3_600_000 + 2_000, async () => {
        await this.api.until(`${cs.id} to expire`, async () => {
          const now = await this.api.v1('GET', `/v1/checkout/sessions/${cs.id}`);
          return now.status === 'expired' ? now : undefined;
        });
      });
      return;
    }
    let walletUrl = '';
    this.add(pressAt, async () => {
      await this.api.pageView(`/pay/${cs.id}`, ua);
      const started = await this.api.payPage(cs.id as string, { method: p.method, ...(p.method === 'alipayplus' ? { wallet: p.wallet } : {}) }, ua);
      walletUrl = (started.redirect ?? started.qr?.walletUrl) as string;
      if (typeof walletUrl !== 'string') throw new SeedError(`the hosted page of ${cs.payment_intent} gave no wallet link`);
    });
    this.add(pressAt + p.thenAfter, async () => {
      await this.api.wallet(walletUrl, 'succeeded', p.wallet);
      await this.api.until(`${cs.payment_intent}'s Checkout Session to complete`, async () => {
        const now = await this.api.v1('GET', `/v1/checkout/sessions/${cs.id}`);
        return now.status === 'complete' ? now : undefined;
      });
      // Back from the wallet, the shopper's browser passes through the gateway on its way to success_url.
      await this.api.pageView(`/pay/${cs.id}/return`, ua);
    });
    for (const r of p.refunds) this.add(p.at + r.after, () => this.refund(() => cs.payment_intent as string, p, r));
  }

  private async refund(piId: () => string, p: PlannedPayment, r: PlannedRefund): Promise<void> {
    // The simulator's faults are the whole simulator's; the seed runs one step at a time, so this one is ours.
    if (r.declined) await this.api.simulator('POST', '/simulator/v1/faults', { api: 'refund', kind: 'fail', code: 'REFUND_WINDOW_EXCEED', times: 1 });
    const refund = await this.api.v1('POST', '/v1/refunds', {
      payment_intent: piId(), ...(r.amount !== undefined ? { amount: r.amount } : {}), reason: r.reason,
      metadata: { order_id: p.orderId, note: r.note },
    });
    this.tally.refunds.push({ id: refund.id as string, partial: refund.amount < p.amount, payment: piId() });
  }

  private auth(a: PlannedAuth, site: string): void {
    let reference = '';
    let walletUrl = '';
    this.add(a.at, async () => {
      const item = await this.api.tp({
        requesttypedescriptions: ['AUTH'], sitereference: site, accounttypedescription: 'ECOM', paymenttypedescription: 'ALIPAY',
        currencyiso3a: a.currency, baseamount: String(a.amount), orderreference: a.orderReference,
        returnurl: `https://shop.example.com/tp/return?order=${a.orderReference}`,
        billingfirstname: a.first, billinglastname: a.last, billingcountryiso2a: a.country, billingemail: a.email,
        ...(a.wap ? { applicationtype: 'WAP' } : {}),
      });
      if (item.errorcode !== '0' || typeof item.redirecturl !== 'string') throw new SeedError(`the Trust Payments AUTH was refused: ${item.errorcode} ${item.errormessage}`);
      reference = item.transactionreference as string;
      walletUrl = item.redirecturl as string;
      this.tally.auths.push({ reference, outcome: a.outcome });
    });
    const answerAt = a.at + a.answerAfter;
    const query = async () => (await this.api.tp({ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: reference }] } })).records?.[0] as Obj | undefined;
    const until = (settlestatus: string) => this.api.until(`the AUTH ${reference} to reach settlestatus ${settlestatus}`, async () => ((await query())?.settlestatus === settlestatus ? true : undefined));
    if (a.outcome === 'declined') {
      this.add(answerAt, async () => {
        await this.api.wallet(walletUrl, 'failed', 'ALIPAY_CN', 'USER_BALANCE_NOT_ENOUGH');
        await until('3');
      });
      return;
    }
    this.add(answerAt, async () => {
      await this.api.wallet(walletUrl, 'succeeded', 'ALIPAY_CN');
      // Taken in once the simulator's notification was acknowledged.
      await this.api.until(`the wallet's notification of ${reference}`, async () => {
        const sim = await this.api.simulator('GET', `/simulator/v1/payments?url=${encodeURIComponent(walletUrl)}`);
        return (sim.notifications as Obj[] | undefined)?.some((n) => n.delivered_at !== null) ? true : undefined;
      });
    });
    const settleAt = answerAt + this.settleDelayMs + 1_000;
    // A settlement delay longer than the story (OPENCASHIER_TP_SETTLE_DELAY_SECONDS) leaves it to settle later.
    if (settleAt > this.plan.end - 10 * 60_000) return;
    this.add(settleAt, async () => void (await until('100')));
    if (a.outcome === 'refunded' && a.refundAfter !== undefined) {
      this.add(Math.max(settleAt + 1_000, answerAt + a.refundAfter), async () => {
        const item = await this.api.tp({
          requesttypedescriptions: ['REFUND'], sitereference: site, parenttransactionreference: reference,
          ...(a.refundAmount !== undefined ? { baseamount: String(a.refundAmount) } : {}),
        });
        if (item.errorcode !== '0') throw new SeedError(`the Trust Payments REFUND of ${reference} was refused: ${item.errorcode} ${item.errormessage}`);
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------

const count = (xs: readonly string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};
const listOf = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

function busyMessage(err: DataFolderBusy): string {
  const h = err.holder;
  if (!h) return err.message;
  const who = h.what === 'the gateway' ? 'A gateway is' : `"${h.what}" is`;
  return `${who} running on this data folder (pid ${h.pid}, since ${h.started}), and the seed writes into the same store: ` +
    'the embedded database takes one process at a time. Stop the gateway first (Ctrl-C in its terminal), then run the seed again.';
}

/**
 * Runs `opencashier seed` with the arguments after `seed`. Resolves to the exit code: 0 when the
 * data is in, 1 when a step failed (its message is printed), 2 for bad usage or a configuration
 * the seed refuses.
 */
export async function runSeed(argv: string[], ctx: SeedContext): Promise<number> {
  const io: Io = { out: (line) => ctx.out(line + '\n'), err: (line) => ctx.err(line + '\n') };
  const opts = commandLine('seed', SEED_HELP, io, () => parseOptions(argv));
  if (typeof opts === 'number') return opts;
  const config = ctx.config();
  if (config.antom.live) {
    throw new ConfigError('opencashier seed refuses a configuration with live mode (ANTOM_LIVE_* are set): its gateway runs on a clock set back a month, which live payments must never meet. Seed a development store instead (another DATA_DIR or DATABASE_URL, without ANTOM_LIVE_*).');
  }
  if (config.antom.test || !config.simulator) {
    throw new ConfigError('opencashier seed plays the shoppers\' wallets with the built-in simulator, but test mode here talks to the Antom sandbox (ANTOM_TEST_* are set). Seed a store whose test mode uses the simulator (unset ANTOM_TEST_*).');
  }

  const began = Date.now();
  const plan = makePlan({ seed: opts.seed, payments: opts.payments, end: began });
  const clock = new SeedClock(plan.start);
  // The port npm start will use, when free: links the data carries (a cashier page still open, the
  // wallet's notification URL) then still lead somewhere once the gateway is back.
  const port = (await portFree('127.0.0.1', config.port)) ? config.port : 0;
  const seedConfig: Config = {
    ...config,
    host: '127.0.0.1',
    port,
    publicUrl: `http://localhost:${port}`,
    publicUrlFromPort: true,
    logLevel: 'error',
    rateLimitPerSecond: 0,
    crashAt: undefined,
    // Short ticks: after each move of the clock, whatever fell due is done before the next step.
    workerIntervalMs: 50,
    // Test mode on this machine; the seed's own receiver is on loopback.
    webhooks: { ...config.webhooks, allowPrivateUrls: true },
  };
  const store = config.databaseUrl ? `PostgreSQL ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}` : `PGlite in ${resolve(config.dataDir, 'pglite')}`;

  let gateway: Gateway;
  try {
    gateway = await createGateway(seedConfig, { clock, as: 'seed', logStream: { write: (line: string) => io.err(line.trimEnd()) } });
  } catch (err) {
    if (err instanceof DataFolderBusy) throw new DataFolderBusy(busyMessage(err), err.holder);
    throw err;
  }
  let interrupted = false;
  let cleaningUp = false;
  const onInterrupt = () => {
    interrupted = true;
    io.err('\nInterrupted: cleaning up (Ctrl-C again to quit at once)…');
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);

  let receiver: Receiver | undefined;
  let api: Client | undefined;
  let story: Story | undefined;
  let receiverDisabled = false;
  let extraKey: string | undefined;
  let tpTemporaryUser: string | undefined;
  let lineOpen = false;
  const endLine = () => {
    if (lineOpen) io.out('');
    lineOpen = false;
  };
  try {
    try {
      await gateway.start();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new SeedError(`port ${port} was taken just now; run the seed again`);
      throw err;
    }
    const base = gateway.publicUrl();
    const account = gateway.account;
    io.out(`Seeding test mode of ${account.accountName} (${account.accountId}) on ${store}, seed ${opts.seed}.`);
    io.out(`Its own gateway runs at ${base} with the built-in simulator, its clock set back to ${new Date(plan.start).toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
    if (port !== config.port) io.out(`(PORT ${config.port} is taken: the cashier links of the payments left open at the end lead to this port, which closes with the seed.)`);
    if (account.created) {
      io.out('The store was empty: a test account was created. Its keys are stored hashed and shown only now:');
      io.out(`  Test secret key      ${account.secretKey}`);
      io.out(`  Test publishable key ${account.publishableKey}`);
      if (gateway.tp.password) io.out(`  TP user ${gateway.tp.username}, password ${gateway.tp.password}`);
    }
    if (gateway.dashboardPassword && !config.dashboard.password) {
      io.out(`The dashboard password was made just now and is shown only here: ${gateway.dashboardPassword}`);
    }

    // The account's own key when this process knows it (given in the environment, or made just
    // now); otherwise a key of the seed's own beside it, revoked at the end, so the merchant's key
    // never changes.
    let key = account.secretKey;
    if (!key) {
      extraKey = await addExtraKey(gateway.db, account.accountId, false, Date.now());
      key = extraKey;
    }
    let tpUser: { username: string; password: string } | undefined;
    const site = gateway.tp.siteReference ? await getSite(gateway.db, gateway.tp.siteReference) : undefined;
    const tpSite = site && !site.livemode ? site.site_reference : undefined;
    if (tpSite) {
      if (gateway.tp.password) tpUser = { username: gateway.tp.username, password: gateway.tp.password };
      else {
        // Same reasoning as the API key: the merchant's webservices password stays as it is.
        tpTemporaryUser = 'opencashier-seed';
        tpUser = { username: tpTemporaryUser, password: randomBytes(18).toString('base64url') };
        await putUser(gateway.db, { ...tpUser, accountId: account.accountId, sites: [tpSite], now: Date.now() });
      }
    }
    api = new Client(base, key, tpUser, () => interrupted && !cleaningUp);
    const client = api;
    receiver = await startReceiver(plan.end - 2 * 3_600_000);

    let made = 0;
    const total = plan.payments.length;
    let shown = -1;
    const progress = () => {
      made++;
      const text = `Seeding ${SEED_DAYS} days of test payments… ${made}/${total}`;
      if (ctx.tty) {
        ctx.out(`\r${text}`);
        lineOpen = true;
      } else if (Math.floor((made * 10) / total) !== shown) {
        shown = Math.floor((made * 10) / total);
        io.out(text);
      }
    };
    story = new Story(client, plan, tpSite, config.tp.settleDelayMs.test, receiver.url, progress);
    for (const step of story.steps) {
      if (interrupted) throw new SeedError('interrupted');
      clock.advanceTo(step.at);
      await step.run();
    }
    endLine();
    clock.advanceTo(Date.now());

    // Every delivery to the receiver done (it answers 200 to the last hours' events), then it is
    // disabled: nothing will listen at its address once the seed ends.
    const { tally } = story;
    const { receiver: receiverId, unreachable: unreachableId } = tally.endpoints;
    io.out('Waiting for the last webhook deliveries…');
    if (receiverId) {
      await client.until('the webhook deliveries to the receiver', async () => {
        const pending = await client.v1<{ data: Obj[] }>('GET', `/v1/webhook_deliveries?webhook_endpoint=${receiverId}&status=pending&limit=1`);
        return pending.data.length === 0 ? true : undefined;
      }, 60_000);
      await client.v1('POST', `/v1/webhook_endpoints/${receiverId}`, { disabled: true });
      receiverDisabled = true;
    }

    // The summary, read back through the API.
    const statuses: string[] = [];
    const currencies = new Set<string>();
    const wallets = new Set<string>();
    for (const [id, p] of tally.payments) {
      const pi = await client.v1('GET', `/v1/payment_intents/${id}`);
      statuses.push(pi.status as string);
      currencies.add(p.currency);
      if (p.kind !== 'open' && p.kind !== 'checkout_expired' && p.kind !== 'abandoned') wallets.add(p.retryWallet ?? p.wallet);
    }
    const refunds = await Promise.all(tally.refunds.map((r) => client.v1('GET', `/v1/refunds/${r.id}`)));
    const sessions = await Promise.all(tally.sessions.map((s) => client.v1('GET', `/v1/checkout/sessions/${s.id}`)));
    const deliveries: Obj[] = [];
    for (const ep of [receiverId, unreachableId]) if (ep) deliveries.push(...(await client.all('/v1/webhook_deliveries', { webhook_endpoint: ep })));
    const attempts = deliveries.flatMap((d) => d.attempts as Obj[]);
    const failedAttempts = attempts.filter((a) => !(a.http_status >= 200 && a.http_status < 300)).length;
    const endpoints = await Promise.all([receiverId, unreachableId].filter((x): x is string => Boolean(x)).map((id) => client.v1('GET', `/v1/webhook_endpoints/${id}`)));
    const authRecords = tpUser && tally.auths.length
      ? ((await client.tp({ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: tally.auths.map((a) => ({ value: a.reference })) } })).records as Obj[] ?? [])
      : [];
    const tpRefunds = tpUser && tally.auths.length
      ? ((await client.tp({ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { parenttransactionreference: tally.auths.map((a) => ({ value: a.reference })) } })).records as Obj[] ?? [])
      : [];
    const refundedAuths = new Set(tpRefunds.map((r) => r.parenttransactionreference as string));
    const authStates = authRecords.map((r) => (refundedAuths.has(r.transactionreference as string) ? 'refunded'
      : r.settlestatus === '100' ? 'settled' : r.settlestatus === '3' ? 'declined' : `settlestatus ${r.settlestatus}`));
    const paidParts = count(tally.refunds.map((r) => r.payment));

    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    io.out(`Done in ${seconds} s: sample data from ${day(plan.start)} to ${day(plan.end)} (seed ${opts.seed}).`);
    io.out(`  Payments        ${statuses.length} in ${currencies.size} currencies and ${wallets.size} wallets: ${listOf(count(statuses))}`);
    io.out(`  Checkout        ${sessions.length} Checkout Sessions: ${listOf(count(sessions.map((s) => s.status as string)))}`);
    io.out(`  Refunds         ${refunds.length}: ${listOf(count(refunds.map((r) => (r.status === 'succeeded' ? (tally.refunds.find((t) => t.id === r.id)!.partial ? 'partial' : 'full') : r.status as string))))}`
      + ` (${[...paidParts.values()].filter((n) => n > 1).length} of the payments in several parts)`);
    io.out(`  Webhooks        ${endpoints.length} endpoints (${endpoints.map((e) => e.status).join(', ')}): ${deliveries.length} deliveries (${listOf(count(deliveries.map((d) => d.status as string)))}), `
      + `${attempts.length} attempts, ${failedAttempts} of them failed`);
    if (tpSite) io.out(`  Trust Payments  ${authRecords.length} AUTHs on ${tpSite}: ${listOf(count(authStates))}`);
    else io.out('  Trust Payments  none: the account has no test site (npm run cli -- tp sites add …)');
    io.out(extraKey
      ? 'The account\'s keys are unchanged: the seed used a key of its own, now revoked.'
      : 'The seed used the account\'s test secret key (known to it from the environment or made just now); it is unchanged.');
    const dashboard = config.port === 0 && config.publicUrlFromPort ? 'the gateway\'s /dashboard' : `${config.publicUrl}/dashboard`;
    io.out(`Open ${dashboard} after npm start.`);
    return 0;
  } catch (err) {
    endLine();
    if (!(err instanceof SeedError)) throw err;
    io.err(`opencashier seed: ${err.message}${interrupted ? '' : ' (what was made so far stays; run it again to add more, or npm run cli -- reset --keep-keys to start over)'}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    cleaningUp = true;
    // Stopped early: the receiver's address dies with the seed, so its endpoint must not stay enabled.
    const receiverId = story?.tally.endpoints.receiver;
    if (api && receiverId && !receiverDisabled) await api.v1('POST', `/v1/webhook_endpoints/${receiverId}`, { disabled: true }).catch(() => undefined);
    if (extraKey) await revokeKey(gateway.db, extraKey, Date.now()).catch(() => undefined);
    if (tpTemporaryUser) await disableUser(gateway.db, tpTemporaryUser, Date.now()).catch(() => undefined);
    await gateway.stop();
    await receiver?.close();
  }
}
