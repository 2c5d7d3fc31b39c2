/**
 * One request item of a Trust Payments envelope → one core operation → one response item.
 * Field rules are seed 004's field table; every value on the wire is a string.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CoreDeps, RequestContext } from '../../core/context.js';
import type { Scope } from '../../core/store.js';
import { createPaymentIntent } from '../../core/payment-intents/create.js';
import { queryTransactions, refundTransaction, updateTransactions, type TransactionUpdates } from '../../core/settlement/operations.js';
import { transactionFields } from '../../core/settlement/fields.js';
import type { TpSiteRecord, TpTransactionRecord, TransactionFilter, WebservicesOrigin } from '../../core/settlement/records.js';
import { inspectInput } from '../input.js';
import type { WebservicesUser } from '../../store/tp-accounts.js';
import { fromCoreError, tpError, TP_MESSAGES, type TpError } from './codes.js';

export type Item = Record<string, unknown>;
export type ResponseItem = Record<string, string | string[] | Record<string, string>[]>;

/** Seed 004: the currencies Alipay takes through Trust Payments. */
export const TP_CURRENCIES = ['AUD', 'CAD', 'CHF', 'DKK', 'EUR', 'GBP', 'HKD', 'JPY', 'KRW', 'NOK', 'NZD', 'SEK', 'SGD', 'THB', 'USD'];
export const SUPPORTED_TYPES = ['AUTH', 'REFUND', 'TRANSACTIONQUERY', 'TRANSACTIONUPDATE'] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/;
const SETTLE_STATUS = /^\d{1,3}$/;
/** What TRANSACTIONUPDATE may set settlestatus to. */
const UPDATABLE_STATUSES = ['0', '1', '2', '3'];
/** Request fields an AUTH keeps to show back (records, notifications). */
const KEPT_FIELDS = ['billingfirstname', 'billinglastname', 'billingcountryiso2a', 'billingemail', 'customfield1', 'customfield2', 'customfield3', 'customfield4', 'customfield5'];

/**
 * The rule of one plain string field of a request item. The handlers check a type's fields in the
 * order its table lists them (readFields), and GET /openapi.json builds the item's JSON Schema from
 * the same table (src/api/openapi.ts), so the two cannot disagree. Absent and null are the same.
 */
export interface FieldRule {
  /** Absent, null or '' is refused: 30000 "… is required.", or `missing` (no detail) when it is set. */
  required?: boolean;
  missing?: string;
  /** At most this many characters (30000 "… is at most n characters."). */
  max?: number;
  /** The whole value matches (30000, no detail); anchored, no flags. */
  pattern?: RegExp;
  /** One of these values (30000 "… must be one of …."). */
  oneOf?: readonly string[];
  /** An amount in minor units, more than zero (30000 "… must be greater than zero."). */
  positive?: boolean;
  /** An absolute http(s) URL (30000 "… is an http(s) URL."). */
  url?: boolean;
  description: string;
}
export type FieldTable = Readonly<Record<string, FieldRule>>;

const SITE_FIELD: FieldRule = { required: true, pattern: /^[A-Za-z0-9_]{1,50}$/, description: 'The site the request is for; the webservices user must be allowed to use it (30006 otherwise).' };
const ORDER_REFERENCE: FieldRule = { max: 25, description: 'The merchant\'s own reference of the order.' };
const AMOUNT = /^[0-9]{1,13}$/;
const kept = (what: string): FieldRule => ({ max: 255, description: `${what}; kept and shown back in TRANSACTIONQUERY records and URL notifications.` });

/**
 * Seed 004's field table: each request type's plain string fields, in the order they are checked.
 * Fields that are not plain strings (requesttypedescriptions, filter, updates) and fields the door
 * reads without a rule (requestreference, TRANSACTIONQUERY's sitereference) are in ITEM_EXTRA_SCHEMAS.
 */
