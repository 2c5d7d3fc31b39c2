/**
 * Parameter schemas of the v1 API. Bodies arrive as JSON (typed values) or as Stripe's form
 * encoding (all strings), so scalars accept both spellings; an empty string means "unset", as in
 * Stripe. Unknown parameters are refused by name, so a typo never passes silently.
 */
import { z } from 'zod';
import { EVIDENCE_FILE_FIELDS, EVIDENCE_TEXT_FIELDS, type EvidenceField } from '../../core/model.js';
import { invalid, type CoreError, type Result } from '../../core/errors.js';
import { PAYMENT_METHOD_TYPES } from '../../core/money.js';
import { redirectUrlProblem } from '../../core/redirect-urls.js';
import type { ListQuery } from '../../core/store.js';
import { parseReportTime } from '../../core/balances/report.js';

/** `""` → null: Stripe's way of clearing a field. */
const blankToNull = (v: unknown) => (v === '' ? null : v);

export const str = (max = 5000) => z.string().max(max, `must be at most ${max} characters`);
export const int = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v.trim()) : v),
  z.number({ error: 'must be an integer' }).int('must be an integer').refine(Number.isSafeInteger, 'is too large'),
);
export const bool = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean({ error: 'must be true or false' }),
);
/** Arrays arrive as `a[0]=x&a[1]=y` (a digit-keyed map), `a[]=x`, a JSON array, or a single value. */
export function arr<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => Number(a) - Number(b)).map((k) => (v as Record<string, unknown>)[k]);
    }
    if (typeof v === 'string') return [v];
    return v;
  }, z.array(item).max(100, 'must have at most 100 elements'));
}
export const nullable = <T extends z.ZodType>(schema: T) => z.preprocess(blankToNull, schema.nullable());

/** Stripe's metadata: up to 50 keys of ≤40 characters, values ≤500 characters. */
export const metadataValue = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), str(500));
export const metadata = z
  .record(z.string().max(40, 'metadata keys must be at most 40 characters'), metadataValue)
  .refine((m) => Object.keys(m).length <= 50, 'metadata may have at most 50 keys');
/** On update, a key with "" (or null) is removed; the whole field "" clears all. */
export const metadataUpdate = z.preprocess(
  blankToNull,
  z.record(z.string().max(40), z.preprocess(blankToNull, str(500).nullable())).nullable(),
);

