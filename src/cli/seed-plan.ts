/**
 * The story `opencashier seed` tells, decided before anything is sent: which payments happen when,
 * in which currency and wallet, for how much, and how each one ends. Pure: a seeded PRNG and the
 * end of the 30 days in, a plan out — so one `--seed` always tells the same story (the same
 * outcomes, amounts and wallets; only the dates follow "now").
 */
import { CURRENCIES, type PaymentMethodType, type WalletCode } from '../core/money.js';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
export const SEED_DAYS = 30;

/** sfc32, seeded through splitmix32: small, fast, and the same sequence on every machine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4_294_967_296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [x, w] of xs) {
      r -= w;
      if (r < 0) return x;
    }
    return xs[xs.length - 1]![0];
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

// ---------------------------------------------------------------------------------------------
// The shop: who buys, where, in what, for how much

interface Market {
  method: PaymentMethodType;
  currency: string;
  /** The wallets that pay in this market, by how often shoppers choose each. */
  wallets: readonly (readonly [WalletCode, number])[];
  /** How often an order comes from this market. */
  weight: number;
  /** The shoppers' UTC offset, so orders come at their waking hours. */
  tz: number;
  /** Typical prices, in major units. */
  prices: readonly number[];
  customers: readonly string[];
}

const MARKETS: readonly Market[] = [
  { method: 'alipay', currency: 'CNY', wallets: [['ALIPAY_CN', 1]], weight: 22, tz: 8, prices: [39, 68, 88, 128, 199, 268, 399, 588, 1288], customers: ['Wang Fang', 'Li Wei', 'Zhang Min', 'Liu Yang', 'Chen Jing', 'Zhao Lei', 'Huang Xin', 'Zhou Ting'] },
  { method: 'alipay', currency: 'USD', wallets: [['ALIPAY_CN', 1]], weight: 8, tz: 8, prices: [9.99, 12.5, 19.9, 24, 29.99, 45, 59.9, 79, 120, 249], customers: ['Emily Carter', 'Jason Miller', 'Ava Thompson', 'Kevin Zhang', 'Grace Lin'] },
  { method: 'alipay', currency: 'EUR', wallets: [['ALIPAY_CN', 1]], weight: 6, tz: 1, prices: [12.5, 19.9, 29, 39.5, 45, 89, 149], customers: ['Lukas Weber', 'Sophie Martin', 'Giulia Rossi', 'Pieter de Vries', 'Mei Schneider'] },
  { method: 'alipay', currency: 'GBP', wallets: [['ALIPAY_CN', 1]], weight: 4, tz: 0, prices: [8.5, 15, 24.99, 39, 75, 120], customers: ['Oliver Hughes', 'Amelia Clarke', 'Harry Patel', 'Yan Chen'] },
  { method: 'alipayplus', currency: 'HKD', wallets: [['ALIPAY_HK', 1]], weight: 10, tz: 8, prices: [48, 88, 168, 298, 480, 680, 1280], customers: ['Chan Tai Man', 'Wong Ka Yan', 'Leung Chi Wai', 'Cheung Wing Sze', 'Lam Hoi Ying'] },
  { method: 'alipayplus', currency: 'PHP', wallets: [['GCASH', 6], ['BPI', 2], ['AKULAKU_PAYLATER_PH', 1]], weight: 14, tz: 8, prices: [149, 299, 499, 850, 1299, 2450, 3200, 5499], customers: ['Maria Santos', 'Juan dela Cruz', 'Angelica Reyes', 'Mark Villanueva', 'Kristine Bautista', 'Paolo Garcia'] },
  { method: 'alipayplus', currency: 'IDR', wallets: [['DANA', 4], ['AKULAKU_PAYLATER', 1]], weight: 10, tz: 7, prices: [25_000, 49_900, 89_000, 125_000, 249_000, 350_000, 799_000, 1_250_000], customers: ['Budi Santoso', 'Siti Rahmawati', 'Dewi Lestari', 'Agus Pratama', 'Putri Anggraini'] },
  { method: 'alipayplus', currency: 'MYR', wallets: [['TNG', 3], ['BOOST', 1]], weight: 9, tz: 8, prices: [15.9, 29.9, 49, 89.9, 159, 249, 399], customers: ['Nurul Aisyah', 'Tan Wei Ming', 'Muhammad Hafiz', 'Priya Nair', 'Lim Mei Ling'] },
  { method: 'alipayplus', currency: 'THB', wallets: [['RABBIT_LINE_PAY', 1]], weight: 6, tz: 7, prices: [129, 250, 490, 890, 1590, 2900, 4200], customers: ['Somchai Srisuk', 'Nattaya Chaiyaporn', 'Kittisak Boonmee', 'Ploy Wongsakul'] },
  { method: 'alipayplus', currency: 'CNY', wallets: [['ALIPAY_CN', 1]], weight: 3, tz: 8, prices: [45, 99, 168, 320, 680], customers: ['Sun Yue', 'Ma Lin', 'Guo Qiang'] },
];