export const REQUEST_FIELDS: Readonly<Record<SupportedType, FieldTable>> = {
  AUTH: {
    sitereference: SITE_FIELD,
    accounttypedescription: { required: true, oneOf: ['ECOM'], description: 'E-commerce.' },
    paymenttypedescription: { required: true, oneOf: ['ALIPAY'], description: 'The payment method: Alipay.' },
    currencyiso3a: { required: true, oneOf: TP_CURRENCIES, description: 'The currency, ISO 4217 (seed 004: those Alipay takes through Trust Payments).' },
    baseamount: { required: true, pattern: AMOUNT, positive: true, description: 'The amount in the currency\'s minor units ("1050" is 10.50 EUR).' },
    orderreference: ORDER_REFERENCE,
    returnurl: { required: true, max: 2048, url: true, description: 'Where the wallet sends the shopper back, with transactionreference, settlestatus and errorcode.' },
    applicationtype: { oneOf: ['WAP'], description: 'WAP for a phone\'s browser (the wallet app opens); absent for a desktop (a QR code).' },
    billingcountryiso2a: { pattern: /^[A-Za-z]{2}$/, description: 'The shopper\'s country, ISO 3166-1 alpha-2; kept and shown back.' },
    billingfirstname: kept('The shopper\'s first name'),
    billinglastname: kept('The shopper\'s last name'),
    billingemail: kept('The shopper\'s e-mail address'),
    customfield1: kept('Merchant data'),
    customfield2: kept('Merchant data'),
    customfield3: kept('Merchant data'),
    customfield4: kept('Merchant data'),
    customfield5: kept('Merchant data'),
  },
  REFUND: {
    sitereference: SITE_FIELD,
    parenttransactionreference: { required: true, missing: '20004', max: 64, description: 'The settled AUTH to refund (20004 when absent).' },
    baseamount: { pattern: AMOUNT, positive: true, description: 'The amount to refund in minor units; absent: all that is left.' },
    orderreference: ORDER_REFERENCE,
    currencyiso3a: { oneOf: TP_CURRENCIES, description: 'The AUTH\'s currency (the refund is always in it).' },
  },
  TRANSACTIONQUERY: {},
  TRANSACTIONUPDATE: {},
};

export interface Caller {
  deps: CoreDeps;
  user: WebservicesUser;
  request_id: string;
}

function errorItem(type: string, e: TpError, extra: ResponseItem = {}): ResponseItem {
  const data = e.detail && !e.data.includes(e.detail) ? [...e.data, e.detail] : e.data;
  return { ...extra, requesttypedescription: type, errorcode: e.code, errormessage: TP_MESSAGES[e.code] ?? 'Unknown error', errordata: data };
}

/**
 * Chains the door runs (§1: one response item per type, in order, each later one the child of the
 * one before). Alipay has no zero-authorisation (seed 004), so ACCOUNTCHECK, which card
 * integrations put before their AUTH, is answered 60018 and ends the chain; every other
 * combination (TRANSACTIONUPDATE+REFUND, …) is refused whole with 30000.
 */
const CHAINS: readonly (readonly string[])[] = [['ACCOUNTCHECK', 'AUTH']];
const CHAINABLE = ['ACCOUNTCHECK'];

