/**
 * No input gets a 5xx, on any route of any door (issue 7). A property-based fuzz over every route
 * the Fastify app has — read from the app itself, so a new route fails this file until it is in
 * ROUTES — plus the exact reproductions of the issue as plain examples.
 *
 * Replay a failure: the message carries fast-check's `seed` and `path`; run with
 * FUZZ_DOOR=<door> FUZZ_SEED=<seed> FUZZ_PATH=<path> (and FUZZ_SCALE=<k> for k times the runs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { z } from 'zod';
import * as P from '../../src/api/v1/params.js';
import { parseForm } from '../../src/api/v1/form.js';
import { privateKeyFromBase64, signatureHeader, signMessage } from '../../src/connectors/antom/signing.js';
import { v1ErrorHandler } from '../../src/api/v1/plugin.js';
import { checkoutErrorHandler } from '../../src/api/checkout.js';
import { upstreamErrorHandler } from '../../src/api/upstream.js';
import { simulatorErrorHandler } from '../../src/simulator/routes.js';
import { lastResortErrorHandler } from '../../src/front-doors.js';
import { startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB, SEED_004_AUTH, SEED_004_XML } from '../helpers/seeds.js';
import { basicAuth, seedTrustPayments } from '../helpers/webservices.js';
import { servedRoutes } from '../helpers/routes.js';

const CHECKOUT = {
  mode: 'payment', success_url: 'https://shop.example/done', cancel_url: 'www.shop.example', payment_method_types: ['alipay'],
  line_items: [{ price_data: { currency: 'CNY', unit_amount: 1000, product_data: { name: 'fuzz' } }, quantity: 1 }],
};

// ---------------------------------------------------------------------------------------------
// The routes, by door. Every route the app serves must be here (HEAD is Fastify's copy of GET).

type Door = 'v1' | 'checkout' | 'notify' | 'return' | 'antom' | 'simulator' | 'webservices' | 'dashboard' | 'root';
type Fixture = Awaited<ReturnType<typeof buildFixture>>;
interface RouteSpec {
  door: Door;
  /** Real ids for the path parameter, so hostile bodies also reach routes past their lookup. */
  ids?: (f: Fixture) => string[];
  /** Its body is multipart/form-data (POST /v1/files): form-shaped fuzz goes as parts ({@link toMultipart}). */
  multipart?: boolean;
}

const ROUTES: Record<string, RouteSpec> = {
  'POST /v1/payment_intents': { door: 'v1' },
  'GET /v1/payment_intents': { door: 'v1' },
  'GET /v1/payment_intents/:id': { door: 'v1', ids: (f) => [f.pi, f.paidPi] },
  'POST /v1/payment_intents/:id': { door: 'v1', ids: (f) => [f.pi, f.paidPi] },
  'POST /v1/payment_intents/:id/confirm': { door: 'v1', ids: (f) => [f.pi, f.paidPi] },
  'POST /v1/payment_intents/:id/cancel': { door: 'v1', ids: (f) => [f.pi, f.paidPi] },
  'POST /v1/products': { door: 'v1' },
  'GET /v1/products': { door: 'v1' },
  'GET /v1/products/:id': { door: 'v1', ids: (f) => [f.product] },
  'POST /v1/products/:id': { door: 'v1', ids: (f) => [f.product] },
  'POST /v1/prices': { door: 'v1' },
  'GET /v1/prices': { door: 'v1' },
  'GET /v1/prices/:id': { door: 'v1', ids: (f) => [f.price] },
  'POST /v1/prices/:id': { door: 'v1', ids: (f) => [f.price] },
  'GET /v1/charges': { door: 'v1' },
  'GET /v1/charges/:id': { door: 'v1', ids: (f) => [f.charge] },
  'POST /v1/checkout/sessions': { door: 'v1' },
  'GET /v1/checkout/sessions': { door: 'v1' },
  'GET /v1/checkout/sessions/:id': { door: 'v1', ids: (f) => [f.session] },
  'POST /v1/checkout/sessions/:id/expire': { door: 'v1', ids: (f) => [f.session] },
  'GET /v1/checkout/sessions/:id/line_items': { door: 'v1', ids: (f) => [f.session] },
  'POST /v1/refunds': { door: 'v1' },
  'GET /v1/refunds': { door: 'v1' },
  'GET /v1/refunds/:id': { door: 'v1', ids: (f) => [f.refund] },
  'POST /v1/refunds/:id': { door: 'v1', ids: (f) => [f.refund] },
  'GET /v1/balance': { door: 'v1' },
  'GET /v1/balance_transactions': { door: 'v1' },
  'GET /v1/balance_transactions/:id': { door: 'v1', ids: (f) => [f.txn] },
  'GET /v1/reports/settlement': { door: 'v1' },
  'GET /v1/disputes': { door: 'v1' },
  'GET /v1/disputes/:id': { door: 'v1' },
  'POST /v1/disputes/:id': { door: 'v1' },
  'POST /v1/disputes/:id/close': { door: 'v1' },
  'POST /v1/files': { door: 'v1', multipart: true },
  'GET /v1/files': { door: 'v1' },
  'GET /v1/files/:id': { door: 'v1', ids: (f) => [f.file] },
  'GET /v1/files/:id/contents': { door: 'v1', ids: (f) => [f.file] },
  'POST /v1/webhook_endpoints': { door: 'v1' },
  'GET /v1/webhook_endpoints': { door: 'v1' },
  'GET /v1/webhook_endpoints/:id': { door: 'v1', ids: (f) => [f.endpoint] },
  'POST /v1/webhook_endpoints/:id': { door: 'v1', ids: (f) => [f.endpoint] },
  'DELETE /v1/webhook_endpoints/:id': { door: 'v1', ids: (f) => [f.endpoint] },
  'GET /v1/webhook_deliveries': { door: 'v1' },
  'GET /v1/webhook_deliveries/:id': { door: 'v1', ids: (f) => [f.delivery] },
  'GET /v1/events': { door: 'v1' },
  'GET /v1/events/:id': { door: 'v1', ids: (f) => [f.event] },
  'POST /antom/notify': { door: 'notify' },
  'POST /ams/api/v1/payments/:name': { door: 'antom', ids: () => ['pay', 'inquiryPayment', 'cancel', 'refund', 'inquiryRefund', 'acceptDispute', 'supplyDefenseDocument'] },
  'POST /ams/sandbox/api/v1/payments/:name': { door: 'antom', ids: () => ['pay', 'inquiryPayment', 'cancel', 'refund', 'inquiryRefund', 'acceptDispute', 'supplyDefenseDocument'] },
  'GET /return/:attempt': { door: 'return', ids: (f) => [f.attempt] },
  'GET /pay/:id': { door: 'checkout', ids: (f) => [f.session] },
  'POST /pay/:id': { door: 'checkout', ids: (f) => [f.session] },
  'GET /pay/:id/status': { door: 'checkout', ids: (f) => [f.session] },
  'GET /pay/:id/return': { door: 'checkout', ids: (f) => [f.session] },
  'GET /simulator/cashier': { door: 'simulator' },
  'GET /simulator/wallet': { door: 'simulator' },
  'GET /simulator/status': { door: 'simulator' },
  'POST /simulator/pay': { door: 'simulator' },
  'GET /simulator/result': { door: 'simulator' },
  'POST /simulator/v1/complete': { door: 'simulator' },
  'GET /simulator/v1/payments': { door: 'simulator' },
  'GET /simulator/v1/payments/:paymentId': { door: 'simulator', ids: (f) => [f.simPayment] },
  'POST /simulator/v1/disputes': { door: 'simulator' },
  'GET /simulator/v1/disputes/:disputeId': { door: 'simulator', ids: (f) => [f.simDispute] },
  'POST /simulator/v1/disputes/:disputeId/judge': { door: 'simulator', ids: (f) => [f.simDispute] },
  'POST /simulator/v1/disputes/:disputeId/escalate': { door: 'simulator', ids: (f) => [f.simDispute] },
  'POST /simulator/v1/disputes/:disputeId/cancel': { door: 'simulator', ids: (f) => [f.simDispute] },
  'POST /simulator/v1/faults': { door: 'simulator' },
  'GET /simulator/v1/faults': { door: 'simulator' },
  'DELETE /simulator/v1/faults': { door: 'simulator' },
  'POST /json/': { door: 'webservices' },
  'POST /xml/': { door: 'webservices' },
  'GET /dashboard': { door: 'dashboard' },
  'GET /dashboard/login': { door: 'dashboard' },
  'POST /dashboard/login': { door: 'dashboard' },
  'POST /dashboard/logout': { door: 'dashboard' },
  'POST /dashboard/mode': { door: 'dashboard' },
  'GET /dashboard/payments': { door: 'dashboard' },
  'GET /dashboard/payments/:id': { door: 'dashboard', ids: (f) => [f.pi, f.paidPi] },
  'POST /dashboard/payments/:id/refund': { door: 'dashboard', ids: (f) => [f.paidPi, f.pi] },
  'POST /dashboard/payments/:id/cancel': { door: 'dashboard', ids: (f) => [f.paidPi, f.pi] },
  'GET /dashboard/refunds': { door: 'dashboard' },
  'GET /dashboard/disputes': { door: 'dashboard' },
  'GET /dashboard/disputes/:id': { door: 'dashboard' },
  'POST /dashboard/disputes/:id/evidence': { door: 'dashboard' },
  'POST /dashboard/disputes/:id/accept': { door: 'dashboard' },
  'GET /dashboard/balance': { door: 'dashboard' },
  'GET /dashboard/balance/report.csv': { door: 'dashboard' },
  'GET /dashboard/webhooks': { door: 'dashboard' },
  'POST /dashboard/webhooks': { door: 'dashboard' },
  'GET /dashboard/webhooks/:id': { door: 'dashboard', ids: (f) => [f.endpoint] },
  'POST /dashboard/webhooks/:id': { door: 'dashboard', ids: (f) => [f.endpoint] },
  'POST /dashboard/webhooks/:id/disable': { door: 'dashboard', ids: (f) => [f.endpoint] },
  'POST /dashboard/webhooks/:id/enable': { door: 'dashboard', ids: (f) => [f.endpoint] },
  'POST /dashboard/webhooks/:id/delete': { door: 'dashboard', ids: (f) => [f.endpoint] },
  'GET /dashboard/events': { door: 'dashboard' },
  'GET /dashboard/events/:id': { door: 'dashboard', ids: (f) => [f.event] },
  'POST /dashboard/events/:id/resend': { door: 'dashboard', ids: (f) => [f.event] },
  'GET /dashboard/developers': { door: 'dashboard' },
  'POST /dashboard/developers/keys/roll': { door: 'dashboard' },
  'POST /dashboard/developers/business': { door: 'dashboard' },
  'GET /dashboard/trust-payments': { door: 'dashboard' },
  'POST /dashboard/trust-payments/rules': { door: 'dashboard' },
  'POST /dashboard/trust-payments/rules/:id/remove': { door: 'dashboard' },
  'GET /': { door: 'root' },
  'GET /docs/errors': { door: 'root' },
  'GET /docs': { door: 'root' },
  'GET /docs/assets/swagger-ui.css': { door: 'root' },
  'GET /docs/assets/swagger-ui-bundle.js': { door: 'root' },
  'GET /docs/assets/docs.js': { door: 'root' },
  'GET /openapi.json': { door: 'root' },
  'GET /healthz': { door: 'root' },
  'GET /readyz': { door: 'root' },
  'GET /metrics': { door: 'root' },
};