const PRODUCTS = [
  'Jasmine green tea, 250 g', 'Silk scarf', 'Ceramic tea set', 'Travel adapter', 'Wireless earbuds', 'Leather card holder',
  'Skincare gift set', 'Bamboo phone stand', 'Linen tote bag', 'Hand cream trio', 'Mooncake gift box', 'Running socks, 3 pairs',
  'Enamel pin set', 'A5 dotted notebook', 'Insulated bottle, 500 ml', 'Oolong tea sampler', 'Porcelain mug', 'Sunscreen SPF 50',
];

/** A shopper's local hour → how busy the shop is then. */
const HOUR_WEIGHTS = [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.1, 1.3, 1.5, 1.8, 1.6, 1.3, 1.2, 1.3, 1.5, 1.8, 2.2, 2.5, 2.3, 1.6, 0.8];

const DECLINE_CODES: readonly (readonly [string, number])[] = [
  ['USER_BALANCE_NOT_ENOUGH', 5], ['RISK_REJECT', 2], ['USER_AMOUNT_EXCEED_LIMIT', 2], ['PAYMENT_COUNT_EXCEED_LIMIT', 1], ['USER_KYC_NOT_QUALIFIED', 1],
];

// ---------------------------------------------------------------------------------------------
// The plan

/**
 * How a payment ends. `retried`: declined, then paid on a second try; `slow`: the wallet reports
 * it in process before it pays; `abandoned`: confirmed, never paid, closed by the wallet when it
 * expires; `open`: still at the wallet when the seed ends; `checkout*`: through a Checkout Session
 * and its hosted page.
 */
export type PaymentKind = 'succeeded' | 'declined' | 'abandoned' | 'canceled' | 'open' | 'retried' | 'slow' | 'checkout' | 'checkout_expired';

export const FINAL_STATUS: Readonly<Record<PaymentKind, string>> = {
  succeeded: 'succeeded', retried: 'succeeded', slow: 'succeeded', checkout: 'succeeded',
  declined: 'requires_payment_method', abandoned: 'requires_payment_method',
  canceled: 'canceled', checkout_expired: 'canceled', open: 'requires_action',
};

export interface LineItem {
  name: string;
  /** Minor units. */
  unit: number;
  quantity: number;
}

export interface PlannedRefund {
  /** When, after the payment was created. */
  after: number;
  /** Minor units; undefined refunds what remains. */
  amount?: number;
  reason: 'requested_by_customer' | 'duplicate' | 'fraudulent';
  note: string;
  /** The wallet refuses it (the simulator's REFUND_WINDOW_EXCEED). */
  declined: boolean;
}

export interface PlannedPayment {
  at: number;
  kind: PaymentKind;
  method: PaymentMethodType;
  currency: string;
  amount: number;
  /** The wallet that answers; `retryWallet` pays on the second try of a retried payment. */
  wallet: WalletCode;
  retryWallet?: WalletCode;
  terminal: 'WEB' | 'WAP' | 'APP';
  os?: 'IOS' | 'ANDROID';
  clientIp: string;
  orderId: string;
  customer: string;
  email: string;
  items: LineItem[];
  description: string;
  /** After `at`: when the wallet first answers (or the merchant cancels, or the hosted page is used). */
  answerAfter: number;
  /** After the first answer: the second try (retried) or the final answer (slow, checkout). */
  thenAfter: number;
  failureCode?: string;
  cancelReason?: 'requested_by_customer' | 'duplicate' | 'abandoned';
  refunds: PlannedRefund[];
}

export interface PlannedAuth {
  at: number;
  outcome: 'paid' | 'declined' | 'refunded';
  currency: string;
  /** Minor units (baseamount). */
  amount: number;
  orderReference: string;
  first: string;
  last: string;
  country: string;
  email: string;
  wap: boolean;
  answerAfter: number;
  /** After the AUTH settled: the REFUND, and how much of it (undefined: all). */
  refundAfter?: number;
  refundAmount?: number;
}