/** The item's request types in order, or the error item that says why they cannot run. */
export function requestTypesOf(item: Item): { types: string[] } | { error: ResponseItem } {
  const plural = item.requesttypedescriptions;
  const single = item.requesttypedescription;
  if (plural !== undefined && single !== undefined) return { error: errorItem('ERROR', tpError('60040')) };
  let types: unknown[];
  if (plural !== undefined) {
    if (!Array.isArray(plural)) return { error: errorItem('ERROR', tpError('30000', ['requesttypedescriptions'])) };
    types = plural;
  } else if (single !== undefined) types = [single];
  else return { error: errorItem('ERROR', tpError('60018', ['None'])) };
  if (types.length === 0) return { error: errorItem('ERROR', tpError('60018', ['None'])) };
  if (types.some((t) => typeof t !== 'string')) return { error: errorItem('ERROR', tpError('30000', ['requesttypedescriptions'])) };
  const list = types as string[];
  if (list.length > 1 && !CHAINS.some((c) => c.length === list.length && c.every((t, i) => t === list[i]))) {
    return { error: errorItem('ERROR', tpError('30000', ['requesttypedescriptions'], `${list.join('+')} cannot be chained: send each as its own request.`)) };
  }
  const unknown = list.find((t) => !(SUPPORTED_TYPES as readonly string[]).includes(t) && !CHAINABLE.includes(t));
  if (unknown !== undefined) {
    return { error: errorItem(unknown.slice(0, 20) || 'ERROR', tpError('60018', ['requesttypedescription'], `This gateway serves ${SUPPORTED_TYPES.join(', ')} for Alipay.`)) };
  }
  return { types: list };
}

/** One request item → its response items (one per chained type, up to the first that fails). */
export async function handleItem(c: Caller, item: Item, requestReference: string): Promise<ResponseItem[]> {
  const found = requestTypesOf(item);
  if ('error' in found) return [found.error];
  const out: ResponseItem[] = [];
  let parent: string | undefined;
  for (const type of found.types) {
    const r = await handleType(c, type, parent === undefined ? item : { ...item, parenttransactionreference: parent }, requestReference);
    out.push(r);
    if (r.errorcode !== '0') break;
    parent = typeof r.transactionreference === 'string' ? r.transactionreference : parent;
  }
  return out;
}

async function handleType(c: Caller, type: string, item: Item, requestReference: string): Promise<ResponseItem> {
  // Every value we read is a string (§3); the store cannot hold NUL or lone surrogates.
  const problem = inspectInput(item);
  if (problem) return errorItem(type, tpError('30000', [problem.param?.split('[')[0] ?? 'request'], problem.message));
  try {
    switch (type) {
      case 'ACCOUNTCHECK':
        return errorItem('ACCOUNTCHECK', tpError('60018', ['requesttypedescription'], 'Alipay has no zero-authorisation (ACCOUNTCHECK): send the AUTH on its own.'));
      case 'AUTH':
        return await auth(c, item, requestReference);
      case 'REFUND':
        return await refund(c, item, requestReference);
      case 'TRANSACTIONQUERY':
        return await query(c, item);
      default:
        return await update(c, item);
    }
  } catch (err) {
    if (err instanceof FieldError) return errorItem(type, err.error);
    throw err;
  }
}

class FieldError extends Error {
  constructor(readonly error: TpError) {
    super(error.code);
  }
}

function readField(item: Item, name: string, rule: FieldRule): string | undefined {
  const missing = () => new FieldError(rule.missing ? tpError(rule.missing, [name]) : tpError('30000', [name], `${name} is required.`));
  const v = item[name];
  if (v === undefined || v === null) {
    if (rule.required) throw missing();
    return undefined;
  }
  if (typeof v !== 'string') throw new FieldError(tpError('30000', [name], `${name} is a string.`));
  if (rule.required && v === '') throw missing();
  if (rule.max !== undefined && v.length > rule.max) throw new FieldError(tpError('30000', [name], `${name} is at most ${rule.max} characters.`));
  if (rule.pattern && !rule.pattern.test(v)) throw new FieldError(tpError('30000', [name]));
  if (rule.oneOf && !rule.oneOf.includes(v)) throw new FieldError(tpError('30000', [name], `${name} must be one of ${rule.oneOf.join(', ')}.`));
  if (rule.positive && Number(v) <= 0) throw new FieldError(tpError('30000', [name], `${name} must be greater than zero.`));
  if (rule.url && !isHttpUrl(v)) throw new FieldError(tpError('30000', [name], `${name} is an http(s) URL.`));
  return v;
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Every field of the table, checked in its order; the first refused ends the item. */
function readFields(item: Item, table: FieldTable): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, rule] of Object.entries(table)) out[name] = readField(item, name, rule);
  return out;
}