/**
 * A well-formed request per route, which the fuzz overrides field by field: hostile values then
 * reach the rules behind the schemas (and Antom's doors past their parsing), not only the schemas.
 */
const TEMPLATES: Record<string, (f: Fixture) => Record<string, unknown>> = {
  'POST /v1/payment_intents': () => ({ ...SEED_000_WEB }),
  'POST /v1/payment_intents/:id': () => ({ metadata: { order: '1' }, description: 'fuzz' }),
  'POST /v1/products': () => ({ name: 'fuzz' }),
  'POST /v1/prices': (f) => ({ product: f.product, currency: 'cny', unit_amount: 100 }),
  'POST /v1/checkout/sessions': () => ({ ...CHECKOUT }),
  'POST /v1/refunds': (f) => ({ payment_intent: f.paidPi, amount: 1 }),
  'POST /v1/webhook_endpoints': () => ({ url: 'http://localhost:9/hook', enabled_events: ['*'] }),
  'GET /v1/charges': (f) => ({ payment_intent: f.paidPi, limit: 3 }),
  'GET /v1/events': () => ({ type: 'payment_intent.created', limit: 3 }),
  'GET /v1/balance_transactions': (f) => ({ source: f.charge, type: 'charge', limit: 3 }),
  'GET /v1/reports/settlement': () => ({ from: '2026-01-01', to: '2027-01-01' }),
  'GET /v1/disputes': (f) => ({ charge: f.charge, payment_intent: f.paidPi, limit: 3 }),
  'POST /v1/disputes/:id': () => ({ evidence: { uncategorized_text: 'fuzz' }, metadata: { a: '1' }, submit: true }),
  'POST /v1/files': () => ({ purpose: 'dispute_evidence', file: new FilePart(UPLOADS[0]!) }),
  'GET /v1/files': () => ({ purpose: 'dispute_evidence', limit: 3 }),
  'POST /antom/notify': (f) => ({
    notifyType: 'PAYMENT_RESULT', result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    paymentRequestId: f.attempt, paymentId: f.simPayment, paymentAmount: { currency: 'CNY', value: '20' }, paymentTime: new Date().toISOString(),
  }),
  'POST /ams/api/v1/payments/:name': (f) => ({
    productCode: 'CASHIER_PAYMENT', paymentRequestId: `fz_${Math.random().toString(36).slice(2)}`,
    order: { referenceOrderId: 'o1', orderDescription: 'fuzz', orderAmount: { currency: 'CNY', value: '100' } },
    paymentAmount: { currency: 'CNY', value: '100' }, paymentMethod: { paymentMethodType: 'ALIPAY_CN' }, paymentRedirectUrl: 'https://shop.example/r',
    settlementStrategy: { settlementCurrency: 'USD' }, env: { terminalType: 'WEB' }, paymentId: f.simPayment,
  }),
  'POST /pay/:id': () => ({ method: 'alipay' }),
  'GET /simulator/cashier': (f) => ({ codeValue: f.codeValue }),
  'GET /simulator/status': (f) => ({ codeValue: f.codeValue }),
  'POST /simulator/pay': (f) => ({ codeValue: f.codeValue, action: 'fail', view: 'wallet' }),
  'POST /simulator/v1/complete': (f) => ({ url: f.cashierUrl, outcome: 'failed' }),
  'GET /simulator/v1/payments': (f) => ({ url: f.cashierUrl }),
  'POST /simulator/v1/faults': () => ({ api: 'inquiryRefund', kind: 'fail', times: 1 }),
  'POST /simulator/v1/disputes': (f) => ({ payment_intent: f.paidPi, amount: 1, reason: 'fuzz' }),
  'POST /simulator/v1/disputes/:disputeId/judge': () => ({ result: 'ACCEPT_BY_CUSTOMER' }),
  'POST /simulator/v1/disputes/:disputeId/escalate': () => ({ defense_window_seconds: 60 }),
  'POST /simulator/v1/disputes/:disputeId/cancel': () => ({}),
  // The dashboard: forms as its pages post them (the CSRF token is added per request).
  'GET /dashboard/payments': () => ({ q: 'ORD-1', status: 'succeeded', currency: 'CNY', from: '2026-01-01', to: '2026-12-31' }),
  'POST /dashboard/payments/:id/refund': () => ({ amount: '0.01', reason: 'duplicate', form_token: 'fuzz-form-token-0001' }),
  'POST /dashboard/webhooks': () => ({ url: 'http://localhost:9/hook', description: 'fuzz', enabled_events: ['*'] }),
  'POST /dashboard/webhooks/:id': () => ({ url: 'http://localhost:9/hook2', enabled_events: ['*'] }),
  'POST /dashboard/events/:id/resend': (f) => ({ endpoint: f.endpoint }),
  'GET /dashboard/events': () => ({ type: 'payment_intent.created', from: '2026-01-01' }),
  'POST /dashboard/trust-payments/rules': () => ({ site: 'test_site12345', trigger: 'authorisation', url: 'https://shop.example/tp', fields: 'orderreference' }),
  // Trust Payments: the fuzz's parameters land in the request item, where the field rules are.
  'POST /json/': () => ({ ...SEED_004_AUTH }),
};
TEMPLATES['POST /ams/sandbox/api/v1/payments/:name'] = TEMPLATES['POST /ams/api/v1/payments/:name']!;
TEMPLATES['GET /simulator/wallet'] = TEMPLATES['GET /simulator/cashier']!;
TEMPLATES['GET /simulator/result'] = TEMPLATES['GET /simulator/cashier']!;

// ---------------------------------------------------------------------------------------------
// What the store holds: every table, as a count and a hash of its rows, so an update shows too.

const TABLES = [
  'settings', 'accounts', 'api_keys', 'payment_methods', 'payment_intents', 'payment_attempts', 'charges', 'events',
  'idempotency_keys', 'refunds', 'disputes', 'files', 'balance_transactions', 'webhook_endpoints', 'webhook_deliveries', 'webhook_attempts', 'products', 'prices',
  'checkout_sessions', 'checkout_line_items', 'sim_payments', 'sim_refunds', 'sim_disputes', 'sim_notifications', 'sim_notification_attempts', 'sim_faults',
  'tp_sites', 'tp_users', 'tp_user_sites', 'tp_notification_rules', 'tp_transactions', 'tp_notifications', 'tp_notification_attempts',
  'dashboard_sessions',
  'upstream_calls',
] as const;
// upstream_notifications is the audit trail of everything sent to /antom/notify: a refused
// notification is recorded by design. rate_limits only counts requests (and is off in tests).
const NOT_COMPARED = ['upstream_notifications', 'rate_limits'];