export interface Plan {
  start: number;
  end: number;
  payments: PlannedPayment[];
  auths: PlannedAuth[];
  /** When the two webhook endpoints are added. */
  receiverAt: number;
  deadEndpointAt: number;
}

/** How many payments end each way, for `n` payments: a share of each, and at least one where the dashboard needs one. */
export function kindCounts(n: number): Record<PaymentKind, number> {
  const share = (p: number, min: number) => Math.max(min, Math.round(n * p));
  const counts: Record<PaymentKind, number> = {
    open: share(0.02, 1), declined: share(0.07, 2), abandoned: share(0.04, 1), canceled: share(0.05, 1), retried: share(0.03, 1),
    slow: share(0.02, 1), checkout: share(0.05, 1), checkout_expired: share(0.015, 1), succeeded: 0,
  };
  counts.succeeded = n - Object.values(counts).reduce((s, c) => s + c, 0);
  return counts;
}

export const MIN_PAYMENTS = 20;
export const MAX_PAYMENTS = 2000;

const emailOf = (name: string) => `${name.toLowerCase().replace(/[^a-z ]/g, '').trim().replace(/\s+/g, '.')}@example.com`;

function minor(major: number, currency: string): number {
  return Math.round(major * 10 ** (CURRENCIES[currency]?.exponent ?? 2));
}

/** A refund amount people would type: whole units (thousands of rupiah), never all of it. */
function roundRefund(amount: number, currency: string, share: number): number {
  const step = currency === 'IDR' ? 100_000 : amount >= 2_000 ? 100 : 10;
  const r = Math.max(step, Math.round((amount * share) / step) * step);
  return r < amount ? r : Math.max(1, amount - step);
}

/** The UTC days of the last 30, each with the part of it where a payment may start (not too close to either end). */
function days(start: number, end: number): { from: number; to: number; midnight: number; weight: number }[] {
  const out = [];
  const first = Math.floor(start / DAY_MS) * DAY_MS;
  for (let midnight = first; midnight < end; midnight += DAY_MS) {
    const from = Math.max(midnight, start + 30 * MINUTE_MS);
    const to = Math.min(midnight + DAY_MS, end - 2 * HOUR_MS);
    if (to - from >= HOUR_MS) out.push({ from, to, midnight, weight: 1 });
  }
  return out;
}

/** A time on that day at an hour its shoppers are awake and shopping. */
function timeOn(rng: Rng, day: { from: number; to: number; midnight: number }, tz: number): number {
  for (let tries = 0; tries < 20; tries++) {
    const local = rng.weighted(HOUR_WEIGHTS.map((w, h) => [h, w] as const));
    const utcHour = (((local - tz) % 24) + 24) % 24;
    const t = day.midnight + utcHour * HOUR_MS + rng.int(0, HOUR_MS - 1);
    if (t >= day.from && t < day.to) return t;
  }
  return rng.int(day.from, day.to - 1);
}