/** The site the request names, if the authenticated user may use it (30006 otherwise, 30000 if malformed). */
async function siteOf(c: Caller, item: Item): Promise<TpSiteRecord> {
  const ref = readField(item, 'sitereference', SITE_FIELD)!;
  const site = c.user.sites.includes(ref) ? await c.deps.store.tp.site(ref) : undefined;
  if (!site || site.account_id !== c.user.account_id) throw new FieldError(tpError('30006', ['sitereference']));
  return site;
}

function contextFor(c: Caller, site: TpSiteRecord, via: WebservicesOrigin, key: string): RequestContext & { via: WebservicesOrigin } {
  return { scope: { account_id: site.account_id, livemode: site.livemode }, request_id: c.request_id, idempotency_key: key, via };
}

/**
 * The official clients resend a request after a connection error that may have come after we
 * read it. Each request item carries its own requestreference; with the item's content it makes
 * the idempotency key, so a resend finds the payment or refund the first one made.
 */
function idempotencyKey(c: Caller, item: Item, requestReference: string): string {
  const ref = typeof item.requestreference === 'string' && item.requestreference ? item.requestreference : undefined;
  const digest = createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 24);
  return `tp:${c.user.username}:${ref ?? `${requestReference}:${randomBytes(6).toString('hex')}`}:${digest}`;
}

function render(t: TpTransactionRecord, site: TpSiteRecord, extra: Record<string, string> = {}): ResponseItem {
  const f = transactionFields(t, site);
  delete f.interface;
  delete f.mainamount;
  delete f.sitereference;
  return { ...f, ...extra };
}

async function auth(c: Caller, item: Item, requestReference: string): Promise<ResponseItem> {
  const site = await siteOf(c, item);
  // The table checks sitereference's form again (it passed), then the rest in seed 004's order.
  const f = readFields(item, REQUEST_FIELDS.AUTH);
  const currency = f.currencyiso3a!;
  const baseamount = Number(f.baseamount);
  const orderReference = f.orderreference;
  const url = f.returnurl!;
  const applicationType = f.applicationtype;
  const fields: Record<string, string> = {};
  for (const name of KEPT_FIELDS) {
    const v = f[name];
    if (v !== undefined && v !== '') fields[name] = v;
  }
  const via: WebservicesOrigin = {
    site_reference: site.site_reference, operator_name: c.user.username, order_reference: orderReference,
    application_type: applicationType, return_url: url, fields,
  };
  const ctx = contextFor(c, site, via, idempotencyKey(c, item, requestReference));
  const made = await createPaymentIntent(c.deps, ctx, {
    amount: baseamount,
    currency,
    confirm: true,
    payment_method_types: ['alipay'],
    payment_method_data: { type: 'alipay' },
    payment_method_options: { alipay: { terminal_type: applicationType === 'WAP' ? 'WAP' : 'WEB' } },
    return_url: url,
    description: orderReference ? `Order ${orderReference}` : null,
    metadata: { tp_sitereference: site.site_reference, ...(orderReference ? { tp_orderreference: orderReference } : {}) },
  });
  // The payment exists whenever core got as far as creating it: a decline or a silent Antom is an AUTH too.
  const piId = made.ok ? made.value.id
    : made.error.kind === 'payment_failed' ? made.error.paymentIntentId
      : made.error.kind === 'upstream_unavailable' ? (await c.deps.store.paymentIntents.findByIdempotencyKey(ctx.scope, ctx.idempotency_key!))?.id
        : undefined;
  const t = piId ? await c.deps.store.tp.authOf(piId) : undefined;
  if (!t) return errorItem('AUTH', made.ok ? tpError('99999') : fromCoreError(made.error));
  const pi = made.ok ? made.value : await c.deps.store.paymentIntents.get(ctx.scope, t.payment_intent_id);
  const redirect = pi?.next_action?.redirect_to_url.url;
  const out = render(t, site, redirect ? { redirecturl: redirect } : {});
  if (!made.ok && made.error.kind === 'upstream_unavailable') {
    return { ...out, errorcode: '60010', errormessage: TP_MESSAGES['60010']!, errordata: [made.error.message] };
  }
  return out;
}