type Snapshot = Record<string, string>;
async function snapshot(g: TestGateway): Promise<Snapshot> {
  // Calls to Antom are written a moment after they return: the store is compared with all of them in.
  await g.gateway.upstreamCalls.flush();
  const rows = await g.gateway.db.query<{ t: string; h: string }>(TABLES.map((t) =>
    `SELECT '${t}' AS t, count(*)::text || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}

function changedTables(before: Snapshot, after: Snapshot): string[] {
  return TABLES.filter((t) => before[t] !== after[t]);
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Text the store cannot hold. */
const HOSTILE = ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udbff\udbff', '\ud800\u0000'];
const isHostile = (s: string) => s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** Parameter names the doors know, so inputs often land on real parameters rather than unknown ones. */
const KNOWN_KEYS = [...new Set([
  ...Object.values(P).flatMap((v) => (v instanceof z.ZodObject ? Object.keys(v.shape) : [])),
  // nested v1 names
  'billing_details', 'address', 'line1', 'alipay', 'alipayplus', 'terminal_type', 'os_type', 'client_ip', 'type', 'gt', 'gte', 'lt', 'lte',
  'price', 'price_data', 'product_data', 'quantity', 'unit_amount', 'interval', '0', '1', '',
  // checkout page, simulator, Antom
  'method', 'wallet', 'codeValue', 'view', 'action', 'outcome', 'failure_code', 'notify', 'api', 'kind', 'code', 'times', 'delay_ms',
  'url', 'reason', 'defense_window_seconds', 'disputeId', 'disputeNotificationType', 'disputeAmount', 'defenseDueTime',
  'paymentRequestId', 'paymentId', 'notifyType', 'result', 'resultStatus', 'resultCode', 'paymentAmount', 'value', 'refundRequestId',
  'refundId', 'refundAmount', 'refundStatus', 'productCode', 'order', 'env', 'paymentMethod', 'paymentMethodType', 'settlementStrategy',
])];

const PLAUSIBLE: unknown[] = [
  '100', 100, 1, 0, -1, 'cny', 'CNY', 'PHP', 'alipay', 'alipayplus', 'WEB', 'true', 'false', true, false, null, '', 'https://shop.example/return',
  'www.shop.example', 'succeeded', 'failed', 'authorize', 'pay', 'http_500', 'PAYMENT_RESULT', 'S', 'F', 'GCASH', 'ALIPAY_CN', '*', 'latest_charge',
  'x'.repeat(2100), '日本語', '😀', '\u202e', '<script>x</script>', "'; DROP TABLE payment_intents; --", '%00', '\\u0000', '1e400', 9007199254740993, 1e308,
  -0, '0x10', ' 1 ', '[]', '{}', 'null',
];

/** One character, sometimes one the store cannot hold. */
const char = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('[', ']', '=', '&', '%', '+', '\\', '"', '/', '?', '#', ' ') },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udc00', '\udbff') },
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: char, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.constantFrom(...PLAUSIBLE.filter((v): v is string => typeof v === 'string')) },
);
const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KNOWN_KEYS) }, { weight: 2, arbitrary: text });

/** A value `n` levels deep, spliced into the JSON text (JSON.stringify itself cannot nest that far). */
class Deep {
  constructor(readonly levels: number, readonly array: boolean) {}
}
const scalar = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 3, arbitrary: fc.constantFrom(...PLAUSIBLE) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 9, max: 6000 }), fc.boolean()).map(([n, a]) => new Deep(n, a)) },
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalar },
    { weight: 2, arbitrary: fc.dictionary(key, tie('value'), { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
  ),
}));
const params = fc.dictionary(key, value, { maxKeys: 5 });

/** JSON text, with Deep markers spliced in. */
function toJson(v: unknown): string {
  const deep: Deep[] = [];
  const s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Deep ? `\u0001DEEP${deep.push(x) - 1}\u0001` : x)) ?? 'null';
  return s.replace(/"\\u0001DEEP(\d+)\\u0001"/g, (_m, i: string) => {
    const d = deep[Number(i)]!;
    return d.array ? `${'['.repeat(d.levels)}1${']'.repeat(d.levels)}` : `${'{"a":'.repeat(d.levels)}1${'}'.repeat(d.levels)}`;
  });
}

/** Percent-encoding that keeps what the client meant: a lone surrogate goes out as its (invalid) UTF-8-style bytes. */
function pct(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    out += cp >= 0xd800 && cp <= 0xdfff ? `%${(0xe0 | (cp >> 12)).toString(16)}%${(0x80 | ((cp >> 6) & 0x3f)).toString(16)}%${(0x80 | (cp & 0x3f)).toString(16)}` : encodeURIComponent(c);
  }
  return out;
}

/** Stripe's bracket encoding of a value. */
function toForm(v: unknown, prefix = ''): string[] {
  if (v instanceof Deep) return [`${pct(prefix || 'a')}${'[a]'.repeat(Math.min(v.levels, 200))}=1`];
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.entries(v as Record<string, unknown>);
    if (entries.length === 0 && prefix) return [`${pct(prefix)}=`];
    return entries.flatMap(([k, x]) => toForm(x, prefix ? `${prefix}[${k}]` : k));
  }
  return [`${pct(prefix)}=${pct(v === null || v === undefined ? '' : String(v))}`];
}

/** A file part of a multipart body. */
class FilePart {
  constructor(readonly bytes: Buffer, readonly name = 'fuzz.pdf') {}
}
/** Files the fuzz uploads: taken (a PDF's, a PNG's, a JPEG's first bytes) and not (text, nothing). */
const UPLOADS = [
  Buffer.from('%PDF-1.4\n% fuzz\n'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0]),
  Buffer.from('<html>not a pdf</html>'), Buffer.alloc(0),
];

/**
 * A multipart/form-data body: each top-level parameter a part (a file part for a {@link FilePart},
 * else its text, objects as JSON), as a browser sends a form with a file.
 */
function toMultipart(v: Record<string, unknown>, boundary: string): string {
  const parts = Object.entries(v).map(([k, x]) => {
    const name = k.replace(/["\r\n]/g, '_');
    if (x instanceof FilePart) {
      return `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${x.name}"\r\nContent-Type: application/pdf\r\n\r\n${x.bytes.toString('latin1')}\r\n`;
    }
    const text = x !== null && typeof x === 'object' ? toJson(x) : String(x ?? '');
    return `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${text}\r\n`;
  });
  return `${parts.join('')}--${boundary}--\r\n`;
}

/** Does the value, as the server will decode it, hold text the store cannot hold? */
function holdsHostile(v: unknown): boolean {
  if (typeof v === 'string') return isHostile(v);
  if (v instanceof Deep) return false;
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => isHostile(k) || holdsHostile(x));
  return false;
}

const RAW_JUNK = ['', '{', '[', 'null', '"x"', '1', '{"a":1,}', '\u0000', 'a[=1', 'a]=1', '%', '%zz', '&&&', '=', 'a[b]c=1', '[]=1', '__proto__[x]=1',
  'a[][b]=1&a[c]=2', `${'a['.repeat(50)}`, '{"__proto__":{"x":1}}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"\\u0000":1}',
  // multipart bodies of the boundary CONTENT_TYPES names, cut short or malformed
  '--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4', '--x\r\n', '--x--\r\n',
  '--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\ndispute_evidence\r\n--x\r\nContent-Disposition: form-data\r\n\r\n\r\n--x--\r\n'];

const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8', 'APPLICATION/JSON',
  'text/plain', 'multipart/form-data; boundary=x', 'application/xml', ';;;', 'application/json, text/plain', 'application/x-www-form-urlencoded; charset=utf-16'];

const ODD_IDS = ['%00', 'x%00y', '%ED%A0%80', '%C0%80', '%FF', '%', '%2', 'x'.repeat(101), 'x'.repeat(1000), '%2F', '..', '%2E%2E', '.%2e', '%F0%9F%98%80',
  pct('日本'), '%20', '%0A', '%3Cscript%3E', "'", 'null', '0', '-1', '%EF%BF%BF', '%E2%80%AE', '%5B%5D', 'a%5Bb%5D', 'pi_1', 'cs_test_x'];

const RAW_QUERIES = ['?', '??', '?&&', '?a[=1', '?a]=1', '?%', '?%zz', `?${'a[b]'.repeat(20)}=1`, '?limit=1&limit=2', '?expand[]=%00', '?limit=%00',
  '?created[gt][x]=1', '?limit[a]=1', '?codeValue=%ED%A0%80', '?url=%00', `?${'x=1&'.repeat(1200)}`];