export const currency = z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO currency code').transform((c) => c.toUpperCase());
export const amount = int.refine((n) => n > 0, 'must be a positive integer in the currency\'s minor unit (for example 100 for CNY 1.00)');
/** Where the shopper is sent (core/redirect-urls.ts): http(s); `bareHost` also takes the seeds' "www.shop.example". */
const redirectUrl = (bareHost: boolean) => str(2048).superRefine((u, ctx) => {
  const problem = u === '' ? undefined : redirectUrlProblem(u, { bareHost });
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
export const url = redirectUrl(false);
export const expand = arr(str(200)).optional();

export const methodType = z.enum(PAYMENT_METHOD_TYPES as unknown as ['alipay', 'alipayplus'], { error: `must be one of ${PAYMENT_METHOD_TYPES.join(', ')}` });
const terminalType = z.enum(['WEB', 'APP', 'WAP'], { error: 'must be WEB, APP or WAP' });
const osType = z.enum(['IOS', 'ANDROID'], { error: 'must be IOS or ANDROID' });
const walletOptions = z.strictObject({
  client_ip: str(64).optional(),
  terminal_type: terminalType.optional(),
  os_type: osType.optional(),
});

export const paymentMethodParams = {
  payment_method_types: arr(methodType).optional(),
  payment_method_data: z.strictObject({
    type: methodType,
    billing_details: z.record(z.string(), z.unknown()).optional(),
    metadata: metadata.optional(),
  }).optional(),
  payment_method: str(255).optional(),
  payment_method_options: z.strictObject({ alipay: walletOptions.optional(), alipayplus: walletOptions.optional() }).optional(),
  return_url: nullable(url).optional(),
  expand,
};

const descriptive = {
  description: nullable(str(1000)).optional(),
  receipt_email: nullable(z.email('must be an email address')).optional(),
  statement_descriptor: nullable(str(22)).optional(),
  statement_descriptor_suffix: nullable(str(22)).optional(),
};

export const createPaymentIntent = z.strictObject({
  amount,
  currency,
  confirm: bool.optional(),
  confirmation_method: z.enum(['automatic', 'manual']).optional(),
  capture_method: z.enum(['automatic'], { error: 'must be automatic: Alipay and Alipay+ capture when the shopper pays' }).optional(),
  automatic_payment_methods: z.strictObject({ enabled: bool, allow_redirects: z.enum(['always', 'never']).optional() }).optional(),
  metadata: metadata.optional(),
  ...descriptive,
  ...paymentMethodParams,
});

export const updatePaymentIntent = z.strictObject({
  amount: amount.optional(),
  currency: currency.optional(),
  metadata: metadataUpdate.optional(),
  ...descriptive,
  ...paymentMethodParams,
});

export const confirmPaymentIntent = z.strictObject({ ...paymentMethodParams, client_secret: str(255).optional() });

export const cancelPaymentIntent = z.strictObject({
  cancellation_reason: z.enum(['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  expand,
});

/** POST /v1/checkout/sessions/:id/expire takes only expand. */
export const expireCheckoutSession = cancelPaymentIntent.pick({ expand: true });

export const retrieve = z.strictObject({ expand, client_secret: str(255).optional() });

const createdFilter = z.union([
  int.transform((n) => ({ gte: n, lte: n })),
  z.strictObject({ gt: int.optional(), gte: int.optional(), lt: int.optional(), lte: int.optional() }),
]);

export const listParams = {
  limit: int.refine((n) => n >= 1 && n <= 100, 'must be between 1 and 100').optional(),
  starting_after: str(255).optional(),
  ending_before: str(255).optional(),
  created: createdFilter.optional(),
  expand,
};

export const listPaymentIntents = z.strictObject({ ...listParams, customer: str(255).optional() });
export const listCharges = z.strictObject({ ...listParams, payment_intent: str(255).optional() });

/** Created filters, in milliseconds like our objects; seconds (what Stripe's clients send) are scaled. */
function ms(n: number | undefined): number | undefined {
  return n === undefined ? undefined : toMs(n);
}

export function toListQuery(p: { limit?: number; starting_after?: string; ending_before?: string; created?: { gt?: number; gte?: number; lt?: number; lte?: number } }): ListQuery {
  const c = p.created;
  return {
    limit: p.limit ?? 10,
    starting_after: p.starting_after,
    ending_before: p.ending_before,
    created: c ? { gt: ms(c.gt), gte: ms(c.gte), lt: ms(c.lt), lte: ms(c.lte) } : undefined,
  };
}

// ---------------------------------------------------------------------------------------------

/** `['a', 'b', 0]` → `a[b][0]`, the way Stripe names parameters. */
export function paramName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

/**
 * A given value as an error message may quote it. Form bodies make null-prototype objects
 * (`amount[x]=1`), which String() cannot convert, so objects are named, not printed.
 */
function shown(given: unknown): string {
  if (Array.isArray(given)) return 'an array';
  if (given !== null && typeof given === 'object') return 'an object';
  return String(given).slice(0, 40);
}

/** The first problem of a failed parse, as Stripe words it. */
export function toCoreError(error: z.ZodError, input: unknown): CoreError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const name = paramName([...issue.path, issue.keys[0]!]);
    return invalid('parameter_unknown', `Received unknown parameter: ${name}`, name);
  }
  if (issue.code === 'invalid_key') {
    const name = paramName(issue.path.slice(0, -1));
    const why = issue.issues[0]?.message ?? 'invalid key';
    return invalid('parameter_invalid', `Invalid ${name}: ${why} (key ${JSON.stringify(String(issue.path.at(-1)).slice(0, 60))}).`, name);
  }
  const name = paramName(issue.path);
  const given = valueAt(input, issue.path);
  if (given === undefined) return invalid('parameter_missing', `Missing required param: ${name}.`, name);
  if (issue.message.startsWith('must be an integer')) return invalid('parameter_invalid_integer', `Invalid integer: ${shown(given)} (${name} must be an integer).`, name);
  if (given === '') return invalid('parameter_invalid_empty', `You passed an empty string for '${name}'. We assume empty values are an attempt to unset a parameter; however '${name}' cannot be unset. You should remove '${name}' from your request or supply a non-empty value.`, name);
  const detail = issue.message.startsWith('Invalid') ? issue.message : `${name} ${issue.message}`;
  return invalid('parameter_invalid', `Invalid ${name}: ${detail}`, name);
}

export function parse<T extends z.ZodType>(schema: T, input: unknown): Result<z.infer<T>> {
  const r = schema.safeParse(input ?? {});
  return r.success ? { ok: true, value: r.data } : { ok: false, error: toCoreError(r.error, input ?? {}) };
}

// Refunds, webhook endpoints, events, deliveries -------------------------------------------------

export const createRefund = z.strictObject({
  payment_intent: str(255).optional(),
  charge: str(255).optional(),
  amount: amount.optional(),
  reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer'], { error: 'must be duplicate, fraudulent or requested_by_customer' }).optional(),
  metadata: metadata.optional(),
  description: nullable(str(1000)).optional(),
  expand,
});

export const updateRefund = z.strictObject({ metadata: metadataUpdate.optional(), expand });

export const listRefunds = z.strictObject({ ...listParams, payment_intent: str(255).optional(), charge: str(255).optional() });

export const closeDispute = z.strictObject({ expand });

export const updateDispute = z.strictObject({
  evidence: z.strictObject(Object.fromEntries([
    ...EVIDENCE_TEXT_FIELDS.map((f) => [f, str(20_000).optional()]),
    // A file's id (`file_…`, POST /v1/files); "" unsets it.
    ...EVIDENCE_FILE_FIELDS.map((f) => [f, str(255).optional()]),
  ]) as Record<EvidenceField, z.ZodOptional<z.ZodString>>).optional(),
  metadata: metadataUpdate.optional(),
  submit: bool.optional(),
  expand,
});

export const listBalanceTransactions = z.strictObject({
  ...listParams,
  type: z.enum(['charge', 'refund', 'adjustment'], { error: 'must be charge, refund or adjustment (the types this gateway writes)' }).optional(),
  source: str(255).optional(),
  currency: currency.optional(),
});
export const retrieveBalance = z.strictObject({ expand });
/** A report's period: a UTC date (2026-11-30), or unix seconds or milliseconds (core/balances/report.ts); `to` is exclusive. */
const reportTime = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), str(30)).transform((v, ctx) => {
  const t = parseReportTime(v);
  if (t === undefined) ctx.addIssue({ code: 'custom', message: 'must be a date (YYYY-MM-DD) or a unix timestamp' });
  return t ?? 0;
});
/** Both are required; checked after the names, so an unknown parameter is the error named first. */
export const settlementReport = z.strictObject({ from: reportTime.optional(), to: reportTime.optional() })
  .superRefine((p, ctx) => {
    for (const k of ['from', 'to'] as const) if (p[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required: a date (YYYY-MM-DD) or a unix timestamp' });
    if (p.from !== undefined && p.to !== undefined && p.from >= p.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  })
  .transform((p) => ({ from: p.from!, to: p.to! }));

export const listDisputes = z.strictObject({ ...listParams, payment_intent: str(255).optional(), charge: str(255).optional() });

/** A file part of a multipart/form-data body, as api/v1/multipart.ts reads it. */
export const uploadedFile = z.custom<{ filename: string | null; bytes: Uint8Array; truncated: boolean }>(
  (v) => v !== null && typeof v === 'object' && (v as { bytes?: unknown }).bytes instanceof Uint8Array,
  { error: 'must be a file: send the request as multipart/form-data with the file as the part named "file"' },
);

/** `POST /v1/files`: the purpose and the file are checked by core (core/files/create.ts), which names what it takes. */
export const createFile = z.strictObject({ purpose: str(100).optional(), file: uploadedFile.optional(), expand });

export const listFiles = z.strictObject({ ...listParams, purpose: str(100).optional() });

/** `GET /v1/files/:id/contents` takes no parameters. */
export const fileContents = z.strictObject({});

export const createWebhookEndpoint = z.strictObject({
  url: str(2048),
  enabled_events: arr(str(100)),
  description: nullable(str(5000)).optional(),
  metadata: metadata.optional(),
  api_version: str(50).optional(),
  expand,
});

export const updateWebhookEndpoint = z.strictObject({
  url: str(2048).optional(),
  enabled_events: arr(str(100)).optional(),
  description: nullable(str(5000)).optional(),
  metadata: metadataUpdate.optional(),
  disabled: bool.optional(),
  expand,
});

export const listOnly = z.strictObject({ ...listParams });

export const listEvents = z.strictObject({ ...listParams, type: str(100).optional(), types: arr(str(100)).optional() });

export const listDeliveries = z.strictObject({
  ...listParams,
  event: str(255).optional(),
  webhook_endpoint: str(255).optional(),
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
});

// Products, prices, Checkout Sessions -------------------------------------------------------------

/** A product's own fields: POST /v1/products, and product_data inside price_data. */
const productFields = {
  name: str(250).min(1, 'must not be empty'),
  active: bool.optional(),
  description: nullable(str(40_000)).optional(),
  metadata: metadata.optional(),
  url: nullable(str(2048)).optional(),
  images: z.preprocess(blankToNull, arr(str(2048)).nullable()).optional(),
};

// Seed 003 sends "id": null inside product_data; ids are ours to choose.
const productData = z.strictObject({ id: z.null().optional(), ...productFields });

const recurring = z.strictObject({
  interval: z.enum(['day', 'week', 'month', 'year']),
  interval_count: int.optional(),
});

const priceFields = {
  currency,
  unit_amount: int.refine((n) => n >= 0, 'must be zero or more, in the currency\'s minor unit'),
  active: bool.optional(),
  metadata: metadata.optional(),
  nickname: nullable(str(250)).optional(),
  billing_scheme: str(50).optional(),
  lookup_key: nullable(str(200)).optional(),
  recurring: recurring.optional(),
  tax_behavior: z.enum(['exclusive', 'inclusive', 'unspecified']).optional(),
};

export const priceData = z.strictObject({ ...priceFields, product: nullable(str(255)).optional(), product_data: productData.optional() });

export const createProduct = z.strictObject({ ...productFields, expand });

export const updateProduct = z.strictObject({
  name: str(250).min(1).optional(),
  active: bool.optional(),
  description: nullable(str(40_000)).optional(),
  metadata: metadataUpdate.optional(),
  url: nullable(str(2048)).optional(),
  images: z.preprocess(blankToNull, arr(str(2048)).nullable()).optional(),
  default_price: nullable(str(255)).optional(),
  expand,
});

export const listProducts = z.strictObject({ ...listParams, active: bool.optional() });

export const createPrice = z.strictObject({ ...priceFields, product: str(255).optional(), product_data: productData.optional(), expand });

export const updatePrice = z.strictObject({
  active: bool.optional(),
  nickname: nullable(str(250)).optional(),
  lookup_key: nullable(str(200)).optional(),
  metadata: metadataUpdate.optional(),
  expand,
});

export const listPrices = z.strictObject({
  ...listParams,
  product: str(255).optional(),
  active: bool.optional(),
  currency: currency.optional(),
  type: z.enum(['one_time', 'recurring']).optional(),
  lookup_keys: arr(str(200)).optional(),
});

export const CHECKOUT_LOCALES = ['auto', 'en', 'zh', 'zh-HK', 'zh-TW', 'ja', 'es', 'nl', 'id', 'ms', 'th', 'fil'] as const;

export const createCheckoutSession = z.strictObject({
  mode: str(20).optional(),
  line_items: arr(z.strictObject({
    price: str(255).optional(),
    price_data: priceData.optional(),
    quantity: int.refine((n) => n >= 1 && n <= 999_999, 'must be between 1 and 999999').optional(),
    description: str(1000).optional(),
  })),
  success_url: redirectUrl(true).min(1, 'must not be empty'),
  cancel_url: nullable(redirectUrl(true)).optional(),
  currency: currency.optional(),
  payment_method_types: arr(methodType).optional(),
  payment_method_options: z.strictObject({ alipay: walletOptions.optional(), alipayplus: walletOptions.optional() }).optional(),
  customer_email: nullable(z.email('must be an email address')).optional(),
  client_reference_id: nullable(str(200)).optional(),
  billing_address_collection: z.enum(['auto', 'required']).optional(),
  metadata: metadata.optional(),
  locale: z.enum(CHECKOUT_LOCALES, { error: `must be one of ${CHECKOUT_LOCALES.join(', ')}` }).optional(),
  // Milliseconds like every timestamp of the seeds; values below 10^11 are seconds (Stripe's SDKs).
  expires_at: int.transform((n) => (n < 1e11 ? n * 1000 : n)).optional(),
  payment_intent_data: z.strictObject({ description: nullable(str(1000)).optional(), metadata: metadata.optional() }).optional(),
  expand,
});

export const listCheckoutSessions = z.strictObject({
  ...listParams,
  payment_intent: str(255).optional(),
  status: z.enum(['open', 'complete', 'expired']).optional(),
});

/** Stripe sends unix seconds; our times are milliseconds (the seeds'). Below 10^11 it can only be seconds. */
export function toMs(n: number): number {
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}