async function refund(c: Caller, item: Item, requestReference: string): Promise<ResponseItem> {
  const site = await siteOf(c, item);
  const f = readFields(item, REQUEST_FIELDS.REFUND);
  const parent = f.parenttransactionreference!;
  const baseamount = f.baseamount === undefined ? undefined : Number(f.baseamount);
  const orderReference = f.orderreference;
  const via: WebservicesOrigin = { site_reference: site.site_reference, operator_name: c.user.username, order_reference: orderReference };
  const ctx = contextFor(c, site, via, idempotencyKey(c, item, requestReference));
  const made = await refundTransaction(c.deps, ctx, { parent_reference: parent, amount: baseamount, sites: c.user.sites });
  if (!made.ok) return errorItem('REFUND', fromCoreError(made.error));
  return render(made.value, site);
}

const FILTER_FIELDS = ['sitereference', 'transactionreference', 'orderreference', 'parenttransactionreference', 'requesttypedescription', 'settlestatus', 'starttimestamp', 'endtimestamp'];

type Json = Record<string, unknown>;

/** `filter` as JSON Schema, by hand beside filterOf: what each name's values must be. */
function filterSchema(requireReference: boolean): Json {
  const valueOf: Record<string, Json> = {
    requesttypedescription: { enum: ['AUTH', 'REFUND'] },
    settlestatus: { pattern: SETTLE_STATUS.source },
    starttimestamp: { pattern: TIMESTAMP.source, description: 'YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC), from the start of the day.' },
    endtimestamp: { pattern: TIMESTAMP.source, description: 'YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC), to the end of the day.' },
  };
  const values = (name: string): Json => {
    const value = { type: 'string', maxLength: 255, ...valueOf[name] };
    const entry = { anyOf: [value, { type: 'object', required: ['value'], properties: { value, symbol: { const: 'IS' } } }] };
    return { anyOf: [entry, { type: 'array', minItems: 1, items: entry }], description: 'One value or a list of values (OR-ed): `[{"value": …}]`, `{"value": …, "symbol": "IS"}` or the bare string.' };
  };
  return {
    type: 'object', minProperties: 1, additionalProperties: false,
    ...(requireReference ? { required: ['transactionreference'] } : {}),
    properties: Object.fromEntries(FILTER_FIELDS.map((name) => [name, values(name)])),
    description: requireReference
      ? 'The transactions to update, named by transactionreference (60019 without it); other names narrow the match.'
      : 'What to look for; the names are AND-ed (60019 without any, 60037 for another name or a bad value).',
  };
}