export function makePlan(opts: { seed: number; payments: number; end: number }): Plan {
  // Two streams: what happens (kinds, markets, amounts, refunds) draws from `story` in an order
  // that never depends on the dates, so one seed tells the same story whenever it runs; when it
  // happens draws from `timing`.
  const story = new Rng(opts.seed);
  const timing = new Rng(opts.seed ^ 0x5eed_71e5);
  const n = opts.payments;
  const end = opts.end;
  const start = end - SEED_DAYS * DAY_MS;

  const counts = kindCounts(n);
  const kinds = [
    ...story.shuffle(Object.entries(counts).filter(([k]) => k !== 'open').flatMap(([k, c]) => Array<PaymentKind>(c).fill(k as PaymentKind))),
    // The newest: shoppers at the wallet when the seed ends.
    ...Array<PaymentKind>(counts.open).fill('open'),
  ];

  // Each market once before any twice, so a short run still shows every currency and wallet.
  const marketOrder = story.shuffle(MARKETS.map((_, i) => i));
  const marketFor = (i: number): Market => (i < marketOrder.length ? MARKETS[marketOrder[i]!]! : story.weighted(MARKETS.map((m) => [m, m.weight] as const)));

  const orderBase = 10_000 + 1_000 * story.int(0, 40);
  const markets: Market[] = [];
  const payments: PlannedPayment[] = kinds.map((kind, i) => {
    const market = marketFor(i);
    markets.push(market);
    const customer = story.pick(market.customers);
    const lines = story.weighted([[1, 6], [2, 3], [3, 1]] as const);
    const names = story.shuffle([...PRODUCTS]).slice(0, lines);
    const items = names.map((name) => ({
      name, unit: minor(story.pick(market.prices), market.currency), quantity: story.weighted([[1, 8], [2, 2], [3, 1]] as const),
    }));
    const amount = items.reduce((s, it) => s + it.unit * it.quantity, 0);
    const orderId = `ORD-${orderBase + i + 1}`;
    const terminal = story.weighted([['WEB', 4], ['WAP', 5], ['APP', 2]] as const);
    const wallet = story.weighted(market.wallets);
    const others = market.wallets.map(([w]) => w).filter((w) => w !== wallet);
    const first = items[0]!;
    return {
      at: 0,
      kind,
      method: market.method,
      currency: market.currency,
      amount,
      wallet,
      ...(kind === 'retried' && others.length > 0 && story.chance(0.6) ? { retryWallet: story.pick(others) } : {}),
      terminal,
      ...(terminal === 'WEB' ? {} : { os: story.weighted([['IOS', 1], ['ANDROID', 1]] as const) }),
      clientIp: story.chance(0.5) ? `203.0.113.${story.int(1, 254)}` : `198.51.100.${story.int(1, 254)}`,
      orderId,
      customer,
      email: emailOf(customer),
      items,
      description: `${orderId}: ${first.name}${first.quantity > 1 ? ` × ${first.quantity}` : ''}${items.length > 1 ? ` and ${items.length - 1} more` : ''}`,
      answerAfter: kind === 'canceled' ? story.int(1 * MINUTE_MS, 10 * MINUTE_MS) : story.int(20_000, 4 * MINUTE_MS),
      thenAfter: kind === 'slow' ? story.int(3 * MINUTE_MS, 8 * MINUTE_MS) : story.int(30_000, 3 * MINUTE_MS),
      ...(kind === 'declined' || kind === 'retried' ? { failureCode: story.weighted(DECLINE_CODES) } : {}),
      ...(kind === 'canceled' ? { cancelReason: story.weighted([['requested_by_customer', 3], ['duplicate', 2], ['abandoned', 1]] as const) } : {}),
      refunds: [],
    };
  });

  // When: busier at weekends, growing over the month, a few promotion days with two or three
  // times the orders; every day gets an order before any day gets a second, so a short run still
  // spans the month. Orders are numbered in the order of their days.
  const calendar = days(start, end);
  for (const [i, d] of calendar.entries()) {
    const weekday = new Date(d.midnight).getUTCDay();
    d.weight = (weekday === 0 || weekday === 6 ? 1.4 : 1) * (0.8 + (0.4 * i) / calendar.length);
  }
  for (let i = 0; i < 3; i++) timing.pick(calendar).weight *= 2 + timing.next();
  const spread = n - counts.open;
  const perDay = calendar.map(() => 0);
  if (spread >= calendar.length) {
    perDay.fill(1);
    for (let i = calendar.length; i < spread; i++) perDay[calendar.indexOf(timing.weighted(calendar.map((d) => [d, d.weight] as const)))]! += 1;
  } else {
    for (const i of timing.shuffle(calendar.map((_, i) => i)).slice(0, spread)) perDay[i] = 1;
  }
  const slots = calendar.flatMap((d, i) => Array<typeof d>(perDay[i]!).fill(d));
  for (const [i, p] of payments.entries()) {
    // The days end two hours before now; the wallet closes unpaid payments after 14 minutes.
    p.at = p.kind === 'open' ? end - timing.int(3 * MINUTE_MS, 8 * MINUTE_MS) : timeOn(timing, slots[i]!, markets[i]!.tz);
  }

  // Refunds of paid orders, hours to days later (sooner for the newest).
  const paid = story.shuffle(payments.filter((p) => FINAL_STATUS[p.kind] === 'succeeded'));
  const refundGap = (p: PlannedPayment) => Math.min(timing.int(2 * HOUR_MS, 6 * DAY_MS), end - 20 * MINUTE_MS - p.at);
  const reasonNote = () => story.weighted([
    [['requested_by_customer', 'Customer changed their mind'] as const, 5], [['requested_by_customer', 'Item arrived damaged'] as const, 2],
    [['duplicate', 'Paid twice for the same order'] as const, 1], [['fraudulent', 'Card holder disputed the purchase'] as const, 0.5],
  ] as const);
  const fulls = Math.max(1, Math.round(n * 0.05));
  const partials = Math.max(1, Math.round(n * 0.05));
  const several = Math.max(1, Math.round(n * 0.02));
  const declinedRefunds = n >= 40 ? 1 : 0;
  for (const p of paid.splice(0, fulls)) {
    const [reason, note] = reasonNote();
    p.refunds.push({ after: refundGap(p), reason, note, declined: false });
  }
  for (const p of paid.splice(0, partials)) {
    // One line of a larger order, or a goodwill share of a single line.
    const line = p.items.length > 1 ? story.pick(p.items) : undefined;
    const amount = line ? line.unit * line.quantity : roundRefund(p.amount, p.currency, story.pick([0.2, 0.25, 0.3, 0.5]));
    p.refunds.push({ after: refundGap(p), amount, reason: 'requested_by_customer', note: line ? `Out of stock: ${line.name}` : 'Goodwill discount for late delivery', declined: false });
  }
  for (const p of paid.splice(0, several)) {
    const a1 = roundRefund(p.amount, p.currency, 0.2);
    const a2 = roundRefund(p.amount - a1, p.currency, 0.3);
    // Sometimes the rest follows, and the order ends fully refunded in three steps.
    const rest = story.chance(0.5);
    const latest = (margin: number) => end - margin * MINUTE_MS - p.at;
    const first = refundGap(p);
    const second = first + Math.min(timing.int(HOUR_MS, 2 * DAY_MS), Math.max(0, latest(15) - first));
    p.refunds.push({ after: first, amount: a1, reason: 'requested_by_customer', note: 'Late delivery', declined: false });
    p.refunds.push({ after: second, amount: a2, reason: 'requested_by_customer', note: 'Missing item', declined: false });
    if (rest) p.refunds.push({ after: second + Math.min(HOUR_MS, Math.max(0, latest(10) - second)), reason: 'requested_by_customer', note: 'Order returned', declined: false });
  }
  for (const p of paid.splice(0, declinedRefunds)) {
    p.refunds.push({ after: refundGap(p), reason: 'requested_by_customer', note: 'Customer changed their mind', declined: true });
  }

  // Trust Payments AUTHs: a shop on the other API, on the same account.
  const authCount = Math.max(3, Math.round(n / 25));
  const outcomes: PlannedAuth['outcome'][] = ['refunded', 'declined', ...Array<PlannedAuth['outcome']>(authCount - 2).fill('paid')];
  const tpMarkets: readonly { currency: string; prices: readonly number[]; country: string; names: readonly (readonly [string, string])[] }[] = [
    { currency: 'EUR', prices: [10.5, 24.9, 49, 89.95], country: 'DE', names: [['Anna', 'Müller'], ['Jonas', 'Fischer']] },
    { currency: 'GBP', prices: [12, 29.99, 64.5], country: 'GB', names: [['Charlotte', 'Evans'], ['George', 'Wright']] },
    { currency: 'USD', prices: [15, 39.99, 99], country: 'US', names: [['Michael', 'Brown'], ['Olivia', 'Chen']] },
    { currency: 'AUD', prices: [22, 55, 120], country: 'AU', names: [['Jack', 'Wilson']] },
    { currency: 'SGD', prices: [18.8, 42, 96], country: 'SG', names: [['Wei Jie', 'Tan']] },
    { currency: 'JPY', prices: [1800, 4800, 12_000], country: 'JP', names: [['Yuki', 'Sato']] },
  ];
  const auths: PlannedAuth[] = story.shuffle(outcomes).map((outcome, i) => {
    const market = tpMarkets[i % tpMarkets.length]!;
    const [first, last] = story.pick(market.names);
    const amount = minor(story.pick(market.prices), market.currency);
    const partial = story.chance(0.5);
    const at = timeOn(timing, timing.pick(calendar.slice(0, Math.max(1, calendar.length - 3))), 1);
    return {
      at, outcome, currency: market.currency, amount,
      orderReference: `WEB-${orderBase + 500 + i}`,
      first, last, country: market.country, email: emailOf(`${first} ${last}`),
      wap: story.chance(0.4),
      answerAfter: story.int(20_000, 3 * MINUTE_MS),
      ...(outcome === 'refunded' ? {
        refundAfter: Math.min(timing.int(HOUR_MS, 3 * DAY_MS), end - 30 * MINUTE_MS - at),
        ...(partial ? { refundAmount: roundRefund(amount, market.currency, 0.5) } : {}),
      } : {}),
    };
  });

  return {
    start, end, payments, auths,
    receiverAt: start + 5 * MINUTE_MS,
    // Long enough before the end that its failing for three days gets it disabled within the story.
    deadEndpointAt: start + 4 * DAY_MS + 3 * HOUR_MS,
  };
}