interface FuzzRequest {
  route: string;
  id: { real: boolean; index: number; odd: string; suffix: string };
  /** Over the route's template, when it has one. */
  templated: boolean;
  query: { kind: 'none' } | { kind: 'params'; value: Record<string, unknown> } | { kind: 'raw'; raw: string };
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'form'; value: Record<string, unknown> } | { kind: 'raw'; raw: string };
  contentType: string | undefined;
  auth: 'secret' | 'publishable' | 'none' | 'garbage' | 'basic-nul';
  idempotencyKey: string | undefined;
  accept: string | undefined;
  signed: boolean;
}

function requests(routes: string[]): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    route: fc.constantFrom(...routes),
    templated: fc.boolean(),
    id: fc.record({ real: fc.boolean(), index: fc.nat(), odd: fc.oneof(fc.constantFrom(...ODD_IDS), text.map(pct)), suffix: fc.constantFrom('', '', '%00', 'x') }),
    query: fc.oneof(
      { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 3, arbitrary: params.map((value) => ({ kind: 'params' as const, value })) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_QUERIES).map((raw) => ({ kind: 'raw' as const, raw })) },
    ),
    body: fc.oneof(
      { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 4, arbitrary: fc.oneof({ weight: 4, arbitrary: params }, { weight: 1, arbitrary: value }).map((value) => ({ kind: 'json' as const, value })) },
      { weight: 3, arbitrary: params.map((value) => ({ kind: 'form' as const, value })) },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...RAW_JUNK), fc.string({ unit: char, maxLength: 40 })).map((raw) => ({ kind: 'raw' as const, raw })) },
    ),
    contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 3 }).map((c) => c ?? undefined),
    auth: fc.constantFrom('secret', 'secret', 'secret', 'secret', 'secret', 'secret', 'publishable', 'none', 'garbage', 'basic-nul'),
    idempotencyKey: fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant('k'.repeat(300))), { freq: 3 }).map((k) => k ?? undefined),
    accept: fc.option(fc.constantFrom('application/json', 'text/html', '*/*'), { freq: 2 }).map((a) => a ?? undefined),
    signed: fc.boolean(),
  });
}

/**
 * The door that answers a request: the client folds `.` and `..` segments (also as `%2e`) away
 * before sending, so the path may lead elsewhere than the route it was made for. A path that
 * names no route is the root's (its 404), except under /v1, which has a 404 of its own.
 */