/** `filter` in the list form (`{f:[{value}]}`) or the bare-object form (`{f:{value}}`), values OR-ed. */
function filterOf(c: Caller, item: Item, requireReference: boolean): TransactionFilter {
  const raw = item.filter;
  if (raw === undefined || raw === null) throw new FieldError(tpError('60019', ['filter']));
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FieldError(tpError('60037', ['filter']));
  const values = new Map<string, string[]>();
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!FILTER_FIELDS.includes(name)) throw new FieldError(tpError('60037', [name], `Filters: ${FILTER_FIELDS.join(', ')}.`));
    const list = Array.isArray(v) ? v : [v];
    const got: string[] = [];
    for (const entry of list) {
      const value = typeof entry === 'string' ? entry : entry && typeof entry === 'object' ? (entry as Record<string, unknown>).value : undefined;
      const symbol = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).symbol : undefined;
      if (typeof value !== 'string' || value.length > 255 || (symbol !== undefined && symbol !== 'IS')) throw new FieldError(tpError('60037', [name]));
      got.push(value);
    }
    if (got.length > 0) values.set(name, got);
  }
  if (values.size === 0) throw new FieldError(tpError('60019', ['filter']));
  if (requireReference && !values.has('transactionreference')) throw new FieldError(tpError('60019', ['transactionreference'], 'Name the transactions to update by transactionreference.'));
  const topSite = typeof item.sitereference === 'string' ? [item.sitereference] : [];
  const sites = values.get('sitereference') ?? (topSite.length ? topSite : c.user.sites);
  if (sites.some((s) => !c.user.sites.includes(s))) throw new FieldError(tpError('30006', ['sitereference']));
  const time = (name: string, endOfDay: boolean): number | undefined => {
    const v = values.get(name)?.[0];
    if (v === undefined) return undefined;
    const m = TIMESTAMP.exec(v);
    const ms = m ? Date.parse(`${m[1]}T${m[2] ?? (endOfDay ? '23' : '00')}:${m[3] ?? (endOfDay ? '59' : '00')}:${m[4] ?? (endOfDay ? '59' : '00')}Z`) : NaN;
    if (Number.isNaN(ms)) throw new FieldError(tpError('60037', [name], `${name} is YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC).`));
    return ms + (endOfDay ? 999 : 0);
  };
  const statuses = values.get('settlestatus');
  if (statuses?.some((s) => !SETTLE_STATUS.test(s))) throw new FieldError(tpError('60037', ['settlestatus']));
  const types = values.get('requesttypedescription');
  if (types?.some((t) => t !== 'AUTH' && t !== 'REFUND')) throw new FieldError(tpError('60037', ['requesttypedescription']));
  return {
    site_references: sites,
    references: values.get('transactionreference'),
    order_references: values.get('orderreference'),
    parent_references: values.get('parenttransactionreference'),
    request_types: types as ('AUTH' | 'REFUND')[] | undefined,
    settle_statuses: statuses?.map(Number),
    start: time('starttimestamp', false),
    end: time('endtimestamp', true),
  };
}

async function findAll(c: Caller, filter: TransactionFilter): Promise<{ t: TpTransactionRecord; site: TpSiteRecord }[]> {
  const sites = new Map<string, TpSiteRecord>();
  for (const ref of filter.site_references) {
    const site = await c.deps.store.tp.site(ref);
    if (site) sites.set(ref, site);
  }
  const out: { t: TpTransactionRecord; site: TpSiteRecord }[] = [];
  for (const livemode of [false, true]) {
    const refs = [...sites.values()].filter((s) => s.livemode === livemode).map((s) => s.site_reference);
    if (refs.length === 0) continue;
    const scope: Scope = { account_id: c.user.account_id, livemode };
    for (const t of await queryTransactions(c.deps, scope, { ...filter, site_references: refs })) out.push({ t, site: sites.get(t.site_reference)! });
  }
  return out;
}

async function query(c: Caller, item: Item): Promise<ResponseItem> {
  readFields(item, REQUEST_FIELDS.TRANSACTIONQUERY);
  const filter = filterOf(c, item, false);
  const found = await findAll(c, filter);
  const records = found.map(({ t, site }) => transactionFields(t, site));
  return { requesttypedescription: 'TRANSACTIONQUERY', errorcode: '0', errormessage: 'Ok', found: String(records.length), records };
}

/** `updates` as JSON Schema, by hand beside updatesOf. */
const UPDATES_SCHEMA: Json = {
  type: 'object', minProperties: 1, additionalProperties: false,
  description: 'What to change (60013 without anything, 60033 for another field or a bad value).',
  properties: {
    settlestatus: { type: 'string', enum: UPDATABLE_STATUSES, description: '0 or 1: settle; 2: suspend; 3: cancel (an unpaid AUTH is cancelled at Antom).' },
    settleduedate: { type: 'string', pattern: DATE.source, description: 'YYYY-MM-DD.' },
    orderreference: { type: 'string', maxLength: 25 },
  },
};