function doorOf(method: string, path: string): Door {
  const p = new URL(path, 'http://h').pathname;
  for (const [route, spec] of Object.entries(ROUTES)) {
    const [m, pattern] = route.split(' ') as [string, string];
    if (m === method && new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, '[^/]*')}$`).test(p)) return spec.door;
  }
  return p.startsWith('/v1/') ? 'v1' : 'root';
}

interface Sent {
  method: string;
  path: string;
  door: Door;
  headers: Record<string, string>;
  body: string | undefined;
  /** The request carries text the store cannot hold, where the door decodes it. */
  hostile: boolean;
}

function materialize(r: FuzzRequest, f: Fixture, g: TestGateway): Sent {
  const [method, pattern] = r.route.split(' ') as [string, string];
  const spec = ROUTES[r.route]!;
  const reals = spec.ids?.(f) ?? [];
  const id = r.id.real && reals.length > 0 ? `${reals[r.id.index % reals.length]}${r.id.suffix}` : r.id.odd;
  let hostile = /%00/i.test(pattern.includes(':') ? id : '');
  let path = pattern.replace(/:[A-Za-z]+/, id);
  const template = r.templated ? TEMPLATES[r.route]?.(f) : undefined;
  const over = (v: unknown) => (template && v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Deep) ? { ...template, ...v } : v);
  if (method === 'GET' && template && r.query.kind === 'none') path += `?${toForm(template).join('&')}`;
  if (r.query.kind === 'params') {
    const pairs = toForm(method === 'GET' ? over(r.query.value) : r.query.value);
    if (pairs.length) path += `?${pairs.join('&')}`;
  } else if (r.query.kind === 'raw') {
    path += r.query.raw;
  }
  // A query string the bracket parser cannot read is set aside whole (routes without query
  // parameters ignore it), so only what it decodes counts.
  const qs = path.includes('?') ? path.slice(path.indexOf('?') + 1) : '';
  try {
    hostile ||= holdsHostile(parseForm(qs));
  } catch {
    /* unreadable: refused as an unknown parameter, or ignored */
  }
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (spec.door === 'webservices') return webservicesRequest(r, method, path, template);
  if (method !== 'GET' && method !== 'DELETE' && r.body.kind === 'none' && template && spec.multipart) {
    body = toMultipart(template, 'fuzz');
    headers['content-type'] = 'multipart/form-data; boundary=fuzz';
  } else if (method !== 'GET' && method !== 'DELETE' && r.body.kind === 'none' && template) {
    body = toJson(template);
    headers['content-type'] = 'application/json';
  } else if (method !== 'GET' && method !== 'DELETE' && r.body.kind !== 'none') {
    if (r.body.kind === 'json') {
      body = toJson(over(r.body.value));
      headers['content-type'] = r.contentType ?? 'application/json';
      hostile ||= holdsHostile(r.body.value) && /json/i.test(headers['content-type']);
    } else if (r.body.kind === 'form' && spec.multipart) {
      const value = over(r.body.value) as Record<string, unknown>;
      if (!(value.file instanceof FilePart) && r.id.index % 2 === 0) value.file = new FilePart(UPLOADS[r.id.index % UPLOADS.length]!);
      const boundary = `fuzz${r.id.index}`;
      // Sent as UTF-8 text: a file's bytes past ASCII change (it is then refused as no PDF, PNG or JPEG), lone surrogates become U+FFFD.
      body = toMultipart(value, boundary);
      headers['content-type'] = r.contentType ?? `multipart/form-data; boundary=${boundary}`;
      hostile ||= Object.entries(value).some(([k, x]) => !(x instanceof FilePart) && (k.includes('\u0000') || (typeof x === 'string' && x.includes('\u0000'))))
        && /multipart/i.test(headers['content-type']);
    } else if (r.body.kind === 'form') {
      body = toForm(over(r.body.value)).join('&');
      headers['content-type'] = r.contentType ?? 'application/x-www-form-urlencoded';
      hostile ||= holdsHostile(r.body.value) && /x-www-form-urlencoded/i.test(headers['content-type']);
    } else if (spec.multipart) {
      // A good upload cut short anywhere, then the junk: parts that end early, boundaries half sent.
      const whole = toMultipart(TEMPLATES[r.route]!(f), 'x');
      body = whole.slice(0, r.id.index % (whole.length + 1)) + r.body.raw;
      headers['content-type'] = r.contentType ?? 'multipart/form-data; boundary=x';
    } else {
      body = r.body.raw;
      if (r.contentType) headers['content-type'] = r.contentType;
    }
  }
  if (spec.door === 'dashboard') return dashboardRequest(r, method, path, headers, body, hostile, f);
  const keys = { secret: `Bearer ${g.secretKey}`, publishable: `Bearer ${g.publishableKey}`, none: undefined, garbage: 'Bearer sk_test_nope', 'basic-nul': `Basic ${Buffer.from('sk_test_\u0000:').toString('base64')}` };
  const auth = keys[r.auth];
  if (auth) headers.authorization = auth;
  if (r.idempotencyKey) headers['idempotency-key'] = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '_');
  if (r.accept) headers.accept = r.accept;
  // Antom's doors check signatures first: sign half the requests, so bodies get past that check.
  if (r.signed && (spec.door === 'antom' || spec.door === 'notify')) {
    const time = String(Date.now());
    const clientId = g.gateway.simulatorKeys!.clientId;
    const key = privateKeyFromBase64(spec.door === 'antom' ? g.gateway.simulatorKeys!.merchantPrivateKey : g.gateway.simulatorKeys!.antomPrivateKey);
    headers['client-id'] = clientId;
    headers['request-time'] = time;
    const sent = new URL(g.url + path);
    headers.signature = signatureHeader(signMessage({ method, path: sent.pathname + sent.search, clientId, time, body: body ?? '' }, key));
  }
  return { method, path, door: doorOf(method, path), headers, body, hostile };
}

/** Forms whose valid submission would end the fuzz's own session or its API key: always forged. */
const NEVER_SIGNED = ['POST /dashboard/logout', 'POST /dashboard/developers/keys/roll'];

/**
 * The dashboard: "secret" is the fixture's signed-in browser (its session cookie), the rest a
 * stranger or a forged cookie; a signed request's form carries the session's CSRF token.
 */
function dashboardRequest(r: FuzzRequest, method: string, path: string, headers: Record<string, string>, body: string | undefined, hostile: boolean, f: Fixture): Sent {
  const cookies = { secret: f.dashboard.cookie, publishable: f.dashboard.cookie, none: undefined, garbage: 'oc_dashboard=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'basic-nul': 'oc_dashboard=%00' };
  const cookie = cookies[r.auth];
  if (cookie) headers.cookie = cookie;
  if (r.accept) headers.accept = r.accept;
  if (method === 'POST' && r.signed && !NEVER_SIGNED.includes(r.route) && /x-www-form-urlencoded/i.test(headers['content-type'] ?? '')) {
    body = `${body ? `${body}&` : ''}_csrf=${encodeURIComponent(f.dashboard.csrf)}`;
  }
  return { method, path, door: doorOf(method, path), headers, body, hostile };
}

/** Text as XML character data (what the fuzz means, even if XML cannot carry it). */
const xmlText = (v: unknown) => (typeof v === 'object' && v !== null ? toJson(v) : String(v ?? '')).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * The Trust Payments door: the envelope, its request item or the seed's XML carry the fuzz;
 * "secret" sends the site's webservices user, the rest get a 401.
 */
function webservicesRequest(r: FuzzRequest, method: string, path: string, template: Record<string, unknown> | undefined): Sent {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let hostile = false;
  const xml = path.startsWith('/xml/');
  const item = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Deep) ? { ...(template ?? SEED_004_AUTH), ...v } : v);
  if (r.body.kind === 'raw') body = r.body.raw;
  else if (xml) {
    const fields = r.body.kind === 'none' ? {} : (r.body.value ?? {}) as Record<string, unknown>;
    const entries = typeof fields === 'object' && !(fields instanceof Deep) ? Object.entries(fields) : [];
    const extra = entries.map(([k, v]) => (/^[A-Za-z_][\w.-]*$/.test(k) ? `<${k}>${xmlText(v)}</${k}>` : '')).join('');
    body = SEED_004_XML.replace('</merchant>', `${extra}</merchant>`);
    hostile = entries.some(([, v]) => holdsHostile(v));
  } else if (r.body.kind === 'none') body = toJson({ alias: 'webservices@example.com', version: '1.00', request: [template ?? SEED_004_AUTH] });
  else {
    const v = r.body.kind === 'json' || r.body.kind === 'form' ? r.body.value : undefined;
    body = r.templated ? toJson({ alias: 'webservices@example.com', version: '1.00', request: [item(v)] }) : toJson(v);
    hostile = holdsHostile(v);
  }
  headers['content-type'] = r.contentType ?? (xml ? 'text/xml;charset=utf-8' : 'application/json;charset=utf-8');
  if (r.auth === 'secret' || r.auth === 'publishable') headers.authorization = basicAuth();
  else if (r.auth === 'garbage') headers.authorization = basicAuth('webservices@example.com', 'not-the-password');
  else if (r.auth === 'basic-nul') headers.authorization = `Basic ${Buffer.from('webservices@example.com\u0000:x').toString('base64')}`;
  if (r.idempotencyKey) headers.requestreference = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '_');
  return { method, path, door: 'webservices', headers, body, hostile };
}

/** Codes the door answers when it refused the input itself: nothing ran, so nothing may be written. */
const TP_REFUSALS = ['10205', '20004', '20005', '20006', '20007', '20011', '20012', '30000', '30006', '30007', '30010', '60013', '60014', '60017', '60018', '60019', '60033', '60037', '60040'];

/** The errorcodes of a Trust Payments reply (JSON or XML). */
function tpCodes(a: Answer): string[] {
  if (a.json?.response) return (a.json.response as { errorcode: unknown }[]).map((i) => String(i.errorcode));
  return [...a.text.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------------------------
// Each door's error shape

const LEAK = /invalid byte sequence|Unicode escape|invalid input syntax|call stack|convert object to primitive|"code":"[0-9A-Z]{5}"|ERR_INVALID_CHAR|at .+\.js:\d+/;

/** Files sent as shipped (the API reference's renderer): nothing in them comes from the request, and a script bundle is full of what LEAK looks for. */
const VERBATIM = new Set(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']);

interface Answer {
  status: number;
  headers?: Record<string, string>;
  contentType: string;
  text: string;
  json: any;
}

function isHtml(a: Answer): boolean {
  return a.contentType.startsWith('text/html') && /^<!doctype html>/i.test(a.text);
}

function assertShape(door: Door, s: Sent, a: Answer): void {
  const where = `${s.method} ${s.path.slice(0, 120)} → ${a.status} ${a.text.slice(0, 300)}`;
  assert.ok(a.status < 500, `5xx: ${where}`);
  const verbatim = a.status === 200 && VERBATIM.has(new URL(s.path, 'http://h').pathname);
  if (!verbatim) assert.doesNotMatch(a.text, LEAK, `internal text in the answer: ${where}`);
  if (door === 'webservices' && a.status === 200) {
    // Trust Payments answers 200 with an envelope whose every item carries errorcode as a string.
    const codes = tpCodes(a);
    assert.ok(codes.length > 0 && codes.every((c) => /^\d+$/.test(c)), `not a Trust Payments envelope: ${where}`);
    assert.ok(!codes.includes('99999'), `an internal error: ${where}`);
    if (a.json) assert.ok(typeof a.json.requestreference === 'string' && a.json.version === '1.00' && Array.isArray(a.json.response), `envelope: ${where}`);
    else assert.match(a.text, /^<responseblock version="3\.67">[\s\S]*<\/responseblock>$/, `XML envelope: ${where}`);
    return;
  }
  if (door === 'webservices') {
    assert.ok([401, 413, 431].includes(a.status), `the Trust Payments door answers 200, or 401 for bad credentials: ${where}`);
    return;
  }
  if (a.status < 400) return;
  // Node's HTTP parser refuses a request line over 16 KiB before any door sees it.
  if (a.status === 431) return;
  switch (door) {
    case 'v1': {
      const e = a.json?.error;
      assert.ok(e && typeof e.message === 'string', `not Stripe's error shape: ${where}`);
      assert.ok(['invalid_request_error', 'idempotency_error', 'card_error', 'api_error'].includes(e.type), `error type: ${where}`);
      assert.ok(e.code === undefined || typeof e.code === 'string', `error code: ${where}`);
      assert.ok(e.param === undefined || typeof e.param === 'string', `error param: ${where}`);
      return;
    }
    case 'checkout':
      assert.ok(isHtml(a) || (a.contentType.startsWith('application/json') && typeof a.json?.error === 'string'), `not the checkout's page or {error}: ${where}`);
      return;
    case 'notify': {
      // A refusal is final (F); a sender over its budget of refusals is told to slow down (429, U).
      const r = a.json?.result;
      const throttled = a.status === 429 && r?.resultCode === 'REQUEST_TRAFFIC_EXCEED_LIMIT' && r?.resultStatus === 'U';
      assert.ok(r && typeof r.resultCode === 'string' && (r.resultStatus === 'F' || throttled), `not Antom's result shape: ${where}`);
      return;
    }
    case 'return':
      assert.ok(a.contentType.startsWith('text/html'), `not a page: ${where}`);
      return;
    case 'dashboard':
      assert.ok(isHtml(a), `not a dashboard page: ${where}`);
      return;
    case 'antom':
      assert.ok(a.contentType.startsWith('text/plain') && a.text.length > 0, `not the simulator's Antom refusal: ${where}`);
      return;
    case 'simulator': {
      const e = a.json?.error;
      const apiShape = e && typeof e.code === 'string' && typeof e.message === 'string';
      assert.ok(apiShape || (!s.path.startsWith('/simulator/v1/') && isHtml(a)), `not the simulator's error shape: ${where}`);
      return;
    }
    case 'root': {
      // A path that names no route is answered like /v1 (an API client that forgot /v1) or, for a
      // browser, with a page; errors of the root's own routes keep Fastify's shape.
      const v1Shape = a.status === 404 && typeof a.json?.error?.message === 'string' && a.json.error.type === 'invalid_request_error';
      const page = a.status === 404 && isHtml(a);
      assert.ok(v1Shape || page || (typeof a.json?.message === 'string' && a.json?.statusCode === a.status), `not the root's error shape: ${where}`);
    }
  }
}

/** A refusal of the input itself: nothing ran, so nothing may be written, not even the idempotency key. */
function isInputRefusal(door: Door, a: Answer): boolean {
  if (door !== 'v1') return true;
  const code: unknown = a.json?.error?.code;
  return [401, 413, 414, 415, 431].includes(a.status) || (a.status === 400 && (code === undefined || (typeof code === 'string' && (code.startsWith('parameter_') || code === 'expand_invalid' || code === 'idempotency_key_in_use'))));
}

async function send(g: TestGateway, s: Sent): Promise<Answer> {
  const res = await fetch(g.url + s.path, { method: s.method, headers: s.headers, body: s.body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), contentType: res.headers.get('content-type') ?? '', text, json };
}

// ---------------------------------------------------------------------------------------------
// Fixture: one of each object, so routes with an id also get past their lookup.

async function buildFixture(g: TestGateway) {
  await seedTrustPayments(g);
  const ok = <T>(r: { status: number; body: T }, what: string): T => {
    assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const endpoint = ok(await g.api('POST', '/v1/webhook_endpoints', { url: 'http://localhost:9/hook', enabled_events: ['*'] }), 'endpoint') as any;
  const pi = ok(await g.api('POST', '/v1/payment_intents', SEED_000_WEB), 'pi') as any;
  const paid = ok(await g.api('POST', '/v1/payment_intents', SEED_000_WEB), 'paid pi') as any;
  assert.equal((await g.complete(paid.next_action.redirect_to_url.url, 'succeeded', { notify: false })).status, 200);
  // Workers are off (so nothing changes the store behind a request's back): the shopper's return syncs it.
  const [sim] = await g.gateway.db.query<{ redirect_url: string }>('SELECT redirect_url FROM sim_payments WHERE reference_order_id = $1', [paid.id]);
  await fetch(sim!.redirect_url, { redirect: 'manual' });
  const paidNow = ok(await g.api('GET', `/v1/payment_intents/${paid.id}`), 'paid') as any;
  const txn = (ok(await g.api('GET', `/v1/charges/${paidNow.latest_charge}`), 'charge') as any).balance_transaction as string;
  assert.equal(paidNow.status, 'succeeded');
  const refund = ok(await g.api('POST', '/v1/refunds', { payment_intent: paid.id, amount: 1 }), 'refund') as any;
  const product = ok(await g.api('POST', '/v1/products', { name: 'fuzz' }), 'product') as any;
  const price = ok(await g.api('POST', '/v1/prices', { product: product.id, currency: 'cny', unit_amount: 100 }), 'price') as any;
  const session = ok(await g.api('POST', '/v1/checkout/sessions', CHECKOUT), 'session') as any;
  const event = (ok(await g.api('GET', '/v1/events?limit=1'), 'events') as any).data[0].id as string;
  const delivery = (ok(await g.api('GET', '/v1/webhook_deliveries?limit=1'), 'deliveries') as any).data[0].id as string;
  const [simPay] = await g.gateway.db.query<{ payment_id: string; redirect_url: string }>('SELECT payment_id, redirect_url FROM sim_payments WHERE reference_order_id = $1', [pi.id]);
  const dashboard = await dashboardSession(g);
  // Workers are off: the dispute stays in the simulator (its notifyDispute queued, not sent).
  const simDispute = ok(await fetch(`${g.url}/simulator/v1/disputes`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: paid.id, amount: 1 }),
  }).then(async (r) => ({ status: r.status, body: await r.json() })), 'dispute') as any;
  const form = new FormData();
  form.append('purpose', 'dispute_evidence');
  form.append('file', new Blob([UPLOADS[0]!]), 'fixture.pdf');
  const file = ok(await fetch(`${g.url}/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}` }, body: form })
    .then(async (r) => ({ status: r.status, body: await r.json() })), 'file') as any;
  return {
    file: file.id as string,
    simDispute: simDispute.dispute_id as string,
    dashboard, txn,
    pi: pi.id as string, paidPi: paid.id as string, charge: paidNow.latest_charge as string, refund: refund.id as string,
    product: product.id as string, price: price.id as string, session: session.id as string, endpoint: endpoint.id as string,
    event, delivery, simPayment: simPay!.payment_id, attempt: new URL(simPay!.redirect_url).pathname.split('/').pop()!,
    cashierUrl: pi.next_action.redirect_to_url.url as string,
    codeValue: new URL(pi.next_action.redirect_to_url.url as string).searchParams.get('codeValue')!,
  };
}

/** A browser signed in to the dashboard with the secret key: its session cookie and CSRF token. */
async function dashboardSession(g: TestGateway): Promise<{ cookie: string; csrf: string }> {
  const form = await g.gateway.app.inject({ method: 'GET', url: '/dashboard/login' });
  const loginCookie = String(form.headers['set-cookie']).split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const signed = await g.gateway.app.inject({
    method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    payload: new URLSearchParams({ _csrf: token, secret: g.secretKey, next: '/dashboard' }).toString(),
  });
  assert.equal(signed.statusCode, 303, signed.body);
  const cookie = ([] as string[]).concat(signed.headers['set-cookie'] ?? []).find((c) => c.startsWith('oc_dashboard='))!.split(';')[0]!;
  const [session] = await g.gateway.db.query<{ csrf: string }>('SELECT csrf FROM dashboard_sessions ORDER BY created DESC LIMIT 1');
  return { cookie, csrf: session!.csrf };
}

// ---------------------------------------------------------------------------------------------
// The issue's reproductions, one by one

async function call(g: TestGateway, method: string, path: string, o: { body?: string; type?: string; key?: string | null; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.key !== null && path.startsWith('/v1/')) headers.authorization = `Bearer ${o.key ?? g.secretKey}`;
  if (o.type) headers['content-type'] = o.type;
  return send(g, { method, path, door: doorOf(method, path), headers, body: o.body, hostile: false });
}
const json = (v: unknown) => ({ body: JSON.stringify(v), type: 'application/json' });
const form = (s: string) => ({ body: s, type: 'application/x-www-form-urlencoded' });

function assertStripe400(a: Answer, param: string | RegExp, code = 'parameter_invalid'): void {
  assert.equal(a.status, 400, a.text);
  assert.equal(a.json.error.type, 'invalid_request_error', a.text);
  assert.equal(a.json.error.code, code, a.text);
  if (typeof param === 'string') assert.equal(a.json.error.param, param, a.text);
  else assert.match(a.json.error.param, param, a.text);
  assert.doesNotMatch(a.text, LEAK);
}

/** A signed Antom notification of exactly these bytes. */
function signedNotify(g: TestGateway, body: string): { body: string; type: string; headers: Record<string, string> } {
  const time = String(Date.now());
  const clientId = g.gateway.simulatorKeys!.clientId;
  const signature = signMessage({ method: 'POST', path: '/antom/notify', clientId, time, body }, privateKeyFromBase64(g.gateway.simulatorKeys!.antomPrivateKey));
  return { body, type: 'application/json', headers: { 'client-id': clientId, 'request-time': time, signature: signatureHeader(signature) } };
}

/** Runs `fn` and checks that the store is as it was. */
async function unchanged<T>(g: TestGateway, fn: () => Promise<T>): Promise<T> {
  const before = await snapshot(g);
  const out = await fn();
  assert.deepEqual(changedTables(before, await snapshot(g)), [], 'a refused request changed the store');
  return out;
}

// ---------------------------------------------------------------------------------------------

const RUNS: Record<Door, number> = { v1: 200, checkout: 100, notify: 100, return: 30, antom: 100, simulator: 150, webservices: 150, dashboard: 300, root: 30 };
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const replay = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {};


describe('last-resort error handlers', () => {
  test('every door answers an unexpected error with a 500 that names only the request id, and logs the error', async () => {
    const logged: string[] = [];
    const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => logged.push(line) } }, genReqId: () => 'req_unit0001' });
    type Handler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
    const doors: [string, Handler][] = [
      ['/v1/x', v1ErrorHandler], ['/pay/x', checkoutErrorHandler], ['/antom/notify', upstreamErrorHandler], ['/return/x', upstreamErrorHandler],
      ['/simulator/x', simulatorErrorHandler], ['/ams/x', simulatorErrorHandler], ['/x', lastResortErrorHandler],
    ];
    for (const [path, handler] of doors) {
      await app.register(async (door) => {
        door.setErrorHandler(handler);
        door.get(path, async () => {
          throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', severity: 'ERROR' });
        });
      });
    }
    for (const [path] of doors) {
      const res = await app.inject({ method: 'GET', url: path });
      assert.equal(res.statusCode, 500, path);
      assert.match(res.body, /req_unit0001/, `${path} names the request id`);
      assert.doesNotMatch(res.body, /invalid byte sequence|22021|UTF8/, `${path} keeps the error to itself`);
    }
    assert.equal(logged.filter((l) => l.includes('invalid byte sequence')).length, doors.length, 'each error is logged');
    await app.close();
  });
});