const REQUEST_REFERENCE: Json = { type: 'string', description: 'The client\'s reference of this request; with the item\'s content it makes a resend find the payment or refund the first one made.' };

/** The fields of each request type that are not in REQUEST_FIELDS, as JSON Schema (requesttypedescriptions is added by the document). */
export const ITEM_EXTRA_SCHEMAS: Readonly<Record<SupportedType, { properties: Record<string, Json>; required?: string[] }>> = {
  AUTH: { properties: { requestreference: REQUEST_REFERENCE } },
  REFUND: { properties: { requestreference: REQUEST_REFERENCE } },
  TRANSACTIONQUERY: {
    required: ['filter'],
    properties: {
      requestreference: REQUEST_REFERENCE,
      sitereference: { type: 'string', description: 'The site to search when the filter names none (default: every site of the user).' },
      filter: filterSchema(false),
    },
  },
  TRANSACTIONUPDATE: {
    required: ['filter', 'updates'],
    properties: {
      requestreference: REQUEST_REFERENCE,
      sitereference: { type: 'string', description: 'The site to search when the filter names none (default: every site of the user).' },
      filter: filterSchema(true),
      updates: UPDATES_SCHEMA,
    },
  },
};

function updatesOf(item: Item): TransactionUpdates {
  const raw = item.updates;
  if (raw === undefined || raw === null || (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0)) {
    throw new FieldError(tpError('60013', ['updates']));
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FieldError(tpError('60033', ['updates']));
  const u: TransactionUpdates = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new FieldError(tpError('60033', [name]));
    if (name === 'settlestatus') {
      if (!UPDATABLE_STATUSES.includes(v)) throw new FieldError(tpError('60033', [name], 'settlestatus can be set to 0, 1, 2 (suspend) or 3 (cancel).'));
      u.settle_status = Number(v) as 0 | 1 | 2 | 3;
    } else if (name === 'settleduedate') {
      if (!DATE.test(v) || Number.isNaN(Date.parse(v))) throw new FieldError(tpError('60033', [name], 'settleduedate is YYYY-MM-DD.'));
      u.settle_due_date = v;
    } else if (name === 'orderreference') {
      if (v.length > 25) throw new FieldError(tpError('60033', [name], 'orderreference is at most 25 characters.'));
      u.order_reference = v;
    } else if (name === 'settlebaseamount') {
      throw new FieldError(tpError('60033', [name], 'An Alipay payment settles in full; refund part of it once it has settled.'));
    } else {
      throw new FieldError(tpError('60033', [name], 'Updates: settlestatus, settleduedate, orderreference.'));
    }
  }
  return u;
}

async function update(c: Caller, item: Item): Promise<ResponseItem> {
  readFields(item, REQUEST_FIELDS.TRANSACTIONUPDATE);
  const filter = filterOf(c, item, true);
  const updates = updatesOf(item);
  const found = await findAll(c, filter);
  if (found.length === 0) return errorItem('TRANSACTIONUPDATE', tpError('60014', ['transactionreference']));
  for (const { t, site } of found) {
    const ctx: RequestContext = { scope: { account_id: site.account_id, livemode: site.livemode }, request_id: c.request_id, idempotency_key: null };
    const done = await updateTransactions(c.deps, ctx, { site_references: [site.site_reference], references: [t.reference] }, updates);
    if (!done.ok) return errorItem('TRANSACTIONUPDATE', fromCoreError(done.error));
  }
  return { requesttypedescription: 'TRANSACTIONUPDATE', errorcode: '0', errormessage: 'Ok' };
}