for (const { kind, skip } of await stores()) {
  describe(`hostile input: no 5xx on any route [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let f: Fixture;
    before(async () => {
      g = await startGateway({ store: kind, workers: false });
      f = await buildFixture(g);
    });
    after(async () => g?.stop());

    test('every route the app serves is in the fuzz table', () => {
      const served = servedRoutes(g.gateway.app.printRoutes({ commonPrefix: false }));
      assert.ok(served.length >= Object.keys(ROUTES).length, `route tree not understood:\n${served.join('\n')}`);
      assert.deepEqual(served.filter((r) => !(r in ROUTES)), [], 'routes missing from ROUTES: add them, with their door');
      assert.deepEqual(Object.keys(ROUTES).filter((r) => !served.includes(r)), [], 'ROUTES names routes the app no longer serves');
    });

    test('objects where integers are expected (amount[x], limit[a], unit_amount[a], line_items[0][quantity][a]) are 400s naming the parameter', async () => {
      await unchanged(g, async () => {
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', form('amount[x]=100&currency=cny')), 'amount', 'parameter_invalid_integer');
        assertStripe400(await call(g, 'GET', '/v1/payment_intents?limit[a]=1'), 'limit', 'parameter_invalid_integer');
        assertStripe400(await call(g, 'POST', '/v1/prices', form(`unit_amount[a]=1&currency=cny&product=${f.product}`)), 'unit_amount', 'parameter_invalid_integer');
        assertStripe400(await call(g, 'POST', '/v1/checkout/sessions', form('success_url=https://s.example&line_items[0][price_data][currency]=cny&line_items[0][price_data][unit_amount]=100&line_items[0][price_data][product_data][name]=x&line_items[0][quantity][a]=1')),
          'line_items[0][quantity]', 'parameter_invalid_integer');
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', json({ amount: [100], currency: 'cny' })), 'amount', 'parameter_invalid_integer');
      });
    });

    test('a NUL in a v1 body string, form value, path id or filter is a 400 naming it, with Idempotency-Key or not', async () => {
      await unchanged(g, async () => {
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', json({ amount: 100, currency: 'cny', description: 'a\u0000b' })), 'description');
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { ...form('amount=100&currency=cny&metadata[x]=a%00'), headers: { 'idempotency-key': 'nul-1' } }), 'metadata[x]');
        assertStripe400(await call(g, 'POST', '/v1/products', json({ name: 'x', metadata: { 'k\u0000': 'v' } })), 'metadata[k\\u0000]');
        assertStripe400(await call(g, 'GET', '/v1/payment_intents/pi_%00'), 'id');
        assertStripe400(await call(g, 'POST', `/v1/payment_intents/${f.pi}%00/cancel`), 'id');
        assertStripe400(await call(g, 'GET', '/v1/charges?payment_intent=%00'), 'payment_intent');
        assertStripe400(await call(g, 'GET', '/v1/events?types[]=a%00'), 'types[0]');
        assertStripe400(await call(g, 'GET', `/v1/checkout/sessions/${f.session}/line_items?starting_after=%00`), 'starting_after');
        assertStripe400(await call(g, 'POST', '/v1/webhook_endpoints', json({ url: 'http://localhost:9/\u0000', enabled_events: ['*'] })), 'url');
        assertStripe400(await call(g, 'POST', '/v1/refunds', json({ payment_intent: f.paidPi, reason: 'requested_by_customer', metadata: { a: '\u0000' } })), 'metadata[a]');
      });
    });

    test('a lone surrogate in JSON (value or key) is a 400 naming the parameter', async () => {
      await unchanged(g, async () => {
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { body: '{"amount":100,"currency":"cny","metadata":{"a":"\\ud800"}}', type: 'application/json' }), 'metadata[a]');
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { body: '{"amount":100,"currency":"cny","description":"x\\udfff"}', type: 'application/json' }), 'description');
        assertStripe400(await call(g, 'POST', `/v1/products/${f.product}`, { body: '{"metadata":{"\\ud800":"v"}}', type: 'application/json' }), 'metadata[\\ud800]');
      });
    });

    test('billing_details or metadata nested 5,000 deep is a 400 naming the parameter, and its Idempotency-Key is not kept', async () => {
      const deep = (n: number) => `${'{"a":'.repeat(n)}"x"${'}'.repeat(n)}`;
      await unchanged(g, async () => {
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { body: `{"amount":100,"currency":"cny","payment_method_data":{"type":"alipay","billing_details":${deep(5000)}}}`, type: 'application/json' }),
          /^payment_method_data\[billing_details\](\[a\])+$/);
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { body: `{"amount":100,"currency":"cny","metadata":${deep(5000)}}`, type: 'application/json', headers: { 'idempotency-key': 'deep-1' } }),
          /^metadata(\[a\])+$/);
        assertStripe400(await call(g, 'POST', '/v1/payment_intents', { body: `{"amount":100,"currency":"cny","metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`, type: 'application/json' }), /^metadata(\[0\])+$/);
      });
      // Nesting a merchant can mean still passes: billing_details.address.line1 is three levels.
      const ok = await call(g, 'POST', '/v1/payment_intents', json({ amount: 100, currency: 'cny', payment_method_data: { type: 'alipay', billing_details: { address: { line1: 'x' } } } }));
      assert.equal(ok.status, 200, ok.text);
    });

    test('a URL that is not percent-encoded UTF-8, or an id too long to route, is refused in each door\'s shape', async () => {
      await unchanged(g, async () => {
        const v1 = await call(g, 'GET', '/v1/payment_intents/%ED%A0%80');
        assert.equal(v1.status, 400);
        assert.equal(v1.json.error.type, 'invalid_request_error');
        assert.match(v1.text, /percent-encoded UTF-8/);
        const long = await call(g, 'GET', `/v1/payment_intents/${'x'.repeat(200)}`);
        assert.equal(long.status, 414);
        assert.equal(long.json.error.type, 'invalid_request_error');
        const page = await call(g, 'GET', '/pay/%ED%A0%80');
        assert.equal(page.status, 400);
        assert.ok(isHtml(page), page.text);
        const sim = await call(g, 'GET', '/simulator/v1/payments/%ED%A0%80');
        assert.equal(sim.status, 400);
        assert.equal(typeof sim.json.error.code, 'string');
        assert.match(v1.headers!['request-id']!, /^req_/, 'refused before any route, still with a Request-Id');
      });
    });

    test('a NUL in a checkout page id or body, or bad JSON posted to the page, is a 400 page (or {error} for the page\'s script)', async () => {
      await unchanged(g, async () => {
        for (const path of ['/pay/cs_%00', `/pay/${f.session}%00/return`]) {
          const a = await call(g, 'GET', path);
          assert.equal(a.status, 400, path);
          assert.ok(isHtml(a), a.text);
        }
        const status = await call(g, 'GET', '/pay/cs_%00/status');
        assert.equal(status.status, 400);
        assert.equal(typeof status.json.error, 'string');
        const badJson = await call(g, 'POST', `/pay/${f.session}`, { body: '{"method":', type: 'application/json' });
        assert.equal(badJson.status, 400);
        assert.ok(isHtml(badJson), badJson.text);
        const badJsonScript = await call(g, 'POST', `/pay/${f.session}`, { body: '{"method":', type: 'application/json', headers: { accept: 'application/json' } });
        assert.equal(badJsonScript.status, 400);
        assert.equal(typeof badJsonScript.json.error, 'string');
        assert.equal((await call(g, 'POST', `/pay/${f.session}`, form('method=alipay&wallet=%00'))).status, 400);
        assert.equal((await call(g, 'POST', `/pay/${f.session}`, form('method[=alipay'))).status, 400);
      });
    });

    test('a NUL on the return link or the simulator\'s pages and script API is a 400 in that door\'s shape', async () => {
      await unchanged(g, async () => {
        const ret = await call(g, 'GET', '/return/%00');
        assert.equal(ret.status, 400);
        assert.match(ret.contentType, /^text\/html/);
        for (const [method, path, o] of [
          ['GET', '/simulator/cashier?codeValue=%00', {}],
          ['GET', '/simulator/status?codeValue=a%00', {}],
          ['GET', '/simulator/v1/payments/%00', {}],
          ['GET', '/simulator/v1/payments?url=%00', {}],
          ['POST', '/simulator/pay', form('codeValue=%00&action=authorize')],
          ['POST', '/simulator/v1/complete', json({ url: `${f.cashierUrl}%00`, outcome: 'succeeded' })],
          ['POST', '/simulator/v1/complete', json({ url: 'http://x/simulator/cashier?codeValue=%00', outcome: 'succeeded' })],
          ['POST', '/simulator/v1/complete', json({ url: f.cashierUrl, outcome: 'succeeded', wallet: 'A\u0000' })],
          ['POST', '/simulator/v1/faults', json({ api: 'pay', kind: 'fail', code: '\ud800' })],
        ] as const) {
          const a = await call(g, method, path, o);
          assert.equal(a.status, 400, `${method} ${path}: ${a.text}`);
          assert.equal(typeof a.json?.error?.code, 'string', `${method} ${path}: ${a.text}`);
          assert.doesNotMatch(a.text, LEAK);
        }
      });
    });

    test('the simulator\'s Antom API answers a signed body with a NUL as PARAM_ILLEGAL, creating nothing', async () => {
      await unchanged(g, async () => {
        const body = JSON.stringify({ ...TEMPLATES['POST /ams/api/v1/payments/:name']!(f), paymentRequestId: 'fz_\u0000' });
        const time = String(Date.now());
        const clientId = g.gateway.simulatorKeys!.clientId;
        const signature = signMessage({ method: 'POST', path: '/ams/api/v1/payments/pay', clientId, time, body }, privateKeyFromBase64(g.gateway.simulatorKeys!.merchantPrivateKey));
        const a = await call(g, 'POST', '/ams/api/v1/payments/pay', { body, type: 'application/json; charset=UTF-8', headers: { 'client-id': clientId, 'request-time': time, signature: signatureHeader(signature) } });
        assert.equal(a.status, 200);
        assert.equal(a.json.result.resultCode, 'PARAM_ILLEGAL');
        assert.match(a.json.result.resultMessage, /paymentRequestId/);
      });
    });

    test('/antom/notify: a raw NUL is refused in Antom\'s shape; an escaped one, signed, is refused and kept on record; neither changes a payment', async () => {
      const notices = async () => (await g.gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM upstream_notifications'))[0]!.n;
      const before = await notices();
      await unchanged(g, async () => {
        const raw = await call(g, 'POST', '/antom/notify', { body: '{"notifyType":"PAYMENT_RESULT","paymentRequestId":"\u0000"}', type: 'application/json' });
        assert.equal(raw.status, 400);
        assert.deepEqual(Object.keys(raw.json.result).sort(), ['resultCode', 'resultMessage', 'resultStatus']);
        assert.equal(raw.json.result.resultStatus, 'F');
        assert.equal(await notices(), before, 'a body the store cannot hold is not recorded');
        const escaped = JSON.stringify({ ...TEMPLATES['POST /antom/notify']!(f), paymentRequestId: `${f.attempt}\u0000` });
        const signed = await call(g, 'POST', '/antom/notify', signedNotify(g, escaped));
        assert.equal(signed.status, 400);
        assert.equal(signed.json.result.resultStatus, 'F');
        assert.match(signed.json.result.resultMessage, /paymentRequestId/);
        const notObject = await call(g, 'POST', '/antom/notify', signedNotify(g, 'null'));
        assert.equal(notObject.status, 400);
        assert.equal(notObject.json.result.resultStatus, 'F');
      });
      const kept = await g.gateway.db.query<{ verdict: string; reason: string }>('SELECT verdict, reason FROM upstream_notifications ORDER BY id DESC LIMIT 2');
      assert.deepEqual(kept.map((k) => k.verdict), ['refused', 'refused']);
      assert.match(kept[1]!.reason, /paymentRequestId/);
    });

    test('a success_url with text beyond Latin-1 still redirects the shopper once paid (percent-encoded)', async () => {
      // A line break or space is refused when the session is created (redirect URLs are checked there) …
      const refused = await g.api('POST', '/v1/checkout/sessions', { ...CHECKOUT, success_url: 'https://shop.example/merci?note=日本 été\n' });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.param, 'success_url');
      // … and text beyond Latin-1, which is allowed, is percent-encoded on the way out.
      const cs = (await g.api('POST', '/v1/checkout/sessions', { ...CHECKOUT, success_url: 'https://shop.example/merci?note=日本été' })).body;
      const started = await call(g, 'POST', `/pay/${cs.id}`, { ...json({ method: 'alipay' }), headers: { accept: 'application/json' } });
      assert.equal(started.status, 200, started.text);
      assert.equal((await g.complete(started.json.qr.walletUrl, 'succeeded', { notify: false })).status, 200);
      const back = await fetch(`${g.url}/pay/${cs.id}/return`, { redirect: 'manual' });
      assert.equal(back.status, 303, await back.text());
      assert.equal(back.headers.get('location'), 'https://shop.example/merci?note=%E6%97%A5%E6%9C%AC%C3%A9t%C3%A9');
    });

    test('a dashboard filter given as an object or a list (currency[a]=1, from[]=x) is ignored: the list answers 200', async () => {
      const lists = ['/dashboard/payments', '/dashboard/refunds', '/dashboard/events', `/dashboard/webhooks/${f.endpoint}`];
      const odd = ['currency[a]=1', 'status[a]=succeeded', 'from[]=2026-01-01', 'to[x][y]=1', 'q[a]=ORD', 'after[a]=x', 'before[]=y', 'type[a]=1', 'object[a]=pi_1', 'method[0]=alipay'];
      await unchanged(g, async () => {
        for (const path of lists) {
          for (const q of odd) {
            const a = await call(g, 'GET', `${path}?${q}`, { headers: { cookie: f.dashboard.cookie, accept: 'text/html' } });
            assert.equal(a.status, 200, `${path}?${q} → ${a.status} ${a.text.slice(0, 200)}`);
            assert.ok(isHtml(a));
          }
        }
      });
    });

    test('a database failure is a 500 that says only "internal error" and the request id, on every door', async () => {
      // Renaming a table makes every statement on it fail as a real driver error would.
      const broken = async (table: string, fn: () => Promise<void>) => {
        await g.gateway.db.query(`ALTER TABLE ${table} RENAME TO ${table}_gone`);
        try {
          await fn();
        } finally {
          await g.gateway.db.query(`ALTER TABLE ${table}_gone RENAME TO ${table}`);
        }
      };
      const internal = (a: Answer, what: string) => {
        assert.equal(a.status, 500, `${what}: ${a.text}`);
        assert.doesNotMatch(a.text, /relation|does not exist|42P01|payment_intents|checkout_sessions|sim_payments|upstream_notifications/, what);
        assert.match(a.text, /req_[A-Za-z0-9]+/, `${what} names the request id`);
      };
      await broken('payment_intents', async () => {
        const a = await call(g, 'GET', `/v1/payment_intents/${f.pi}`);
        internal(a, 'v1');
        assert.equal(a.json.error.type, 'api_error');
        assert.match(a.text, new RegExp(a.headers?.['request-id'] ?? 'req_'));
      });
      await broken('checkout_sessions', async () => {
        const a = await call(g, 'GET', `/pay/${f.session}`);
        internal(a, 'checkout page');
        assert.ok(isHtml(a));
        const s = await call(g, 'GET', `/pay/${f.session}/status`);
        internal(s, 'checkout status');
        assert.equal(typeof s.json.error, 'string');
      });
      await broken('payment_attempts', async () => internal(await call(g, 'GET', `/return/${f.attempt}`), 'return'));
      await broken('upstream_notifications', async () => {
        const a = await call(g, 'POST', '/antom/notify', json({ hello: 'antom' }));
        internal(a, 'notify');
        assert.equal(a.json.result.resultStatus, 'U');
      });
      await broken('sim_payments', async () => {
        const a = await call(g, 'GET', `/simulator/v1/payments/${f.simPayment}`);
        internal(a, 'simulator');
        assert.equal(a.json.error.code, 'internal_error');
      });
    });

    for (const door of Object.keys(RUNS) as Door[]) {
      const only = process.env.FUZZ_DOOR;
      test(`door ${door}: any input gets an answer below 500, in the door's shape, and a refusal changes nothing`, { skip: only !== undefined && only !== door }, async (t) => {
        const routes = Object.keys(ROUTES).filter((r) => ROUTES[r]!.door === door);
        const seed = replay.seed ?? (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
        t.diagnostic(`seed ${seed} (replay with FUZZ_DOOR=${door} FUZZ_SEED=${seed} and the path fast-check reports)`);
        const started = Date.now();
        let refusals = 0;
        // Nothing but these requests writes (workers are off), so a refusal's "after" is the next
        // request's "before": most runs are refusals, and this halves the snapshots.
        let known: Snapshot | undefined;
        await fc.assert(fc.asyncProperty(requests(routes), async (r) => {
          const s = materialize(r, f, g);
          const before = known ?? await snapshot(g);
          known = undefined;
          const a = await send(g, s);
          assertShape(s.door, s, a);
          if (s.hostile && r.auth === 'secret' && s.door === 'v1') {
            assert.ok([400, 414, 415, 431].includes(a.status), `text the store cannot hold was not refused: ${s.method} ${s.path.slice(0, 120)} → ${a.status} ${a.text.slice(0, 200)}`);
          }
          const tpRefusal = s.door === 'webservices' && a.status === 200 && tpCodes(a).every((c) => TP_REFUSALS.includes(c));
          if (a.status >= 400 || tpRefusal) {
            refusals++;
            const after = await snapshot(g);
            const changed = changedTables(before, after);
            const allowed = !isInputRefusal(s.door, a) && s.headers['idempotency-key'] ? ['idempotency_keys'] : [];
            assert.deepEqual(changed.filter((c) => !allowed.includes(c)), [], `a ${a.status} changed the store: ${s.method} ${s.path.slice(0, 120)} → ${a.text.slice(0, 200)}`);
            known = after;
          }
          // A fault script that got through would make later upstream calls fail on purpose.
          if (door === 'simulator' && s.method === 'POST' && s.path.startsWith('/simulator/v1/faults') && a.status === 200) {
            await fetch(`${g.url}/simulator/v1/faults`, { method: 'DELETE' });
          }
        }), { numRuns: Math.max(1, Math.round(RUNS[door] * scale)), seed, ...(replay.path ? { path: replay.path } : {}) });
        t.diagnostic(`${Math.round(RUNS[door] * scale)} runs, ${refusals} refused, ${Date.now() - started} ms; tables compared: ${TABLES.length} (not ${NOT_COMPARED.join(', ')})`);
      });
    }
  });
}
